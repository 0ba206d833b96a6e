"""Tables that fit the terminal without turning digits into '…'.

rich shrinks the columns of a table wider than the console and cuts numbers with an ellipsis; a
cost table whose 22.6 ms reads '22.…' is worse than one with fewer columns. So every table for
people is built from `Col`s, each with a key (for `--columns`) and an importance, and `fitted_table`
drops the least important columns, trying shorter headers at each step, until the table's natural
width fits the console. Every cell folds (never an ellipsis) as the last resort, when even the
columns that are always kept do not fit.

A table kind's keys are listed below, most important first: that order is the importance. The
keys are the report's metric keys where a metric exists (`macs`, `latency_s`), so `--columns`
reads alike in `report` and in the terminal views.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table

from costmodel.errors import CostModelError, ErrorCode, did_you_mean


@dataclass(frozen=True)
class TableFit:
    """How a table view fits its console: the CLI's width, --columns and --wide."""

    width: int | None = None  # console width; None = unlimited
    columns: tuple[str, ...] | None = None  # user's choice of column keys (--columns); None = by importance
    wide: bool = False  # --wide: every column, whatever the width


NO_LIMIT = TableFit()  # the views' default: every column, at its natural width

# Per table kind, its column keys, most important first.
_KEYS: dict[str, tuple[str, ...]] = {
    "analysis": (
        "name",
        "latency_s",
        "macs",
        "params",
        "latency_share",
        "bound",
        "dram_bytes",
        "energy_j",
        "op",
        "weight_bytes",
        "intensity",
        "shape",
        "act_bytes",
    ),
    "diff": (
        "name",
        "latency_s_delta",
        "latency_s_percent",
        "status",
        "macs_delta",
        "latency_s_a",
        "latency_s_b",
        "params_delta",
        "dram_bytes_delta",
        "energy_j_delta",
        "macs_a",
        "macs_b",
        "op",
    ),
    "sweep": (
        "width",
        "resolution",
        "precision",
        "batch",
        "latency_s",
        "macs",
        "params",
        "vs_fastest",
        "samples_per_s",
        "energy_j",
        "peak_activation_bytes",
        "dram_bytes",
        "memory_bound_share",
        "macs_per_s",
        "kernels",
    ),
    "profiles": ("name", "title", "unit", "precisions"),
}

# Columns shown whatever the width: what names a row.
_ALWAYS: dict[str, tuple[str, ...]] = {
    "analysis": ("name",),
    "diff": ("name",),
    "sweep": ("width", "resolution", "precision", "batch"),
    "profiles": ("name",),
}


def column_keys(kind: str) -> tuple[str, ...]:
    """The selectable keys of a table kind (analysis, diff, sweep, profiles), for --help and errors."""
    if kind not in _KEYS:
        raise ValueError(f"unknown table kind '{kind}' (expected one of: {', '.join(_KEYS)})")
    return _KEYS[kind]


def check_columns(kind: str, columns: Sequence[str]) -> None:
    """An unknown key is an option error naming the closest key and every key."""
    keys = column_keys(kind)
    for key in columns:
        if key not in keys:
            raise CostModelError(
                ErrorCode.OPTION,
                f"unknown {kind} column '{key}'{did_you_mean(key, keys)} (available: {', '.join(keys)})",
            )


@dataclass(frozen=True)
class Col:
    """One column of a table for people: its key, header and cell of a row."""

    key: str  # one of column_keys(kind)
    header: str
    cell: Callable[[Any], RenderableType]  # the row's cell
    justify: Literal["left", "right"] = "right"
    footer: RenderableType = ""
    short: str = ""  # a shorter header, used when the full ones do not fit
    no_wrap: bool = False


def _chosen(kind: str, columns: Sequence[Col], fit: TableFit) -> list[Col]:
    if fit.columns is None:
        return list(columns)
    check_columns(kind, fit.columns)
    by_key = {c.key: c for c in columns}
    always = [c for c in columns if c.key in _ALWAYS[kind] and c.key not in fit.columns]
    return always + [by_key[k] for k in dict.fromkeys(fit.columns) if k in by_key]


def _natural_width(table: Table) -> int:
    console = Console(file=io.StringIO(), width=100_000, color_system=None)
    return Measurement.get(console, console.options, table).maximum


def fitted_table(
    kind: str,
    columns: Sequence[Col],
    rows: Sequence[Any],
    fit: TableFit,
    new_table: Callable[[], Table],
    row_style: Callable[[Any], str | None] = lambda row: None,
) -> Table:
    """The table of `rows` with the columns that fit `fit.width`: all of them (or the user's
    choice) when they fit or when `fit.wide`; else, least important first, columns are dropped
    (and headers shortened) until the table fits. `new_table` makes the empty table (title, box)."""

    def build(cols: Sequence[Col], short: bool) -> Table:
        table = new_table()
        for c in cols:
            table.add_column(
                (c.short or c.header) if short else c.header,
                justify=c.justify,
                footer=c.footer,
                no_wrap=c.no_wrap,
                overflow="fold",
            )
        for row in rows:
            table.add_row(*(c.cell(row) for c in cols), style=row_style(row))
        return table

    cols = _chosen(kind, columns, fit)
    if fit.wide or fit.width is None:
        return build(cols, False)
    order = column_keys(kind)
    droppable = sorted(
        (c for c in cols if c.key not in _ALWAYS[kind]), key=lambda c: order.index(c.key), reverse=True
    )
    if fit.columns is not None:
        droppable = []  # the user's choice is kept; only headers are shortened
    while True:
        for short in (False, True):
            table = build(cols, short)
            if _natural_width(table) <= fit.width:
                return table
        if not droppable:
            return table  # every cell folds: narrow, but no digit lost
        dropped = droppable.pop(0)
        cols = [c for c in cols if c is not dropped]
