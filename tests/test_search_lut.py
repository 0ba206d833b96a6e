"""`costmodel lut`: per-stage latency tables, and how far their sums are from the analysis."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.design.lut import build_lut, lookup, lut_sum
from costmodel.design.space import Candidate, Space, load_space
from costmodel.hw.load import load_profile

runner = CliRunner()


def _candidates(space: Space, count: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    return [tuple(rng.randrange(len(d.values)) for d in space.decisions) for _ in range(count)]


def test_one_entry_per_stage_choice_and_input_shape() -> None:
    space = load_space("mnasnet_mbv2")
    entries = build_lut(space, load_profile("snapdragon855"))
    # stem and head have no choices; each of the 7 stages 3 x 2 x 2 x 3 = 36, one input shape each
    # (the space keeps MobileNetV2's output channels).
    assert len(entries) == 1 + 7 * 36 + 1
    assert {e.stage for e in entries} == set(space.base.stages)


def _gaps(hw_name: str) -> list[float]:
    """Relative latency gap (table sum / analysis - 1) over a few candidates, checking on the
    way that params, MACs and kernels add up exactly and energy is overestimated."""
    space, hw = load_space("mnasnet_mbv2"), load_profile(hw_name)
    entries = build_lut(space, hw)
    gaps = []
    for candidate in _candidates(space, 6, seed=5):
        chosen = lookup(entries, space, candidate)
        result = analyze(space.spec(candidate), hw, space.options(candidate))
        assert sum(e.params for e in chosen) == result.totals.params
        assert sum(e.macs for e in chosen) == result.totals.macs
        assert sum(e.kernels for e in chosen) == result.kernels  # no fusion across stages here
        assert lut_sum(chosen, "energy_j") > result.totals.energy_j  # hand-overs pay DRAM energy
        gaps.append(lut_sum(chosen, "latency_s") / result.totals.latency_s - 1)
    return gaps


def test_sum_of_entries_against_the_assembled_candidate() -> None:
    """Params and MACs add up exactly. Latency of the table is at least the analysis: in the
    assembled model a tensor handed to the next stage may stay on chip, the table reads and
    writes every stage's input and output through DRAM. On the phone (on-chip 2 MiB, kernels
    mostly compute-bound) the saved DRAM time hides under compute; on the Edge TPU (8 MiB SRAM,
    fast compute) memory-bound hand-overs make the table overestimate much more."""
    phone, tpu = _gaps("snapdragon855"), _gaps("edgetpu")
    assert all(gap >= -1e-12 for gap in phone + tpu)
    assert max(phone) < min(tpu)


def test_without_the_on_chip_cache_the_table_adds_up() -> None:
    """With every activation through DRAM (--no-cache) nothing crosses a stage border on chip,
    and the sum over the stages is the analysis (up to the order of the float additions)."""
    space, hw = load_space("mnasnet_mbv2"), load_profile("snapdragon855")
    options = AnalysisOptions(cache=False)
    entries = build_lut(space, hw, options)
    for candidate in _candidates(space, 4, seed=6):
        result = analyze(space.spec(candidate), hw, options)
        chosen = lookup(entries, space, candidate)
        assert lut_sum(chosen, "latency_s") == pytest.approx(result.totals.latency_s, rel=1e-12)
        assert lut_sum(chosen, "energy_j") == pytest.approx(result.totals.energy_j, rel=1e-12)


def test_lut_command_writes_csv_and_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["lut", "mnasnet_mbv2", "--hw", "snapdragon855", "-o", str(tmp_path / "t.json")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["space"] == "mnasnet_mbv2" and len(data["entries"]) == 254
    assert data["entries"][0]["input_shape"] == [3, 224, 224]
    result = runner.invoke(app, ["lut", "mnasnet_mbv2", "-o", str(tmp_path / "t.csv")])
    assert result.exit_code == 0
    header = (tmp_path / "t.csv").read_text().splitlines()[0]
    assert header.startswith("stage,choices,width,depth,input_shape,output_shape,latency_s")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nbase: mbv2\nchoices: {'s9.*': {kernel: [3]}}\n")
    result = runner.invoke(app, ["lut", str(bad)])
    assert result.exit_code == 2 and "bad.yaml:4" in result.output
    assert runner.invoke(app, ["lut", "mnasnet_mbv2", "--format", "xml"]).exit_code == 2
