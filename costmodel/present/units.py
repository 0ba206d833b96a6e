"""Numbers for people: one value with its unit ('22.6 ms', '2.54M'), a signed delta, a percentage,
and one unit for a whole column of a paper table. Shared by every renderer for people (terminal,
diff, sweep, report); machine formats (csv, json) never humanize.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

_SI = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def human_count(value: float) -> str:
    """2542856 -> '2.54M'; exact below 1000."""
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return (
                f"{value / scale:.3g}{suffix}" if abs(value) / scale < 100 else f"{value / scale:.0f}{suffix}"
            )
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"


def human_bytes(value: float) -> str:
    """Decimal units (MB = 1e6 B), as bandwidth figures are quoted."""
    for scale, suffix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value:.0f} B"


def human_seconds(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def human_joules(value: float) -> str:
    if value == 0:
        return "0"
    for scale, suffix in ((1, "J"), (1e-3, "mJ"), (1e-6, "µJ")):
        if value >= scale:
            return f"{value / scale:.3g} {suffix}"
    return f"{value * 1e9:.3g} nJ"


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
