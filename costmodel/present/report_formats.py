"""Report tables for papers, rendered: markdown, LaTeX (booktabs) and HTML for people; csv and json
for machines. Formatting only: every number is a value of a `ReportTable` (built by
`costmodel.present.report`), and nothing here prints.

People's formats humanize numbers with one unit for all the rows of a column (`latency (ms)`), as a
paper table has. Machine formats write exact values under unit-suffixed keys: integers as integers,
floats with every digit (`repr`).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable

from costmodel.errors import CostModelError, ErrorCode
from costmodel.present.report import ReportTable
from costmodel.present.units import column_scale, human, three_digits
from costmodel.present.versioned import versioned
from costmodel.safe_text import markdown_cell, spreadsheet_cell


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


def _header(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def _md_escape(text: str) -> str:
    return markdown_cell(text)


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
        writer.writerow([repr(v) if isinstance(v, float) else spreadsheet_cell(v) for v in row])
    return out.getvalue()


def report_json(table: ReportTable) -> str:
    return json.dumps(versioned(table.to_dict()), indent=2, ensure_ascii=False) + "\n"


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
