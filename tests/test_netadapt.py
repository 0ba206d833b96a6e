"""NetAdapt: mbv3_large on the Snapdragon 855 down to 80% of its latency (the issue's acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import spec_named
from typer.testing import CliRunner

from cli import app
from costmodel.commands.adapt import parse_target
from costmodel.compress.design import spec_text
from costmodel.compress.netadapt import adapt
from costmodel.cost.analysis import analyze_graph
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError
from costmodel.graph.build import build_graph
from costmodel.hw import HardwareProfile
from costmodel.spec.model import parse_spec


def test_mbv3_large_to_80_percent(sd855: HardwareProfile) -> None:
    graph = build_graph(spec_named("mbv3_large"))
    original = analyze_graph(graph, sd855).total.latency_s
    steps = adapt(graph, sd855, AnalysisOptions(), 0.8 * original)
    latencies = [s.latency_s for s in steps]
    assert latencies[0] == original and latencies[-1] <= 0.8 * original
    for before, after in zip(latencies, latencies[1:], strict=False):
        assert before - after >= 0.01 * original  # every step saves at least Delta R
    for step in steps[1:]:
        # every step's design is a valid spec that reads back to the same latency
        spec = parse_spec(spec_text(step.graph, f"s{step.step}"), f"s{step.step}.yaml")
        assert analyze_graph(build_graph(spec), sd855).total.latency_s == pytest.approx(step.latency_s)


def test_parse_target_and_errors(sd855: HardwareProfile) -> None:
    assert parse_target("0.5", 2.0) == 1.0
    assert parse_target("12ms", 1.0) == pytest.approx(0.012)
    for bad in ("1.5", "0", "fast"):
        with pytest.raises(CostModelError):
            parse_target(bad, 1.0)
    graph = build_graph(spec_named("mbv2"))
    with pytest.raises(CostModelError):
        adapt(graph, sd855, AnalysisOptions(), 10.0)  # not below the latency
    with pytest.raises(CostModelError):
        adapt(graph, sd855, AnalysisOptions(), 1e-9)  # out of reach


def test_adapt_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["adapt", "mbv2", "--target", "0.97", "--delta-r", "0.02", "--out-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "proxy" in result.stdout and list(tmp_path.glob("mbv2_step*.yaml"))
    assert runner.invoke(app, ["adapt", "mbv2", "--target", "2"]).exit_code == 2
