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
from costmodel.present.units import human_bytes, human_count, human_joules, human_seconds
from costmodel.present.versioned import versioned


def varied(points: Sequence[SweepPoint], field: str) -> bool:
    """Whether the sweep has more than one value of `field` (batch, precision, ...)."""
    return len({getattr(p, field) for p in points}) > 1


def sweep_table(points: Sequence[SweepPoint], title: str) -> Table:
    """One row per variant. `vs fastest` is the latency over the fastest variant's; batch,
    precision and samples/s appear when the sweep varies them."""
    table = Table(title=title, title_justify="left", header_style="bold")
    by_batch, by_precision = varied(points, "batch"), varied(points, "precision")
    headers = [
        "width",
        "resolution",
        *(["precision"] if by_precision else []),
        *(["batch"] if by_batch else []),
        "params",
        "MACs",
        "DRAM",
        "peak act.",
        "kernels",
        "latency",
        "vs fastest",
        *(["samples/s"] if by_batch else []),
        "MAC/s",
        "mem-bound",
        "energy",
    ]
    for header in headers:
        table.add_column(header, justify="left" if header == "precision" else "right")
    fastest = min((p.latency_s for p in points if p.latency_s > 0), default=0.0)
    for p in points:
        cells = {
            "width": f"{p.width:g}",
            "resolution": str(p.resolution),
            "precision": p.precision,
            "batch": str(p.batch),
            "params": human_count(p.params),
            "MACs": human_count(p.macs),
            "DRAM": human_bytes(p.dram_bytes),
            "peak act.": human_bytes(p.peak_activation_bytes),
            "kernels": str(p.kernels),
            "latency": human_seconds(p.latency_s),
            "vs fastest": f"{p.latency_s / fastest:.2f}x" if fastest else "-",
            "samples/s": human_count(p.batch / p.latency_s) if p.latency_s else "-",
            "MAC/s": human_count(p.macs / p.latency_s) if p.latency_s else "-",
            "mem-bound": f"{100 * p.memory_bound_s / p.latency_s:.0f}%" if p.latency_s else "-",
            "energy": human_joules(p.energy_j),
        }
        table.add_row(*(cells[h] for h in headers))
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
    return json.dumps(versioned({**meta, "points": [p.to_dict() for p in points]}), indent=2) + "\n"
