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


def _step1_names(design: str) -> list[str]:
    """The names of every proposal of NetAdapt's first step on `design` (its prunable groups)."""
    from costmodel.compress.groups import groups_of, trace_channels
    from costmodel.compress.netadapt import proposal_name

    graph = build_graph(spec_named(design))
    return [proposal_name(design, 1, g.name) for g in groups_of(trace_channels(graph), graph) if g.prunable]


def test_adapt_takes_measured_accuracies_from_a_csv(tmp_path: Path) -> None:
    names = _step1_names("mbv2")
    winner = names[len(names) // 2]  # the only proposal that gains accuracy: it must be taken
    rows = ["name,accuracy", "mbv2,70"] + [f"{n},{90 if n == winner else 10}" for n in names]
    table = tmp_path / "measured.csv"
    table.write_text("\n".join(rows) + "\n")
    runner = CliRunner()
    args = ["adapt", "mbv2", "--target", "0.985", "--delta-r", "0.02", "--accuracy", str(table)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    group = winner.removeprefix("mbv2_step01_")
    assert group in result.stdout and f"accuracy: csv {table}" in result.stdout.replace("\n", "")
    assert "(proxy)" not in result.stdout
    table.write_text("name,accuracy\nmbv2,70\n")  # no proposal measured: one line, exit 2
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "no accuracy for candidate 'mbv2_step01_" in missing.output


def test_adapt_takes_a_callable_given_each_designs_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "adapt_scorer.py").write_text(
        "def top1(spec):\n    assert spec.name.startswith('mbv2')\n    return 50.0 + len(spec.name) % 7\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    args = ["adapt", "mbv2", "--target", "0.985", "--delta-r", "0.02", "--accuracy", "adapt_scorer:top1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "callable adapt_scorer:top1" in result.stdout.replace("\n", "") and "(proxy)" not in result.stdout
    bad = CliRunner().invoke(app, ["adapt", "mbv2", "--accuracy", "no_such_module:f"])
    assert bad.exit_code == 2 and "cannot load it" in bad.output
