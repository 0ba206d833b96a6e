"""Report tables for papers: one row per (spec, hardware profile, options), exact values with units.

`build_report` only selects: every value is a field or property of an `AnalysisResult` (through
`costmodel.present.metrics`) or a name. Renderers (`costmodel.present.report_formats`) humanize the
values for people (markdown, LaTeX, HTML) or write them exactly for machines (csv, json).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from costmodel.cost.analysis import CONVENTIONS, AnalysisResult
from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.present.metrics import METRICS, describe_options, varying_options


@dataclass(frozen=True)
class Column:
    key: str  # machine header, unit-suffixed (latency_s, weight_bytes)
    label: str  # people's header, before the unit
    kind: str  # costmodel.present.metrics.KINDS
    unit: str
    value: Callable[[AnalysisResult], Any]


def _text(key: str, label: str, value: Callable[[AnalysisResult], Any]) -> Column:
    return Column(key, label, "text", "", value)


def _columns() -> dict[str, Column]:
    columns = [
        _text("name", "name", lambda r: r.spec_name),
        _text("title", "model", lambda r: r.spec_title or r.spec_name),
        _text("hardware", "hardware", lambda r: r.hardware_name),
        _text("options", "options", lambda r: describe_options(r.options) or "default"),
        _text("precision", "precision", lambda r: r.precision_plan),
        Column("batch", "batch", "count", "", lambda r: r.options.batch),
        Column("width", "width", "text", "", lambda r: r.options.width),
        Column("resolution", "resolution", "count", "", lambda r: r.input_shape[-1]),
    ]
    out = {c.key: c for c in columns}
    for key, metric in METRICS.items():
        label = {"weight_bytes": "weights", "peak_activation_bytes": "peak act."}.get(key, metric.label)
        out[key] = Column(key, label, metric.kind, metric.unit, metric.total)
    return out


COLUMNS: dict[str, Column] = _columns()

DEFAULT_COLUMNS = (
    "name",
    "hardware",
    "options",
    "params",
    "macs",
    "weight_bytes",
    "peak_activation_bytes",
    "latency_s",
    "energy_j",
    "memory_bound_share",
)


@dataclass(frozen=True)
class ReportTable:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # exact values, in column order
    notes: tuple[str, ...]  # conventions, hardware profiles and assumptions behind the numbers

    def records(self) -> list[dict[str, Any]]:
        return [{c.key: v for c, v in zip(self.columns, row, strict=True)} for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [{"key": c.key, "label": c.label, "unit": c.unit} for c in self.columns],
            "rows": self.records(),
            "notes": list(self.notes),
        }


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    """'name,params,latency_s' -> the keys, checked; None for the defaults."""
    if text is None:
        return None
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if not keys:
        raise CostModelError(ErrorCode.OPTION, f"--columns is empty (available: {', '.join(COLUMNS)})")
    for key in keys:
        if key not in COLUMNS:
            raise CostModelError(
                ErrorCode.OPTION,
                f"unknown column '{key}'{did_you_mean(key, COLUMNS)} (available: {', '.join(COLUMNS)})",
            )
    return keys


def build_report(results: Sequence[AnalysisResult], columns: Sequence[str] | None = None) -> ReportTable:
    varying = varying_options([r.options for r in results])
    if columns is None:
        # the options column only when some row has non-default options
        shown = varying or any(describe_options(r.options) for r in results)
        columns = [k for k in DEFAULT_COLUMNS if k != "options" or shown]
    cols = tuple(COLUMNS[k] for k in (parse_columns(",".join(columns)) or ()))

    def cell(column: Column, result: AnalysisResult) -> Any:
        if column.key == "options" and varying:  # name what varies, in every row
            return describe_options(result.options, fields=varying)
        return column.value(result)

    rows = tuple(tuple(cell(c, r) for c in cols) for r in results)
    notes: list[str] = list(CONVENTIONS)
    seen: set[str] = set(notes)
    for r in results:
        hardware = f"hardware {r.hardware_name}: {r.hardware_title}"
        for line in (hardware, f"runtime on {r.hardware_name}: {r.runtime.describe()}", *r.assumptions):
            if line not in seen:
                seen.add(line)
                notes.append(line)
    return ReportTable(cols, rows, tuple(notes))
