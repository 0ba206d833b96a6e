"""`costmodel runtimes`: the bundled runtimes as a table or JSON (formatting only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from costmodel.hw.runtime import Runtime
from costmodel.present.versioned import versioned


def _conv(runtime: Runtime) -> str:
    algorithm = runtime.conv.dense_3x3_stride1.value
    if runtime.conv.winograd_min_channels > 1 and algorithm != "gemm":
        algorithm += f" (>= {runtime.conv.winograd_min_channels} channels)"
    return f"3x3/1: {algorithm}; depthwise: {runtime.conv.depthwise}"


def _speed(runtime: Runtime) -> str:
    relative = runtime.relative_speed
    if relative is None:
        return "-"
    factors = ", ".join(f"{c} {f:g}" for c, f in relative.factors.items())
    return f"{factors} vs {relative.reference} [EST]"


def runtimes_table(runtimes: Sequence[Runtime]) -> Table:
    """One line per runtime: name, title, fusion, conv algorithms, arithmetic, dispatch, relative speed."""
    table = Table(header_style="bold")
    table.add_column("name", no_wrap=True)
    for header in ("title", "fusion", "conv", "arithmetic", "per kernel", "relative speed"):
        table.add_column(header, overflow="fold")
    for r in runtimes:
        arithmetic = ", ".join(f"{a} in {b}" for a, b in r.arithmetic.items()) or "as the model"
        dispatch = "profile's" if r.overhead_s_per_kernel is None else f"{r.overhead_s_per_kernel * 1e6:g} us"
        table.add_row(r.name, r.title, r.fusion.value, _conv(r), arithmetic, dispatch, _speed(r))
    return table


def runtimes_json(runtimes: Sequence[Runtime]) -> str:
    """Every field of every runtime, sources included."""
    items: list[dict[str, Any]] = [r.model_dump(mode="json") for r in runtimes]
    return json.dumps(versioned({"runtimes": items}), indent=2) + "\n"
