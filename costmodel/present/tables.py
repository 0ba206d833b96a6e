"""Renderers of diffs and report tables. Formatting only: every number shown is a field or property
of a `DiffResult` or `ReportTable` (the same `AnalysisResult` rows `analyze` shows), and nothing
here prints (cli.py does).

People's formats (terminal, markdown, LaTeX, HTML) humanize numbers: a report column gets one unit
for all its rows (`latency (ms)`), as a paper table has. Machine formats (csv, json) write exact
values under unit-suffixed keys: integers as integers, floats with every digit (`repr`).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costmodel.cost.analysis import CONVENTIONS, AnalysisResult
from costmodel.errors import CostModelError, ErrorCode
from costmodel.present.compare import DiffResult, RowPair
from costmodel.present.metrics import METRICS
from costmodel.present.report import ReportTable
from costmodel.present.terminal import _options_line, human_bytes, human_count, human_joules, human_seconds

BETTER, WORSE = "green", "red"

# -- numbers for people ---------------------------------------------------------------------------

_HUMAN: dict[str, Callable[[float], str]] = {
    "count": human_count,
    "bytes": human_bytes,
    "seconds": human_seconds,
    "joules": human_joules,
    "share": lambda v: f"{100 * v:.0f}%",
}


def human(kind: str, value: Any) -> str:
    """One value with its own unit ('22.6 ms'); text as is."""
    if value is None:
        return "-"
    if kind in _HUMAN:
        return _HUMAN[kind](value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def signed(kind: str, value: float) -> str:
    """A delta: '+34.3M', '-2.29 ms', '0'; a share in percentage points."""
    if value == 0:
        return "0"
    sign = "+" if value > 0 else "-"
    if kind == "share":
        return f"{sign}{100 * abs(value):.1f} pp"
    return sign + human(kind, abs(value))


def percent(value: float | None) -> str:
    if value is None:
        return "new"
    return "0%" if value == 0 else f"{value:+.1f}%"


def _style(delta: float, lower_is_better: bool = True) -> str | None:
    if delta == 0:
        return None
    return BETTER if (delta < 0) == lower_is_better else WORSE


_SCALES: dict[str, tuple[tuple[float, str], ...]] = {
    "count": ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")),
    "bytes": ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"), (1, "B")),
    "seconds": ((1, "s"), (1e-3, "ms"), (1e-6, "µs")),
    "joules": ((1, "J"), (1e-3, "mJ"), (1e-6, "µJ")),
}


def column_scale(kind: str, values: list[Any]) -> tuple[float, str]:
    """One divisor and unit for a whole column, chosen by its largest value."""
    if kind == "share":
        return 0.01, "%"
    scales = _SCALES.get(kind)
    if scales is None:
        return 1.0, ""
    largest = max((abs(v) for v in values if v is not None), default=0)
    for scale, unit in scales:
        if largest >= scale:
            return scale, unit
    return scales[-1]


def three_digits(value: float) -> str:
    """About three significant digits, never an exponent: 138, 22.6, 5.48, 0.031."""
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    digits = min(6, 2 - math.floor(math.log10(size)))
    return f"{value:.{digits}f}"


def _people_table(table: ReportTable) -> tuple[list[tuple[str, str]], list[list[str]], list[bool]]:
    """Headers (label, unit), cells humanized per column, and which columns are numeric."""
    headers: list[tuple[str, str]] = []
    cells: list[list[str]] = [[] for _ in table.rows]
    numeric: list[bool] = []
    for k, col in enumerate(table.columns):
        values = [row[k] for row in table.rows]
        is_number = col.kind != "text"
        numeric.append(is_number or all(isinstance(v, int | float) for v in values))
        if is_number:
            scale, unit = column_scale(col.kind, values)
            headers.append((col.label, unit))
            for out, value in zip(cells, values, strict=True):
                if col.kind == "share":
                    out.append(f"{100 * value:.1f}")
                elif col.kind == "count" and scale == 1:
                    out.append(f"{value:,}")
                else:
                    out.append(three_digits(value / scale))
        else:
            headers.append((col.label, ""))
            for out, value in zip(cells, values, strict=True):
                out.append(human("text", value))
    return headers, cells, numeric


# -- report formats -------------------------------------------------------------------------------


def _header(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def report_markdown(table: ReportTable) -> str:
    headers, cells, numeric = _people_table(table)
    lines = [
        "| " + " | ".join(_md_escape(_header(*h)) for h in headers) + " |",
        "|" + "|".join("---:" if n else ":---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "µ": r"$\mu$",
    "→": r"$\rightarrow$",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def report_latex(table: ReportTable) -> str:
    headers, cells, numeric = _people_table(table)
    lines = [
        "% costmodel report; needs \\usepackage{booktabs}",
        "\\begin{table}[t]",
        "\\centering",
        "\\caption{Parameters, multiply-accumulates (MACs), weights, peak activation memory, "
        "roofline latency and energy predicted by costmodel.}",
        "\\label{tab:costmodel}",
        "\\begin{tabular}{" + "".join("r" if n else "l" for n in numeric) + "}",
        "\\toprule",
        " & ".join(latex_escape(_header(*h)) for h in headers) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + " \\\\" for row in cells]
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines) + "\n"


_HTML_STYLE = """\
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 2rem auto; max-width: 84rem; padding: 0 1rem; color: #1f2328; }
div.scroll { overflow-x: auto; }
h1 { font-size: 1.4rem; margin-bottom: 0.2rem; }
p.sub { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; margin: 1.2rem 0; font-size: 0.95rem; }
caption { text-align: left; color: #59636e; padding-bottom: 0.4rem; }
th, td { padding: 0.35rem 0.7rem; white-space: nowrap; }
thead th { border-top: 2px solid #1f2328; border-bottom: 1px solid #1f2328; vertical-align: bottom; }
th span.unit { font-weight: normal; color: #59636e; }
tbody tr:last-child td { border-bottom: 2px solid #1f2328; }
tbody tr:nth-child(even) { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text, th.text { text-align: left; }
h2.notes { font-size: 1rem; margin-top: 1.5rem; }
ul.notes { color: #59636e; font-size: 0.85rem; padding-left: 1.2rem; }"""


def report_html(table: ReportTable, title: str = "costmodel report") -> str:
    headers, cells, numeric = _people_table(table)
    esc = html.escape

    def cls(n: bool) -> str:
        return "num" if n else "text"

    def th(label: str, unit: str, n: bool) -> str:
        unit_html = f'<br><span class="unit">({esc(unit)})</span>' if unit else ""
        return f'<th class="{cls(n)}">{esc(label)}{unit_html}</th>'

    head = "".join(th(label, unit, n) for (label, unit), n in zip(headers, numeric, strict=True))
    body = "\n".join(
        "<tr>"
        + "".join(f'<td class="{cls(n)}">{esc(c)}</td>' for c, n in zip(row, numeric, strict=True))
        + "</tr>"
        for row in cells
    )
    notes = "\n".join(f"<li>{esc(n)}</li>" for n in table.notes)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
{_HTML_STYLE}
</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p class="sub">Analytical estimates: exact counts, roofline latency and energy on the hardware
profiles named below.</p>
<div class="scroll"><table>
<caption>One row per model, hardware profile and option set.</caption>
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table></div>
<h2 class="notes">Conventions and assumptions</h2>
<ul class="notes">
{notes}
</ul>
</body>
</html>
"""


def report_csv(table: ReportTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return out.getvalue()


def report_json(table: ReportTable) -> str:
    return json.dumps(table.to_dict(), indent=2, ensure_ascii=False) + "\n"


# The report formats, in the order `costmodel report --format` lists them (markdown, the default, first).
REPORT_RENDERERS: dict[str, Callable[[ReportTable], str]] = {
    "markdown": report_markdown,
    "csv": report_csv,
    "latex": report_latex,
    "html": report_html,
    "json": report_json,
}


def render_report(table: ReportTable, fmt: str) -> str:
    if fmt not in REPORT_RENDERERS:
        raise CostModelError(
            ErrorCode.OPTION,
            f"unknown report format '{fmt}' (expected one of: {', '.join(REPORT_RENDERERS)})",
        )
    return REPORT_RENDERERS[fmt](table)


# -- diff -----------------------------------------------------------------------------------------


def _side_header(tag: str, label: str, result: AnalysisResult) -> Text:
    text = Text()
    text.append(f"{tag} ", style="bold")
    text.append(f"{label}: ", style="bold")
    text.append(f"{result.spec_title or result.spec_name}  ({result.spec_file})\n")
    text.append("   hardware: ")
    text.append(f"{result.hardware_title} ({result.hardware_name}) · {_options_line(result)}\n")
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
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False)
