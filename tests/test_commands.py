"""Every command against every bundled profile, and the flags built from the one options model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import typer
from conftest import ARCHSPECS
from reference import EXACT
from typer.testing import CliRunner

from cli import app
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import list_profiles

runner = CliRunner()
PROFILES = [p.stem for p in list_profiles()] + ["host"]
OPTION_FLAGS = {
    f.name: f.metadata["cli"].flag or "--" + f.name.replace("_", "-")
    for f in dataclasses.fields(AnalysisOptions)
}


def ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


@pytest.fixture(scope="module")
def measurements(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("m") / "m.csv"
    path.write_text("spec,latency_ms\nmbv3_small,5\nmbv2,20\nmbv3_large,15\nmnasnet_a1,18\n")
    return path


@pytest.mark.parametrize("hw", PROFILES)
def test_every_command_runs_on_every_profile(hw: str, tmp_path: Path, measurements: Path) -> None:
    # int8-only units (the Edge TPU) have no fp32: every command must settle the precision itself
    params, macs, _ = EXACT["mbv3_small"]
    data = json.loads(ok(["analyze", "mbv3_small", "--hw", hw, "--format", "json"]))
    assert (data["totals"]["params"], data["totals"]["macs"]) == (params, macs)
    diff = json.loads(ok(["diff", "mbv3_small", "--hw", hw, "--width-b", "0.75", "--format", "json"]))
    assert diff["b"]["options"]["width"] == 0.75
    report = ok(["report", "mbv3_small", "mbv2", "--hw", hw, "--format", "csv"])
    assert report.count("\n") == 3  # header and two rows
    sweep = ok(
        ["sweep", "mbv3_small", "--hw", hw, "--widths", "0.5,1", "--resolutions", "96", "--format", "csv"]
    )
    assert sweep.count("\n") == 3
    ok(["plot", "mbv3_small", "--hw", hw, "-o", str(tmp_path / "r.svg")])
    assert (tmp_path / "r.svg").read_text().lstrip().startswith("<?xml")
    ok(["validate-latency", str(measurements), "--hw", hw])
    ok(["hw", "show", hw])


def test_report_and_diff_on_an_int8_only_unit() -> None:
    # the bug of issue 10: report and diff assumed fp32, which the Edge TPU does not have
    text = ok(
        [
            "report",
            "mbv2",
            "--hw",
            "snapdragon855",
            "--hw",
            "edgetpu",
            "--columns",
            "precision",
            "--format",
            "json",
        ]
    )
    rows = json.loads(text)["rows"]
    assert [r["precision"] for r in rows] == ["fp32", "int8"]
    ok(["diff", "mbv2", "--hw", "edgetpu"])


def test_calibrate_and_measure_run(measurements: Path, tmp_path: Path) -> None:
    ok(["calibrate", str(measurements), "--hw", "snapdragon855", "--no-loo"])
    pytest.importorskip("onnxruntime")
    data = json.loads(ok(["measure", "mbv3_small", "--runs", "1", "--warmup", "0", "--format", "json"]))
    assert data["measured"]["median_s"] > 0
    assert list(data)[:2] == ["schema_version", "costmodel_version"]


def _flags(command: str) -> set[str]:
    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {name for param in click_command.params for name in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize("command", ["analyze", "diff", "plot", "report"])
def test_every_analysis_option_is_a_flag(command: str) -> None:
    missing = set(OPTION_FLAGS.values()) - _flags(command)
    assert not missing, f"{command} lacks {missing}"


def test_diff_has_a_b_flag_for_every_option() -> None:
    missing = {f"{flag}-b" for flag in OPTION_FLAGS.values()} - _flags("diff")
    assert not missing


def test_options_reach_the_analysis() -> None:
    # width 0.75 on MobileNetV3-Large: torchvision's published counts (tests/reference.py)
    data = json.loads(ok(["analyze", "mbv3_large", "--width", "0.75", "--format", "json"]))
    assert (data["totals"]["params"], data["totals"]["macs"]) == (3_377_576, 140_033_816)
    assert data["options"]["width"] == 0.75
    data = json.loads(ok(["analyze", "mbv3_small", "--batch", "4", "--no-fusion", "--format", "json"]))
    assert data["totals"]["macs"] == 4 * EXACT["mbv3_small"][1]
    assert data["options"]["fusion"] is False and data["options"]["batch"] == 4
    data = json.loads(ok(["analyze", "mbv3_small", "--layer-precision", "stem.*=fp16", "--format", "json"]))
    assert data["options"]["layer_precision"] == [["stem.*", "fp16"]]


def test_report_repeats_options_as_a_product() -> None:
    text = ok(["report", "mbv3_small", "--width", "0.5", "--width", "1", "--precision", "fp32",
               "--precision", "int8", "--columns", "width,precision", "--format", "json"])  # fmt: skip
    rows = json.loads(text)["rows"]
    assert [(r["width"], r["precision"]) for r in rows] == [
        (0.5, "fp32"),
        (1.0, "fp32"),
        (0.5, "int8"),
        (1.0, "int8"),
    ]


def test_bad_option_values_are_one_line_errors() -> None:
    for args in (
        ["--batch", "0"],
        ["--precision", "fp64"],
        ["--cache-fraction", "2"],
        ["--layer-precision", "x"],
    ):
        result = runner.invoke(app, ["analyze", "mbv3_small", *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_version() -> None:
    from costmodel import __version__

    assert ok(["--version"]).strip() == f"costmodel {__version__}"


def test_validate_a_directory(tmp_path: Path) -> None:
    text = ok(["validate", str(ARCHSPECS)])
    assert text.count("ok  ") == len(list(ARCHSPECS.glob("*.yaml")))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2 and "no *.yaml spec" in result.output


def test_zoo_shows_params_and_macs() -> None:
    line = next(line for line in ok(["zoo"]).splitlines() if "mbv3_small " in line)
    # torchvision's mobilenet_v3_small: 2,542,856 params and 56,510,400 MACs, printed to 3 digits
    assert "2.54M" in line and "56.5M" in line


def test_unknown_profile_suggests_a_name() -> None:
    result = runner.invoke(app, ["analyze", "mbv3_small", "--hw", "snapdragon85"])
    assert result.exit_code == 2 and "did you mean 'snapdragon855'" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "mbv3_small"],
        ["analyze", "nasnet_a_mobile", "--group-by", "layer"],
        ["diff", str(ARCHSPECS / "mbv3_large_original_last_stage.yaml"), "mbv3_large"],
        ["sweep", "mbv3_small", "--widths", "0.5,1", "--batches", "1,8", "--precisions", "fp32,int8"],
        ["hw", "list"],
        ["zoo"],
    ],
)
def test_an_80_column_terminal_gets_whole_numbers_and_names(args: list[str]) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout  # rich's mark of a cut cell
    if args[0] == "hw":  # every name one types after --hw appears whole
        names = {
            line.split("│")[1].strip()
            for line in lines
            if line.startswith("│") and line.split("│")[1].strip()
        }
        assert {p.stem for p in list_profiles()} <= names


def test_columns_and_wide() -> None:
    text = runner.invoke(
        app, ["analyze", "mbv3_small", "--columns", "macs,latency_s"], env={"COLUMNS": "80"}
    ).stdout
    header = next(line for line in text.splitlines() if "block" in line and "MACs" in line)
    assert "latency" in header and "params" not in header
    wide = runner.invoke(app, ["analyze", "mbv3_small", "--wide"], env={"COLUMNS": "80"}).stdout
    header = next(line for line in wide.splitlines() if "block" in line and "MACs" in line)
    assert max(len(line) for line in wide.splitlines()) > 80  # every column, however wide
    assert all(h in header for h in ("params", "weights", "DRAM", "bound", "latency", "energy"))
    result = runner.invoke(app, ["analyze", "mbv3_small", "--columns", "latncy"])
    assert result.exit_code == 2 and "did you mean" in result.output


SPEC_WITH_VARS = """version: 1
name: tiny
input: [3, 8, 8]
vars: {c: 16, deep: false}
stages:
  s:
    - {op: conv2d, out: c, kernel: 3, norm: none, act: none}
    - {op: conv2d, out: c, kernel: 1, norm: none, act: none, when: deep}
"""


def test_set_gives_a_spec_var_another_value(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC_WITH_VARS)

    def totals(*args: str) -> tuple[int, int]:
        data = json.loads(ok(["analyze", str(spec), "--format", "json", *args]))
        return data["totals"]["params"], data["totals"]["macs"]

    # a 3x3 conv, 3 -> c channels with a bias, on 8x8 ('same' padding): params c*27 + c, MACs c*27*64
    assert totals() == (16 * 27 + 16, 16 * 27 * 64)
    assert totals("--set", "c=32") == (32 * 27 + 32, 32 * 27 * 64)
    # and a 1x1 conv c -> c with a bias when `deep` is set
    assert totals("--set", "c=32", "--set", "deep=true") == (
        32 * 27 + 32 + 32 * 32 + 32,
        (32 * 27 + 32 * 32) * 64,
    )
    data = json.loads(ok(["analyze", str(spec), "--set", "c=32", "--format", "json"]))
    assert data["options"]["spec_vars"] == [["c", 32]]
    for bad, message in (
        (["--set", "dep=true"], "did you mean 'deep'"),
        (["--set", "c=wide"], "expected a value like 16"),
        (["--set", "deep=1"], "expected a value like False"),
        (["--set", "c"], "NAME=VALUE"),
    ):
        result = runner.invoke(app, ["analyze", str(spec), *bad])
        assert result.exit_code == 2 and message in result.output, (bad, result.output)
    diff = json.loads(ok(["diff", str(spec), "--set-b", "c=32", "--format", "json"]))
    params = next(t for t in diff["totals"] if t["metric"] == "params")
    assert (params["a"], params["b"]) == (16 * 27 + 16, 32 * 27 + 32)
