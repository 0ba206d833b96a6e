"""Renderers: turn results into rich renderables or text. They format; they never compute metrics
(everything shown is a field or property of the result) and never print (cli.py does)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from costmodel.cost.analysis import CONVENTIONS, AnalysisResult, Row
from costmodel.cost.training import CONVENTIONS as TRAINING_CONVENTIONS
from costmodel.cost.training import TrainingCost
from costmodel.hw.profile import HardwareProfile
from costmodel.present.fit import NO_LIMIT, Col, TableFit, check_columns, column_keys, fitted_table
from costmodel.present.units import human_bytes, human_count, human_joules, human_seconds
from costmodel.present.versioned import versioned

if TYPE_CHECKING:  # calibration is imported only by the commands that use it
    from costmodel.hw.calibration import LatencyReport


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
    text.append("runtime: ", style="bold")
    text.append(result.runtime.describe() + "\n")
    text.append("options: ", style="bold")
    text.append(options_line(result) + "\n")
    for line in CONVENTIONS + result.assumptions:
        text.append(f"· {line}\n", style="dim")
    return text


def _shape(row: Row) -> str:
    return "x".join(map(str, row.shape)) if row.shape else ""


def _row_columns(total: Row, group_by: str) -> list[Col]:
    def share(r: Row) -> str:
        return f"{100 * r.latency_s / total.latency_s:.1f}" if total.latency_s else "-"

    def col(key: str, header: str, cell: Callable[[Row], str], short: str = "", **kw: Any) -> Col:
        footer = kw.pop("footer", None)
        return Col(key, header, cell, footer=cell(total) if footer is None else footer, short=short, **kw)

    columns = [
        col("name", group_by, lambda r: r.name, justify="left", footer="total", no_wrap=True),
        # by op, the op column's footer reads "total" too, as it always has
        col("op", "op", lambda r: r.op, justify="left", footer="total" if group_by == "op" else ""),
        col("shape", "out shape", _shape, "shape", footer=""),
        col("params", "params", lambda r: human_count(r.params)),
        col("macs", "MACs", lambda r: human_count(r.macs)),
        col("weight_bytes", "weights", lambda r: human_bytes(r.weight_bytes), "wts"),
        col("act_bytes", "act in+out", lambda r: human_bytes(r.act_in_bytes + r.act_out_bytes), "act"),
        col("dram_bytes", "DRAM", lambda r: human_bytes(r.dram_bytes)),
        col("intensity", "MAC/B", lambda r: f"{r.intensity:.1f}" if r.dram_bytes else "-"),
        col("bound", "bound", lambda r: r.bound, justify="left"),
        col("latency_s", "latency", lambda r: human_seconds(r.latency_s), "lat."),
        col("latency_share", "lat %", share, "%"),
        col("energy_j", "energy", lambda r: human_joules(r.energy_j), "E"),
    ]
    if group_by == "stage":
        columns = [c for c in columns if c.key != "op"]  # a stage mixes every kind of op
    return columns


def rows_table(rows: list[Row], total: Row, title: str, group_by: str, *, fit: TableFit = NO_LIMIT) -> Table:
    """One line per row and a total line; memory-bound rows in red. Columns as `fit` allows."""

    def new_table() -> Table:
        return Table(
            title=title, title_justify="left", show_footer=True, header_style="bold", footer_style="bold"
        )

    return fitted_table(
        "analysis",
        _row_columns(total, group_by),
        rows,
        fit,
        new_table,
        lambda row: "red" if row.bound == "memory" else None,
    )


def top_contributors(result: AnalysisResult, group_by: str, top: int, *, fit: TableFit = NO_LIMIT) -> Table:
    """The `top` rows by latency, with their share of it. Columns as `fit` allows."""
    rows = sorted(result.rows(group_by), key=lambda r: r.latency_s, reverse=True)[:top]
    total_s = result.total.latency_s

    def share(row: Row) -> str:
        return f"{100 * row.latency_s / total_s if total_s else 0:.1f}%"

    columns = [
        Col("name", group_by, lambda r: r.name, justify="left"),
        Col("op", "op", lambda r: r.op, justify="left"),
        Col("latency_s", "latency", lambda r: human_seconds(r.latency_s)),
        Col("latency_share", "share", share),
        Col("bound", "bound", lambda r: r.bound, justify="left"),
        Col("macs", "MACs", lambda r: human_count(r.macs)),
        Col("dram_bytes", "DRAM", lambda r: human_bytes(r.dram_bytes)),
    ]
    if group_by == "stage":
        columns = [c for c in columns if c.key != "op"]

    def new_table() -> Table:
        return Table(
            title=f"Top {len(rows)} latency contributors (by {group_by})",
            title_justify="left",
            header_style="bold",
        )

    return fitted_table("analysis", columns, rows, fit, new_table)


def analysis_view(
    result: AnalysisResult, group_by: str, top: int = 5, *, fit: TableFit = NO_LIMIT
) -> RenderableType:
    """Header, the rows table, totals and the top latency contributors; tables as `fit` allows."""
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
        rows_table(result.rows(group_by), total, f"Per {group_by}", group_by, fit=fit),
        summary,
    ]
    if result.training is not None:
        parts.append(training_summary(result.training))
    if top > 0:
        parts.append(top_contributors(result, group_by, top, fit=fit))
    return Group(*parts)


def training_summary(training: TrainingCost) -> Text:
    """One training step (analyze --training): compute and memory, with the conventions."""
    text = Text()
    text.append("training step: ", style="bold")
    text.append(
        f"{training.macs:,} MACs ({training.forward_macs:,} forward + {training.backward_macs:,} backward) · "
        f"{training.ops:,} ops · activations kept {human_bytes(training.activation_bytes)} · "
        f"weights {human_bytes(training.weight_bytes)} + gradients {human_bytes(training.gradient_bytes)} + "
        f"Adam {human_bytes(training.optimizer_bytes)}"
        + (
            f" + fp32 master {human_bytes(training.master_weight_bytes)}"
            if training.master_weight_bytes
            else ""
        )
        + f" = {human_bytes(training.memory_bytes)}\n"
    )
    for convention in TRAINING_CONVENTIONS:
        text.append(f"· {convention}\n", style="dim")
    return text


def analysis_json(result: AnalysisResult, group_by: str) -> str:
    return json.dumps(versioned(result.to_dict(group_by)), indent=2, sort_keys=False)


def profiles_table(profiles: Sequence[HardwareProfile], fit: TableFit = NO_LIMIT) -> Table:
    """One line per profile: name, title, unit, precisions (`costmodel hw list`). The name is never
    cut (it is what --hw takes); the title wraps. `fit.columns` chooses columns, the name always
    first; the width is the console's to share, so no column is dropped for it."""
    keys = column_keys("profiles")
    if fit.columns is not None:
        check_columns("profiles", fit.columns)
        keys = ("name", *(k for k in dict.fromkeys(fit.columns) if k != "name"))
    longest = max((len(p.name) for p in profiles), default=0)
    table = Table(header_style="bold")
    for key in keys:
        if key == "name":
            table.add_column("name", no_wrap=True, min_width=max(longest, len("name")))
        else:
            table.add_column(key, overflow="fold")
    for p in profiles:
        cells = {"name": p.name, "title": p.title, "unit": p.unit, "precisions": ", ".join(p.precisions)}
        table.add_row(*(cells[k] for k in keys))
    return table


def profile_view(hw: HardwareProfile) -> RenderableType:
    table = Table(title=f"{hw.title} ({hw.name})", title_justify="left", header_style="bold")
    table.add_column("field")
    table.add_column("value", justify="right")
    table.add_column("source")
    from costmodel.hw.profile import numeric_paths  # local: only this view needs it

    for path in numeric_paths(hw):
        table.add_row(path, _number_text(_value_at(hw, path)), hw.sources.get(path, "MISSING"))
    if hw.runtime is not None:
        table.add_row("runtime", hw.runtime, hw.sources.get("runtime", "MISSING"))
    for name, override in hw.runtimes.items():  # calibrated (hardware, runtime) pairs
        sources = override.get("sources", {})
        for path in numeric_paths({k: v for k, v in override.items() if k != "sources"}):
            table.add_row(
                f"runtimes.{name}.{path}",
                _number_text(_value_at(override, path)),
                sources.get(path, "MISSING"),
            )
    return Group(table, Text(hw.notes, style="dim")) if hw.notes else table


def _number_text(value: Any) -> str:
    """A profile number, or a tuple of them (a tile: 128 x 128)."""
    if isinstance(value, (list, tuple)):
        return " x ".join(f"{float(v):g}" for v in value)
    return f"{float(value):g}"


def _value_at(hw: HardwareProfile | dict[str, Any], path: str) -> Any:
    value: Any = hw
    for part in path.split("."):
        if isinstance(value, dict):
            value = value[part]
        elif isinstance(value, list):
            value = next(item for item in value if getattr(item, "name", None) == part)
        else:
            value = getattr(value, part)
    return value


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
        (f"leave one {report.leave_out} out", report.loo),
        ("leave one resolution out, models at several resolutions", report.loo_tables),
    ):
        if value is not None:
            lines.append(f"{name}: ", style="bold")
            lines.append(
                f"MAPE {value.mape:.1f}% · within ±10% {value.within_10:.0f}% · "
                f"within ±25% {value.within_25:.0f}% · Spearman {_rank_text(value.spearman)} "
                f"(n={value.n})\n"
            )
    _fit_lines(report, lines)
    return Group(table, lines)


def _fit_lines(report: LatencyReport, lines: Text) -> None:
    """The fitted values and the resolution exponents under a latency report."""
    if report.params:
        p = report.params
        lines.append("fitted: ", style="bold")
        lines.append(
            ", ".join(f"{c} {v:.3f}" for c, v in p.efficiency.items())
            + f"; overhead {human_seconds(p.overhead_s)}/kernel; "
            f"DRAM {human_bytes(p.dram_bytes_per_s)}/s"
            + "".join(f"; {name} x{scale:.3f}" for name, scale in p.precision_scale.items() if scale != 1.0)
            + (f"; spatial halo {p.spatial_halo:.2f} px" if p.spatial_halo else "")
            + (f"; reduction half-length {p.reduction_half:.3g}" if p.reduction_half else "")
            + "".join(f"; file {i + 2} level x{level:.3f}" for i, level in enumerate(p.source_level))
            + "".join(
                f"; file {i + 2} overhead {human_seconds(o)}/kernel" for i, o in enumerate(p.source_overhead)
            )
            + "\n"
        )
    for e in report.exponents:
        which = "held-out" if report.loo_tables else ("fitted" if report.fitted else "predicted")
        lines.append("resolution exponent ", style="bold")
        lines.append(
            f"{e.label}: measured {e.measured:.2f}, {which} {e.predicted:.2f} ({e.points} resolutions)\n"
        )


def _rank_text(spearman: float) -> str:
    """Spearman's rho, or n/a when it is undefined (under 3 points, or all values equal)."""
    return f"{spearman:.3f}" if math.isfinite(spearman) else "n/a"
