"""Plots, PNG or SVG: a roofline of the layers of one or more specs, and latency per row of a diff.

matplotlib is an optional extra (`pip install 'costmodel[plot]'`), imported only when a plot is
made, with the non-interactive Agg backend. Like the other renderers, these functions draw numbers
that the analysis computed (a row's arithmetic intensity and attained MAC rate, its latency) and
the profile's own figures (peak MAC rate, DRAM bandwidth, efficiencies); they return the file's
bytes, and cli.py writes them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costmodel.cost.precision import compute_precision
from costmodel.errors import CostModelError, ErrorCode

if TYPE_CHECKING:  # annotations only: the format registry imports this module on every start
    from costmodel.cost.analysis import AnalysisResult
    from costmodel.cost.sweep import SweepPoint
    from costmodel.hw.profile import HardwareProfile
    from costmodel.present.compare import DiffResult

PLOT_FORMATS = ("png", "svg")
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def plot_format(path: str | Path) -> str:
    """'png' or 'svg' from a file name; anything else is an option error."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise CostModelError(ErrorCode.OPTION, f"plot file '{path}' must end in .png or .svg")
    return suffix


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - exercised by a test that hides matplotlib
        raise CostModelError(
            ErrorCode.OPTION,
            "plots need matplotlib: pip install 'costmodel[plot]' (or pip install matplotlib)",
        ) from None
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "costmodel"  # stable ids: same input, same SVG
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, fmt: str) -> bytes:
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": "costmodel (matplotlib)"}
    fig.savefig(out, format=fmt, dpi=150, bbox_inches="tight", metadata=metadata)
    return out.getvalue()


def _roofline_label(result: AnalysisResult, results: Sequence[AnalysisResult]) -> str:
    """The spec's name; with its width when one spec appears several times."""
    if len(results) == 1 or len({r.spec_name for r in results}) == len(results):
        return result.spec_name
    return f"{result.spec_name} ({result.options.width:g})"


def _scatter_rows(
    ax: Any, results: Sequence[AnalysisResult], group_by: str
) -> tuple[list[float], list[float], int]:
    """One point per row with MACs and DRAM traffic, area by latency share; returns every x, every
    y and how many rows were left out for having no DRAM traffic."""
    xs_all: list[float] = []
    ys_all: list[float] = []
    left_out = 0
    for k, result in enumerate(results):
        rows = [r for r in result.rows(group_by) if r.macs > 0 and r.latency_s > 0]
        shown = [r for r in rows if r.dram_bytes > 0]
        left_out += len(rows) - len(shown)
        total = result.total.latency_s or 1.0
        xs = [r.intensity for r in shown]
        ys = [r.attained_macs_per_s for r in shown]
        sizes = [max(6.0, 1500.0 * r.latency_s / total) for r in shown]
        ax.scatter(
            xs,
            ys,
            s=sizes,
            alpha=0.55,
            color=_COLOURS[k % len(_COLOURS)],
            edgecolors="white",
            linewidths=0.5,
            label=_roofline_label(result, results),
            zorder=3,
        )
        xs_all += xs
        ys_all += ys
    return xs_all, ys_all, left_out


def _draw_roofs(ax: Any, hw: HardwareProfile, precision: str, peak: float, lo: float, hi: float) -> None:
    """The compute and DRAM roof of `precision`, and a ceiling per op class's efficiency."""
    bandwidth = hw.memory.dram_bytes_per_s
    ridge = peak / bandwidth
    ax.plot(
        [lo, ridge, hi],
        [bandwidth * lo, peak, peak],
        color="black",
        lw=1.8,
        zorder=2,
        label=f"roof: {peak / 1e9:.3g} GMAC/s {precision}, {bandwidth / 1e9:.3g} GB/s DRAM",
    )
    for op_class, style in (("pointwise", ":"), ("conv", "--"), ("depthwise", "-.")):
        eff = hw.efficiency.get(op_class)
        if eff is None:
            continue
        ceiling = peak * eff
        ax.plot([ceiling / bandwidth, hi], [ceiling, ceiling], color="grey", lw=1, ls=style, zorder=1)
        ax.annotate(
            f"{op_class} x{eff:g}",
            (hi, ceiling),
            textcoords="offset points",
            xytext=(-4, 3),
            ha="right",
            fontsize=8,
            color="dimgrey",
        )


def _label_roofline(ax: Any, title: str, left_out: int) -> None:
    ax.set_xlabel("arithmetic intensity (MACs per DRAM byte)")
    ax.set_ylabel("attained MAC/s")
    ax.set_title(title, fontsize=11)
    note = "point area = share of the model's latency"
    if left_out:
        note += f"; {left_out} rows with no DRAM traffic (all on chip) not shown"
    ax.text(0.01, 0.01, note, transform=ax.transAxes, fontsize=8, color="dimgrey")
    ax.grid(True, which="major", ls=":", lw=0.5, zorder=0)
    legend = ax.legend(loc="upper left", fontsize=8, markerscale=0.5)
    for handle in legend.legend_handles:
        if hasattr(handle, "set_sizes"):
            handle.set_sizes([30])


def roofline_plot(
    results: Sequence[AnalysisResult], hw: HardwareProfile, fmt: str = "png", group_by: str = "layer"
) -> bytes:
    """Arithmetic intensity (MAC per DRAM byte) against attained MAC/s for every row with MACs and
    DRAM traffic, on the roofs of `hw`; a point's area is its share of its model's latency."""
    if not results:
        raise CostModelError(ErrorCode.OPTION, "a roofline plot needs at least one spec")
    for result in results:
        if result.hardware_name != hw.name:
            raise CostModelError(
                ErrorCode.OPTION, f"{result.spec_name} was analysed on {result.hardware_name}, not {hw.name}"
            )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    xs_all, ys_all, left_out = _scatter_rows(ax, results, group_by)
    precision = compute_precision(results[0].options.compute_precision)
    peak = hw.precision(precision).peak_macs_per_s
    bandwidth = hw.memory.dram_bytes_per_s
    lo = min([*xs_all, peak / bandwidth]) / 4
    hi = max([*xs_all, peak / bandwidth]) * 4
    _draw_roofs(ax, hw, precision, peak, lo, hi)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ymin = min([*ys_all, bandwidth * lo])
    ax.set_ylim(ymin / 2, peak * 2.5)
    names = ", ".join(dict.fromkeys(r.spec_name for r in results))
    _label_roofline(ax, f"Roofline per {group_by}: {names} on {hw.name}", left_out)
    data = _save(fig, fmt)
    plt.close(fig)
    return data


def diff_latency_plot(diff: DiffResult, fmt: str = "png") -> bytes:
    """Latency of A and B per aligned row (stage, block, ...) of a diff, as grouped bars."""
    plt = _pyplot()
    label_a, label_b = diff.labels
    pairs = list(diff.pairs)
    names = [p.name for p in pairs]
    a = [1e3 * (p.value("a", "latency_s") or 0) for p in pairs]
    b = [1e3 * (p.value("b", "latency_s") or 0) for p in pairs]
    width = max(6.0, min(18.0, 0.55 * len(pairs) + 2))
    fig, ax = plt.subplots(figsize=(width, 4.8))
    xs = list(range(len(pairs)))
    ax.bar([x - 0.2 for x in xs], a, width=0.4, color=_COLOURS[0], label=f"A: {label_a}")
    ax.bar([x + 0.2 for x in xs], b, width=0.4, color=_COLOURS[4], label=f"B: {label_b}")
    for x, pair, top in zip(xs, pairs, (max(u, v) for u, v in zip(a, b, strict=True)), strict=True):
        if pair.status in ("added", "removed"):
            ax.annotate(
                pair.status,
                (x, top),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=7,
                color="dimgrey",
            )
    ax.set_xticks(xs)
    ax.set_xticklabels(
        names, rotation=45 if len(pairs) > 8 else 0, ha="right" if len(pairs) > 8 else "center", fontsize=8
    )
    ax.set_ylabel("latency (ms)")
    t = diff.total("latency_s")
    pct = f" ({t.percent:+.1f}%)" if t.percent is not None else ""
    ax.set_title(
        f"Latency per {diff.group_by}: {1e3 * t.a:.3g} ms -> {1e3 * t.b:.3g} ms{pct} on "
        f"{diff.a.hardware_name}"
        + (f" / {diff.b.hardware_name}" if diff.b.hardware_name != diff.a.hardware_name else ""),
        fontsize=11,
    )
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", ls=":", lw=0.5)
    ax.set_axisbelow(True)
    data = _save(fig, fmt)
    plt.close(fig)
    return data


def sweep_plot(points: Sequence[SweepPoint], title: str, fmt: str = "png") -> bytes:
    """Latency against MACs for every variant of a sweep: one line per width (and precision and
    batch, when those vary) through its resolutions, each point labelled with its resolution, as
    in MobileNet's Figures 4-5."""
    if not points:
        raise CostModelError(ErrorCode.OPTION, "a sweep plot needs at least one variant")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    keys = [
        field for field in ("width", "precision", "batch") if len({getattr(p, field) for p in points}) > 1
    ] or ["width"]
    series: dict[tuple[Any, ...], list[SweepPoint]] = {}
    for point in points:
        series.setdefault(tuple(getattr(point, k) for k in keys), []).append(point)
    for k, (values, members) in enumerate(series.items()):
        line = sorted(members, key=lambda p: p.macs)
        xs = [p.macs / 1e6 for p in line]
        ys = [p.latency_s * 1e3 for p in line]
        label = ", ".join(
            f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
            for key, value in zip(keys, values, strict=True)
        )
        ax.plot(xs, ys, marker="o", ms=4, lw=1.2, color=_COLOURS[k % len(_COLOURS)], label=label)
        for x, y, p in zip(xs, ys, line, strict=True):
            ax.annotate(
                str(p.resolution),
                (x, y),
                textcoords="offset points",
                xytext=(4, -9),
                fontsize=7,
                color="dimgrey",
            )
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")  # widths and resolutions scale MACs geometrically: log axes, labelled
    ax.set_yscale("log")  # 1, 2, 5, 10, 20, ... rather than 2 x 10^1
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("MACs (millions, log scale)")
    ax.set_ylabel("predicted latency (ms, log scale)")
    ax.set_title(title, fontsize=11)
    ax.text(
        0.01,
        0.99,
        "point labels: input resolution",
        transform=ax.transAxes,
        fontsize=8,
        color="dimgrey",
        va="top",
    )
    ax.grid(True, which="both", ls=":", lw=0.5)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc="lower right")
    data = _save(fig, fmt)
    plt.close(fig)
    return data
