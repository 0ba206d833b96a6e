"""design/report.py: the Pareto table and the Pareto plot of a search, on hand-made trials whose
Pareto set is worked out by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest
from rich.console import Console

from costmodel.design import report
from costmodel.design.evaluate import Problem
from costmodel.design.session import SearchSettings, build_problem, pareto_set

# (name, accuracy %, latency ms, MACs, params, peak activation bytes): accuracy is maximised and
# latency minimised. By hand: c (69 %, 15 ms) is dominated by a (70 %, 10 ms), e (74 %, 50 ms) by
# d (75 %, 40 ms), f is infeasible; the Pareto set is d, b, a (best accuracy first).
POINTS = [
    ("a", 70.0, 10.0, 300_000_000, 3_500_000, 2_000_000),
    ("b", 72.0, 20.0, 450_000_000, 4_200_000, 3_000_000),
    ("c", 69.0, 15.0, 320_000_000, 3_600_000, 2_500_000),
    ("d", 75.0, 40.0, 1_200_000_000, 12_000_000, 9_600_000),
    ("e", 74.0, 50.0, 1_500_000_000, 13_000_000, 9_700_000),
    ("f", 99.0, 1.0, 1_000, 10, 100),
]


@pytest.fixture(scope="module")
def problem() -> Problem:
    return build_problem(SearchSettings("mnasnet_mbv2"))


def _records() -> list[dict[str, Any]]:
    return [
        {"name": name, "accuracy": acc, "latency_s": ms / 1e3, "macs": macs, "params": params,
         "peak_activation_bytes": peak, "reward": math.nan, "feasible": name != "f"}
        for name, acc, ms, macs, params, peak in POINTS
    ]  # fmt: skip


def test_pareto_set_of_hand_made_points(problem: Problem) -> None:
    assert [r["name"] for r in pareto_set(problem, _records())] == ["d", "b", "a"]


def test_pareto_table_rows(problem: Problem) -> None:
    front = pareto_set(problem, _records())
    table = report.pareto_table(problem, front, trials=6)
    assert [c.header for c in table.columns] == [
        "name", "accuracy", "reward", "latency", "MACs", "params", "peak act."
    ]  # fmt: skip
    rows = [[str(cell) for cell in column.cells] for column in table.columns]
    assert list(zip(*rows, strict=True)) == [
        ("d", "75.00 proxy", "-", "40.000 ms", "1.2G", "12M", "9.6 MB"),
        ("b", "72.00 proxy", "-", "20.000 ms", "450M", "4.2M", "3 MB"),
        ("a", "70.00 proxy", "-", "10.000 ms", "300M", "3.5M", "2 MB"),
    ]
    console = Console(width=200, record=True)
    console.print(table)
    text = console.export_text()
    assert "Pareto set of 6 trials (accuracy max, latency_s min)" in text


def test_pareto_table_shows_the_reward(problem: Problem) -> None:
    record = _records()[0] | {"reward": 0.6543}
    table = report.pareto_table(problem, [record], trials=1)
    assert [str(c) for c in table.columns[2].cells] == ["0.654"]


def test_pareto_plot_draws_trials_front_and_zoo(problem: Problem, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    from costmodel.present import plots

    drawn: list[Any] = []
    monkeypatch.setattr(plots, "_save", lambda fig, fmt: drawn.append(fig) or b"plot")
    monkeypatch.setattr(
        report, "zoo_points", lambda problem: [("zoo_a", 0.012, 71.0), ("zoo_b", 0.030, 76.5)]
    )
    records = _records()
    assert report.pareto_plot(problem, records, pareto_set(problem, records), "svg") == b"plot"
    (axes,) = drawn[0].axes
    trials, *zoo = axes.collections
    assert [tuple(p) for p in trials.get_offsets()] == [(ms, acc) for _, acc, ms, *_ in POINTS]
    # The Pareto set as a line in order of latency (ms): a, b, d.
    (line,) = axes.lines
    assert list(line.get_xdata()) == [10.0, 20.0, 40.0] and list(line.get_ydata()) == [70.0, 72.0, 75.0]
    assert [tuple(c.get_offsets()[0]) for c in zoo] == [(12.0, 71.0), (30.0, 76.5)]
    assert [t.get_text() for t in axes.texts] == ["zoo_a", "zoo_b"]
    assert axes.get_xscale() == "log" and "proxy" in axes.get_ylabel()
    assert axes.get_title().startswith("mnasnet_mbv2: 6 trials")


def test_zoo_points_carry_the_published_top1(problem: Problem) -> None:
    points = {name: (seconds, top1) for name, seconds, top1 in report.zoo_points(problem)}
    assert points["mbv2"][1] == 71.878  # archspecs/mbv2.yaml: torchvision's published top-1
    assert all(seconds > 0 for seconds, _ in points.values())
