"""The diff of two analyses for a terminal (header, totals, aligned rows, summary) and as JSON.
Formatting only: every number shown is a field or property of a `DiffResult`, and nothing here
prints. Deltas are B - A: green where B is better (lower, for most metrics), red where worse.
"""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costmodel.cost.analysis import CONVENTIONS, AnalysisResult
from costmodel.present.compare import DiffResult, RowPair
from costmodel.present.metrics import METRICS
from costmodel.present.terminal import options_line
from costmodel.present.units import human, human_count, human_seconds, percent, signed
from costmodel.present.versioned import versioned

BETTER, WORSE = "green", "red"


def _style(delta: float, lower_is_better: bool = True) -> str | None:
    if delta == 0:
        return None
    return BETTER if (delta < 0) == lower_is_better else WORSE


def _side_header(tag: str, label: str, result: AnalysisResult) -> Text:
    text = Text()
    text.append(f"{tag} ", style="bold")
    text.append(f"{label}: ", style="bold")
    text.append(f"{result.spec_title or result.spec_name}  ({result.spec_file})\n")
    text.append("   hardware: ")
    text.append(f"{result.hardware_title} ({result.hardware_name}) · {options_line(result)}\n")
    return text


def diff_header(diff: DiffResult) -> Text:
    label_a, label_b = diff.labels
    text = _side_header("A", label_a, diff.a)
    text.append_text(_side_header("B", label_b, diff.b))
    lines = list(CONVENTIONS) + list(diff.a.assumptions)
    lines += [line for line in diff.b.assumptions if line not in diff.a.assumptions]
    for line in lines:
        text.append(f"· {line}\n", style="dim")
    text.append("· deltas are B - A, percentages relative to A; ", style="dim")
    text.append("green", style=BETTER)
    text.append(" = lower (better), ", style="dim")
    text.append("red", style=WORSE)
    text.append(" = higher (worse)\n", style="dim")
    return text


def diff_totals_table(diff: DiffResult) -> Table:
    label_a, label_b = diff.labels
    table = Table(title="Totals", title_justify="left", header_style="bold")
    for header, justify in (
        ("metric", "left"),
        (f"A: {label_a}", "right"),
        (f"B: {label_b}", "right"),
        ("B - A", "right"),
        ("%", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for t in diff.totals:
        metric = METRICS[t.key]
        style = _style(t.delta, metric.lower_is_better)
        table.add_row(
            metric.label,
            human(metric.kind, t.a),
            human(metric.kind, t.b),
            Text(signed(metric.kind, t.delta), style=style or ""),
            Text(percent(t.percent), style=style or ""),
        )
    return table


_STATUS_STYLE = {"same": "dim", "changed": "", "added": "cyan", "removed": "magenta"}


def _delta_cell(pair: RowPair, key: str) -> Text:
    metric = METRICS[key]
    delta = pair.delta(key)
    return Text(signed(metric.kind, delta), style=_style(delta, metric.lower_is_better) or "")


def diff_rows_table(diff: DiffResult, only_changed: bool = False) -> Table:
    group_by = diff.group_by
    table = Table(
        title=f"Per {group_by} (aligned by name, then by structure)",
        title_justify="left",
        header_style="bold",
        show_footer=True,
        footer_style="bold",
    )
    show_op = group_by not in ("stage", "op")
    columns: list[tuple[str, str, str]] = [(group_by, "left", "total")]
    if show_op:
        columns.append(("op", "left", ""))
    total = {t.key: t for t in diff.totals}
    columns += [
        ("status", "left", ""),
        ("Δ params", "right", signed("count", total["params"].delta)),
        ("MACs A", "right", human_count(total["macs"].a)),
        ("MACs B", "right", human_count(total["macs"].b)),
        ("Δ MACs", "right", signed("count", total["macs"].delta)),
        ("Δ DRAM", "right", signed("bytes", total["dram_bytes"].delta)),
        ("latency A", "right", human_seconds(total["latency_s"].a)),
        ("latency B", "right", human_seconds(total["latency_s"].b)),
        ("Δ latency", "right", signed("seconds", total["latency_s"].delta)),
        ("Δ lat %", "right", percent(total["latency_s"].percent)),
        ("Δ energy", "right", signed("joules", total["energy_j"].delta)),
    ]
    for header, justify, footer in columns:
        table.add_column(
            header,
            justify=justify,  # type: ignore[arg-type]
            footer=footer,
            no_wrap=header == group_by,
        )
    for pair in diff.pairs:
        if only_changed and pair.status == "same":
            continue
        lat = pair.delta("latency_s")
        cells: list[str | Text] = [Text(pair.name, style="bold" if pair.renamed else "")]
        if show_op:
            cells.append(pair.op)
        cells += [
            Text(pair.status + (" (renamed)" if pair.renamed else ""), style=_STATUS_STYLE[pair.status]),
            _delta_cell(pair, "params"),
            human("count", pair.value("a", "macs")),
            human("count", pair.value("b", "macs")),
            _delta_cell(pair, "macs"),
            _delta_cell(pair, "dram_bytes"),
            human("seconds", pair.value("a", "latency_s")),
            human("seconds", pair.value("b", "latency_s")),
            _delta_cell(pair, "latency_s"),
            Text(percent(pair.percent("latency_s")), style=_style(lat) or ""),
            _delta_cell(pair, "energy_j"),
        ]
        table.add_row(*cells)
    return table


def diff_summary(diff: DiffResult) -> Text:
    text = Text()
    text.append("B vs A: ", style="bold")
    parts = []
    for key in ("macs", "params", "latency_s", "energy_j"):
        t = diff.total(key)
        metric = METRICS[key]
        exact = f"{t.delta:+,} = " if metric.kind == "count" and t.delta else ""
        parts.append(
            (
                f"{metric.label} {exact}{signed(metric.kind, t.delta)} ({percent(t.percent)})",
                _style(t.delta, metric.lower_is_better),
            )
        )
    for k, (part, style) in enumerate(parts):
        if k:
            text.append(" · ")
        text.append(part, style=style or "")
    counts = ", ".join(f"{diff.count(s)} {s}" for s in ("same", "changed", "added", "removed"))
    text.append(f"\nrows by {diff.group_by}: {counts}")
    return text


def diff_view(diff: DiffResult, only_changed: bool = False) -> RenderableType:
    return Group(
        diff_header(diff), diff_totals_table(diff), diff_rows_table(diff, only_changed), diff_summary(diff)
    )


def diff_json(diff: DiffResult) -> str:
    return json.dumps(versioned(diff.to_dict()), indent=2, ensure_ascii=False)
