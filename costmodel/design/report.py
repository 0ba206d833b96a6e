"""How a search is shown: the Pareto set as a table (with the reward), and a Pareto plot of
latency against accuracy with the zoo models as labelled reference points. Formatting only."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from costmodel.design.evaluate import Problem
from costmodel.present.units import human_bytes, human_count


def _accuracy_text(problem: Problem, value: float) -> str:
    return f"{value:.2f}" + (" proxy" if problem.accuracy.is_proxy else "")


def pareto_table(problem: Problem, front: list[dict[str, Any]], trials: int) -> Table:
    """The Pareto set: name, accuracy (labelled proxy), reward, the first profile's costs."""
    latency = problem.metric("latency_s")
    title = (
        f"{problem.space.name}: Pareto set of {trials} trials "
        f"({', '.join(f'{o.metric} {o.sense.value}' for o in problem.objectives)})"
    )
    table = Table(title=title, title_justify="left")
    for column in ("name", "accuracy", "reward", "latency", "MACs", "params", "peak act."):
        table.add_column(column, justify="left" if column == "name" else "right")
    for record in front:
        reward = record.get("reward")
        table.add_row(
            str(record["name"]),
            _accuracy_text(problem, float(record["accuracy"])),
            "-" if reward is None or (isinstance(reward, float) and math.isnan(reward)) else f"{reward:.3f}",
            f"{float(record[latency]) * 1e3:.3f} ms",
            human_count(int(record[problem.metric("macs")])),
            human_count(int(record[problem.metric("params")])),
            human_bytes(int(record[problem.metric("peak_activation_bytes")])),
        )
    return table


def zoo_points(problem: Problem) -> list[tuple[str, float, float]]:
    """(name, latency s, published top-1) of the zoo specs with a published accuracy, on the
    first profile."""
    from costmodel.cost.analysis import analyze
    from costmodel.cost.options import AnalysisOptions
    from costmodel.spec.model import bundled_specs, load_spec

    points = []
    hw = problem.profiles[0]
    for path in bundled_specs():
        spec = load_spec(path)
        if spec.accuracy is not None:
            options = AnalysisOptions(precision=None)
            points.append((spec.name, analyze(spec, hw, options).total.latency_s, spec.accuracy.top1))
    return points


def pareto_plot(
    problem: Problem, records: list[dict[str, Any]], front: list[dict[str, Any]], fmt: str
) -> bytes:
    """Latency (first profile, log scale) against accuracy: every trial, the Pareto set, the zoo."""
    from costmodel.present.plots import _pyplot, _save, plot_format

    plot_format(f"plot.{fmt}")
    plt = _pyplot()
    latency = problem.metric("latency_s")
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.scatter([r[latency] * 1e3 for r in records], [r["accuracy"] for r in records], s=4, alpha=0.3,
               color="tab:gray", label="trials")  # fmt: skip
    ordered = sorted(front, key=lambda r: r[latency])
    ax.plot([r[latency] * 1e3 for r in ordered], [r["accuracy"] for r in ordered], "o-", color="tab:blue",
            label="Pareto set")  # fmt: skip
    for name, seconds, top1 in zoo_points(problem):
        ax.scatter([seconds * 1e3], [top1], marker="s", color="tab:red")
        ax.annotate(name, (seconds * 1e3, top1), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(f"latency on {problem.profiles[0].name} (ms, predicted)")
    label = (
        "accuracy proxy (top-1 %, fit over the zoo)" if problem.accuracy.is_proxy else "top-1 accuracy (%)"
    )
    ax.set_ylabel(label)
    ax.set_title(f"{problem.space.name}: {len(records)} trials; zoo: published top-1 (red)")
    ax.legend(loc="lower right")
    return _save(fig, fmt)
