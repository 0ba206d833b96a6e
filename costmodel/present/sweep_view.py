"""Renderers of a sweep: a rich table for people, CSV and JSON with exact numbers for machines.
Formatting only (every number is a field of a `SweepPoint`); nothing here prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from costmodel.cost.sweep import SweepPoint
from costmodel.present.fit import NO_LIMIT, Col, TableFit, fitted_table
from costmodel.present.units import human_bytes, human_count, human_joules, human_seconds
from costmodel.present.versioned import versioned
from costmodel.safe_text import spreadsheet_cell


def varied(points: Sequence[SweepPoint], field: str) -> bool:
    """Whether the sweep has more than one value of `field` (batch, precision, ...)."""
    return len({getattr(p, field) for p in points}) > 1


def _sweep_columns(points: Sequence[SweepPoint]) -> list[Col]:
    fastest = min((p.latency_s for p in points if p.latency_s > 0), default=0.0)

    def per_second(p: SweepPoint, count: int) -> str:
        return human_count(count / p.latency_s) if p.latency_s else "-"

    columns = [
        Col("width", "width", lambda p: f"{p.width:g}"),
        Col("resolution", "resolution", lambda p: str(p.resolution), short="res."),
        Col("precision", "precision", lambda p: p.precision, "left", short="prec."),
        Col("batch", "batch", lambda p: str(p.batch)),
        Col("params", "params", lambda p: human_count(p.params)),
        Col("macs", "MACs", lambda p: human_count(p.macs)),
        Col("dram_bytes", "DRAM", lambda p: human_bytes(p.dram_bytes)),
        Col(
            "peak_activation_bytes", "peak act.", lambda p: human_bytes(p.peak_activation_bytes), short="peak"
        ),
        Col("kernels", "kernels", lambda p: str(p.kernels), short="kern."),
        Col("latency_s", "latency", lambda p: human_seconds(p.latency_s), short="lat."),
        Col(
            "vs_fastest",
            "vs fastest",
            lambda p: f"{p.latency_s / fastest:.2f}x" if fastest else "-",
            short="vs min",
        ),
        Col("samples_per_s", "samples/s", lambda p: per_second(p, p.batch), short="smp/s"),
        Col("macs_per_s", "MAC/s", lambda p: per_second(p, p.macs)),
        Col(
            "memory_bound_share",
            "mem-bound",
            lambda p: f"{100 * p.memory_bound_s / p.latency_s:.0f}%" if p.latency_s else "-",
            short="mem%",
        ),
        Col("energy_j", "energy", lambda p: human_joules(p.energy_j), short="E"),
    ]
    hidden = {"precision": "precision", "batch": "batch", "samples_per_s": "batch"}
    return [c for c in columns if c.key not in hidden or varied(points, hidden[c.key])]


def sweep_table(points: Sequence[SweepPoint], title: str, *, fit: TableFit = NO_LIMIT) -> Table:
    """One row per variant. `vs fastest` is the latency over the fastest variant's; batch,
    precision and samples/s appear when the sweep varies them. Columns as `fit` allows."""

    def new_table() -> Table:
        return Table(title=title, title_justify="left", header_style="bold")

    return fitted_table("sweep", _sweep_columns(points), points, fit, new_table)


def sweep_text(points: Sequence[SweepPoint], title: str) -> str:
    """The table as plain text (no colour codes), for a file."""
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(sweep_table(points, title))
    return out.getvalue()


def sweep_csv(points: Sequence[SweepPoint]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SweepPoint._fields)
    # a float's str is its shortest exact repr; text cells cannot start a formula
    writer.writerows([spreadsheet_cell(v) for v in point] for point in points)
    return out.getvalue()


def sweep_json(points: Sequence[SweepPoint], meta: dict[str, Any]) -> str:
    return json.dumps(versioned({**meta, "points": [p.to_dict() for p in points]}), indent=2) + "\n"
