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
from costmodel.names import Status
from costmodel.present.compare import DiffResult, RowPair, TotalDelta
from costmodel.present.fit import NO_LIMIT, Col, TableFit, fitted_table
from costmodel.present.metrics import METRICS
from costmodel.present.terminal import options_line
from costmodel.present.units import human, percent, signed
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
    text.append(f"   runtime: {result.runtime.describe()}\n")
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
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
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


_STATUS_STYLE = {Status.SAME: "dim", Status.CHANGED: "", Status.ADDED: "cyan", Status.REMOVED: "magenta"}


def _delta_cell(pair: RowPair, key: str) -> Text:
    metric = METRICS[key]
    delta = pair.delta(key)
    return Text(signed(metric.kind, delta), style=_style(delta, metric.lower_is_better) or "")


def _value_col(total: TotalDelta, side: str, header: str, short: str = "") -> Col:
    """A's or B's value of a metric, its total in the footer."""
    kind = METRICS[total.key].kind
    footer = human(kind, total.a if side == "a" else total.b)
    return Col(
        f"{total.key}_{side}",
        header,
        lambda p: human(kind, p.value(side, total.key)),
        footer=footer,
        short=short,
    )


def _delta_col(total: TotalDelta, header: str, short: str = "") -> Col:
    """B - A of a metric, coloured, its total in the footer."""
    footer = signed(METRICS[total.key].kind, total.delta)
    return Col(f"{total.key}_delta", header, lambda p: _delta_cell(p, total.key), footer=footer, short=short)


def _pair_columns(diff: DiffResult) -> list[Col]:
    group_by = diff.group_by
    total = {t.key: t for t in diff.totals}

    def name(pair: RowPair) -> Text:
        return Text(pair.name, style="bold" if pair.renamed else "")

    def status(pair: RowPair) -> Text:
        return Text(pair.status + (" (renamed)" if pair.renamed else ""), style=_STATUS_STYLE[pair.status])

    def latency_percent(pair: RowPair) -> Text:
        return Text(percent(pair.percent("latency_s")), style=_style(pair.delta("latency_s")) or "")

    latency = total["latency_s"]
    columns = [
        Col("name", group_by, name, "left", "total", no_wrap=True),
        Col("op", "op", lambda p: p.op, "left"),
        Col("status", "status", status, "left"),
        _delta_col(total["params"], "Δ params"),
        _value_col(total["macs"], "a", "MACs A"),
        _value_col(total["macs"], "b", "MACs B"),
        _delta_col(total["macs"], "Δ MACs"),
        _delta_col(total["dram_bytes"], "Δ DRAM"),
        _value_col(latency, "a", "latency A", "lat A"),
        _value_col(latency, "b", "latency B", "lat B"),
        _delta_col(latency, "Δ latency", "Δ lat"),
        Col("latency_s_percent", "Δ lat %", latency_percent, footer=percent(latency.percent), short="Δ%"),
        _delta_col(total["energy_j"], "Δ energy", "Δ E"),
    ]
    if group_by in ("stage", "op"):
        columns = [c for c in columns if c.key != "op"]
    return columns


def diff_rows_table(diff: DiffResult, only_changed: bool = False, *, fit: TableFit = NO_LIMIT) -> Table:
    """The aligned rows with their values and deltas, and a total line. Columns as `fit` allows."""

    def new_table() -> Table:
        return Table(
            title=f"Per {diff.group_by} (aligned by name, then by structure)",
            title_justify="left",
            header_style="bold",
            show_footer=True,
            footer_style="bold",
        )

    pairs = [p for p in diff.pairs if not (only_changed and p.status is Status.SAME)]
    return fitted_table("diff", _pair_columns(diff), pairs, fit, new_table)


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
    counts = ", ".join(f"{diff.count(s)} {s}" for s in Status)
    text.append(f"\nrows by {diff.group_by}: {counts}")
    return text


def diff_view(diff: DiffResult, only_changed: bool = False, *, fit: TableFit = NO_LIMIT) -> RenderableType:
    """Header, totals side by side, the aligned rows (columns as `fit` allows) and a summary."""
    return Group(
        diff_header(diff),
        diff_totals_table(diff),
        diff_rows_table(diff, only_changed, fit=fit),
        diff_summary(diff),
    )


def diff_json(diff: DiffResult) -> str:
    return json.dumps(versioned(diff.to_dict()), indent=2, ensure_ascii=False)
