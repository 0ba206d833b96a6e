"""Training cost (analyze --training) and distillation, by the stated conventions."""

from __future__ import annotations

import json

from conftest import run
from typer.testing import CliRunner

from cli import app
from costmodel.hw import HardwareProfile

RESNET50_PARAMS = 25_557_032  # torchvision resnet50


def test_resnet50_training_step(sd855: HardwareProfile) -> None:
    result = run("resnet50", sd855, training=True)
    training = result.training
    assert training is not None
    conv_linear_macs = sum(r.macs for r in result.nodes if r.op in ("conv2d", "linear"))
    assert training.macs == 3 * conv_linear_macs
    assert training.optimizer_bytes == 2 * RESNET50_PARAMS * 4
    assert training.weight_bytes == training.gradient_bytes == RESNET50_PARAMS * 4
    assert training.master_weight_bytes == 0
    assert run("resnet50", sd855).training is None


def test_mixed_precision_keeps_fp32_master_weights(sd855: HardwareProfile) -> None:
    training = run("resnet50", sd855, training=True, precision="fp16").training
    assert training is not None
    assert training.weight_bytes == RESNET50_PARAMS * 2
    assert training.master_weight_bytes == RESNET50_PARAMS * 4


def test_training_in_json_and_table() -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["analyze", "mbv2", "--training"])
    assert table.exit_code == 0 and "training step" in table.stdout
    data = json.loads(runner.invoke(app, ["analyze", "mbv2", "--training", "--format", "json"]).stdout)
    assert data["training"]["backward_macs"] == 2 * data["totals"]["macs"]


def test_distill_command() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["distill", "resnet50", "mbv2", "--json"])
    assert result.exit_code == 0, result.output
    step = json.loads(result.stdout)
    assert step["step_macs"] == step["teacher_forward_macs"] + 3 * step["student_forward_macs"]
    assert step["compression"] == RESNET50_PARAMS / 3_504_872
    assert runner.invoke(app, ["distill", "resnet50", "mbv2"]).exit_code == 0
    bad = runner.invoke(app, ["distill", "resnet50", "nope"])
    assert bad.exit_code == 2


def test_distill_formats() -> None:
    """--format json is what --json always printed; csv is one row of the same keys and values."""
    import csv
    import io

    runner = CliRunner()
    as_json = runner.invoke(app, ["distill", "resnet50", "mbv2", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert as_json.stdout == runner.invoke(app, ["distill", "resnet50", "mbv2", "--json"]).stdout
    as_csv = runner.invoke(app, ["distill", "resnet50", "mbv2", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    (row,) = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    step = json.loads(as_json.stdout)
    assert int(row["student_params"]) == step["student_params"] == 3_504_872
    assert float(row["step_s"]) == step["step_s"]
    assert runner.invoke(app, ["distill", "resnet50", "mbv2", "--format", "xml"]).exit_code == 2
