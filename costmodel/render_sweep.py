"""Renderers of a sweep: a rich table for people, CSV and JSON with exact numbers for machines.
Formatting only (every number is a field of a `SweepPoint`); nothing here prints."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from costmodel.render import human_bytes, human_count, human_joules, human_seconds
from costmodel.sweep import SweepPoint

SWEEP_FORMATS = ("table", "csv", "json")


def sweep_table(points: Sequence[SweepPoint], title: str) -> Table:
    """One row per variant. `vs fastest` is the latency over the fastest variant's."""
    table = Table(title=title, title_justify="left", header_style="bold")
    headers = ("width", "resolution", "params", "MACs", "DRAM", "peak act.", "kernels", "latency",
               "vs fastest", "MAC/s", "mem-bound", "energy")
    for header in headers:
        table.add_column(header, justify="right")
    fastest = min((p.latency_s for p in points if p.latency_s > 0), default=0.0)
    for p in points:
        table.add_row(
            f"{p.width:g}", str(p.resolution), human_count(p.params), human_count(p.macs),
            human_bytes(p.dram_bytes), human_bytes(p.peak_activation_bytes), str(p.kernels),
            human_seconds(p.latency_s), f"{p.latency_s / fastest:.2f}x" if fastest else "-",
            human_count(p.macs / p.latency_s) if p.latency_s else "-",
            f"{100 * p.memory_bound_s / p.latency_s:.0f}%" if p.latency_s else "-",
            human_joules(p.energy_j))
    return table


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
    writer.writerows(points)  # a float's str is its shortest exact repr
    return out.getvalue()


def sweep_json(points: Sequence[SweepPoint], meta: dict[str, Any]) -> str:
    return json.dumps({**meta, "points": [p.to_dict() for p in points]}, indent=2) + "\n"
