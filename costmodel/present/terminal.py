"""Renderers: turn results into rich renderables or text. They format; they never compute metrics
(everything shown is a field or property of the result) and never print (cli.py does)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costmodel.cost.analysis import CONVENTIONS, AnalysisResult, Row
from costmodel.hw.profile import HardwareProfile
from costmodel.present.units import human_bytes, human_count, human_joules, human_seconds
from costmodel.present.versioned import versioned

if TYPE_CHECKING:  # calibration is imported only by the commands that use it
    from costmodel.hw.calibrate import LatencyReport


def options_line(result: AnalysisResult) -> str:
    """precision, batch, width, resolution and input shape of an analysis, on one line."""
    o = result.options
    res = f"{o.resolution}x{o.resolution}" if o.resolution else "spec's"
    return (
        f"precision {result.precision_plan} · batch {o.batch} · width {o.width:g} · "
        f"resolution {res} · input {list(result.input_shape)}"
    )


def analysis_header(result: AnalysisResult) -> Text:
    text = Text()
    text.append(f"{result.spec_title or result.spec_name}", style="bold")
    text.append(f"  ({result.spec_file})\n")
    if result.spec_source:
        text.append(f"source: {result.spec_source}\n", style="dim")
    text.append("hardware: ", style="bold")
    text.append(f"{result.hardware_title}  ({result.hardware_name}: {result.hardware_file})\n")
    text.append("options: ", style="bold")
    text.append(options_line(result) + "\n")
    for line in CONVENTIONS + result.assumptions:
        text.append(f"· {line}\n", style="dim")
    return text


def rows_table(rows: list[Row], total: Row, title: str, group_by: str) -> Table:
    table = Table(
        title=title, title_justify="left", show_footer=True, header_style="bold", footer_style="bold"
    )
    columns: list[tuple[str, str, Any]] = [
        (group_by, "left", lambda r: r.name),
        ("op", "left", lambda r: r.op),
        ("out shape", "right", lambda r: "x".join(map(str, r.shape)) if r.shape else ""),
        ("params", "right", lambda r: human_count(r.params)),
        ("MACs", "right", lambda r: human_count(r.macs)),
        ("weights", "right", lambda r: human_bytes(r.weight_bytes)),
        ("act in+out", "right", lambda r: human_bytes(r.act_in_bytes + r.act_out_bytes)),
        ("DRAM", "right", lambda r: human_bytes(r.dram_bytes)),
        ("MAC/B", "right", lambda r: f"{r.intensity:.1f}" if r.dram_bytes else "-"),
        ("bound", "left", lambda r: r.bound),
        ("latency", "right", lambda r: human_seconds(r.latency_s)),
        (
            "lat %",
            "right",
            lambda r: f"{100 * r.latency_s / total.latency_s:.1f}" if total.latency_s else "-",
        ),
        ("energy", "right", lambda r: human_joules(r.energy_j)),
    ]
    if group_by == "stage":
        columns = [c for c in columns if c[0] != "op"]  # a stage mixes every kind of op
    for header, justify, cell in columns:
        footer = "total" if header == group_by else ("" if header in ("op", "out shape") else cell(total))
        table.add_column(
            header,
            justify=justify,  # type: ignore[arg-type]
            footer=footer,
            no_wrap=header == group_by,
        )
    for row in rows:
        style = "red" if row.bound == "memory" else None
        table.add_row(*(cell(row) for _, _, cell in columns), style=style)
    return table


def top_contributors(result: AnalysisResult, group_by: str, top: int) -> Table:
    rows = sorted(result.rows(group_by), key=lambda r: r.latency_s, reverse=True)[:top]
    table = Table(
        title=f"Top {len(rows)} latency contributors (by {group_by})",
        title_justify="left",
        header_style="bold",
    )
    headers = [
        h
        for h in (group_by, "op", "latency", "share", "bound", "MACs", "DRAM")
        if not (h == "op" and group_by == "stage")
    ]
    for header in headers:
        table.add_column(header, justify="left" if header in (group_by, "op", "bound") else "right")
    for row in rows:
        share = 100 * row.latency_s / result.total.latency_s if result.total.latency_s else 0
        cells = {
            group_by: row.name,
            "op": row.op,
            "latency": human_seconds(row.latency_s),
            "share": f"{share:.1f}%",
            "bound": row.bound,
            "MACs": human_count(row.macs),
            "DRAM": human_bytes(row.dram_bytes),
        }
        table.add_row(*(cells[h] for h in headers))
    return table


def analysis_view(result: AnalysisResult, group_by: str, top: int = 5) -> RenderableType:
    total = result.total
    summary = Text()
    summary.append("total: ", style="bold")
    summary.append(
        f"{total.params:,} params · {total.macs:,} MACs · "
        f"{human_bytes(total.dram_bytes)} DRAM (naive {human_bytes(total.naive_dram_bytes)})"
        f" · {human_seconds(total.latency_s)} · {human_joules(total.energy_j)}\n"
    )
    summary.append("memory: ", style="bold")
    exact = "optimal" if result.min_peak_exact else "best found"
    summary.append(
        f"peak activations {human_bytes(result.peak_activation_bytes)} in spec order, "
        f"{human_bytes(result.min_peak_activation_bytes)} in the {exact} order · "
        f"{result.kernels} kernels · {100 * total.memory_bound_share:.0f}% of the time "
        "memory-bound\n"
    )
    summary.append("energy: ", style="bold")
    if total.energy_j:
        summary.append(
            f"{100 * total.compute_energy_j / total.energy_j:.0f}% compute · "
            f"{100 * total.data_energy_j / total.energy_j:.0f}% data movement · "
            f"{100 * total.static_energy_j / total.energy_j:.0f}% static"
        )
    parts: list[RenderableType] = [
        analysis_header(result),
        rows_table(result.rows(group_by), total, f"Per {group_by}", group_by),
        summary,
    ]
    if top > 0:
        parts.append(top_contributors(result, group_by, top))
    return Group(*parts)


def analysis_json(result: AnalysisResult, group_by: str) -> str:
    return json.dumps(versioned(result.to_dict(group_by)), indent=2, sort_keys=False)


def profile_view(hw: HardwareProfile) -> RenderableType:
    table = Table(title=f"{hw.title} ({hw.name})", title_justify="left", header_style="bold")
    table.add_column("field")
    table.add_column("value", justify="right")
    table.add_column("source")
    from costmodel.hw.profile import numeric_paths  # local: only this view needs it

    for path in numeric_paths(hw):
        table.add_row(path, f"{_value_at(hw, path):g}", hw.sources.get(path, "MISSING"))
    return Group(table, Text(hw.notes, style="dim")) if hw.notes else table


def _value_at(hw: HardwareProfile, path: str) -> float:
    value: Any = hw
    for part in path.split("."):
        if isinstance(value, dict):
            value = value[part]
        elif isinstance(value, list):
            value = next(item for item in value if getattr(item, "name", None) == part)
        else:
            value = getattr(value, part)
    return float(value)


def latency_report_view(report: LatencyReport) -> RenderableType:
    """Measured vs predicted latency per measurement, and the scores."""
    table = Table(
        title=f"Latency on {report.hardware}: {report.measurements_file}",
        title_justify="left",
        header_style="bold",
    )
    columns = ["measurement", "measured", "predicted", "error"]
    if report.fitted:
        columns += ["fitted", "error", "leave-one-out", "error"]
    for header in columns:
        table.add_column(header, justify="left" if header == "measurement" else "right")

    def error(predicted: float | None, measured: float) -> str:
        return "" if predicted is None else f"{100 * (predicted - measured) / measured:+.0f}%"

    for row in report.rows:
        cells = [
            row.label,
            human_seconds(row.measured_s),
            human_seconds(row.predicted_s),
            error(row.predicted_s, row.measured_s),
        ]
        if report.fitted:
            cells += [
                human_seconds(row.fitted_s or 0),
                error(row.fitted_s, row.measured_s),
                human_seconds(row.loo_s) if row.loo_s else "-",
                error(row.loo_s, row.measured_s),
            ]
        table.add_row(*cells)
    lines = Text()
    for name, value in (
        ("profile as given", report.before),
        ("fitted (in sample)", report.fitted),
        ("leave one model out", report.loo),
    ):
        if value is not None:
            lines.append(f"{name}: ", style="bold")
            lines.append(
                f"MAPE {value.mape:.1f}% · within ±10% {value.within_10:.0f}% · "
                f"within ±25% {value.within_25:.0f}% · Spearman {value.spearman:.3f} "
                f"(n={value.n})\n"
            )
    if report.params:
        p = report.params
        lines.append("fitted: ", style="bold")
        lines.append(
            ", ".join(f"{c} {v:.3f}" for c, v in p.efficiency.items())
            + f"; overhead {human_seconds(p.overhead_s)}/kernel; "
            f"DRAM {human_bytes(p.dram_bytes_per_s)}/s"
            + "".join(f"; {name} x{scale:.3f}" for name, scale in p.precision_scale.items() if scale != 1.0)
        )
    return Group(table, lines)
