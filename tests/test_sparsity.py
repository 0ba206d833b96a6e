"""Sparsity what-ifs (costmodel/cost/sparsity.py): compressed weight bytes, and skipped MACs only
on units that declare 2:4 support. Expected values are worked out here from the layer's shape."""

from __future__ import annotations

import math

import pytest
from conftest import run
from typer.testing import CliRunner

from cli import app
from costmodel.errors import CostModelError
from costmodel.hw import load_profile

# alexnet's head.fc7: a 4096 -> 4096 linear layer with a bias
FC7_PARAMS = 4096 * 4096 + 4096


def _row(result, name: str):
    return next(row for row in result.rows("node") if row.name == name)


def test_2to4_without_support_halves_values_adds_metadata_keeps_time(sd855) -> None:
    dense = _row(run("alexnet", sd855), "head.fc7")
    sparse = _row(run("alexnet", sd855, sparsity=(("head.fc7", "2:4"),)), "head.fc7")
    kept = FC7_PARAMS // 2  # 2 of every 4
    assert sparse.weight_bytes == kept * 4 + kept * 2 // 8  # fp32 values + 2-bit index each
    assert sparse.compute_s == dense.compute_s
    assert sparse.params == dense.params and sparse.macs == dense.macs


def test_unstructured_stores_values_and_16_bit_indices(sd855) -> None:
    sparse = _row(run("alexnet", sd855, sparsity=(("head.*", "0.75"),)), "head.fc7")
    kept = FC7_PARAMS - (FC7_PARAMS * 3) // 4
    assert sparse.weight_bytes == kept * 4 + kept * 2


def test_2to4_halves_compute_time_on_h100() -> None:
    h100 = load_profile("h100")
    dense = run("alexnet", h100, precision="fp16")
    sparse = run("alexnet", h100, precision="fp16", sparsity=(("head.fc*", "2:4"),))
    work = h100.utilisation
    assert work is not None
    for name, k in (("head.fc6", 256 * 6 * 6), ("head.fc7", 4096)):
        before, after = _row(dense, name), _row(sparse, name)
        # the work model at batch 1: 4096 outputs = 1 x 64 tiles of 64 x 64 on the SMs; K MACs per output
        tiles = math.ceil(4096 / work.gemm_tile["linear"][1])
        units = work.parallel_units
        utilisation = tiles / (math.ceil(tiles / units) * units) * k / (k + work.reduction_half)
        # h100.yaml: fp16 tensor-core peak 494.5e12 MAC/s, linear efficiency 0.3; a bias add's ops stay dense
        rate = 494.5e12 * 0.3 * utilisation
        assert before.compute_s == pytest.approx((before.macs + before.ops) / rate)
        assert after.compute_s == pytest.approx((before.macs / 2 + before.ops) / rate)
    assert _row(sparse, "s2.conv3").compute_s == _row(dense, "s2.conv3").compute_s


def test_unstructured_leaves_h100_compute_time() -> None:
    h100 = load_profile("h100")
    dense = _row(run("alexnet", h100, precision="fp16"), "head.fc7")
    sparse = _row(run("alexnet", h100, precision="fp16", sparsity=(("head.fc7", "0.5"),)), "head.fc7")
    assert sparse.compute_s == dense.compute_s


def test_bad_sparsity_is_one_line_exit_2() -> None:
    for value in ("nothing.*=2:4", "head.*=1.5", "head.*=0", "head.*=4:2", "head.*"):
        result = CliRunner().invoke(app, ["analyze", "alexnet", "--sparsity", value])
        assert result.exit_code == 2, (value, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_glob_matching_nothing_is_an_error(sd855) -> None:
    with pytest.raises(CostModelError, match="matches no conv or linear"):
        run("alexnet", sd855, sparsity=(("nothing.*", "0.5"),))


def test_a_rule_shadowed_by_an_earlier_one_names_it(sd855) -> None:
    # head.* takes fc6, fc7 and fc8 first: head.fc7 then has nothing left, which is not "no layer"
    with pytest.raises(CostModelError) as err:
        run("alexnet", sd855, sparsity=(("head.*", "0.5"), ("head.fc7", "2:4")))
    message = str(err.value)
    assert "'head.fc7'" in message and "taken by the earlier rule 'head.*'" in message
    assert "matches no conv" not in message
    result = CliRunner().invoke(
        app, ["analyze", "alexnet", "--sparsity", "head.*=0.5", "--sparsity", "head.fc7=2:4"]
    )
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
