"""Design-space sweeps: one spec at many widths, input resolutions, batch sizes and precisions,
totals only.

The question a sweep answers is MobileNet's (Howard et al. 2017, Tables 6-7) and EfficientNet's
(Tan & Le 2019, Section 3.3): which width multiplier and resolution give the best latency, energy
or memory for the MACs. Each variant is an analysis like `analyze`'s, and its totals equal
`analyze`'s total row exactly (tests/test_sweep.py). What makes a sweep several times faster per
variant than separate analyses:
- the spec is expanded once per width; the other resolutions re-infer the shapes over the same
  nodes (`graph.with_resolution`, which expands again if an expression reads in_h or in_w), and
  batch sizes and precisions reuse the graph as it is (they change costs, not the graph);
- the fusion into kernels is worked out once, and again only when a variant's structure differs
  (`memory.kernel_plan`; widths usually keep the structure);
- no per-node rows are built and the min-peak schedule is not searched for: a point's peak
  activation memory is that of the declared order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from costmodel import limits
from costmodel.cost.analysis import Plan, cyclic_gc_paused, plan
from costmodel.cost.options import AnalysisOptions, resolve
from costmodel.cost.precision import check_precision
from costmodel.cost.records import total
from costmodel.cost.roofline import estimate
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile
from costmodel.spec.model import Spec

MOBILENET_RESOLUTIONS = (128, 160, 192, 224)  # Howard et al. 2017, Table 7


class SweepPoint(NamedTuple):
    """The totals of one variant. Counts include the batch, as in `analyze`."""

    width: float
    resolution: int  # the square input side analysed (the spec's own when none was asked for)
    batch: int
    precision: str
    params: int
    macs: int
    ops: int
    weight_bytes: int
    dram_bytes: int
    peak_activation_bytes: int  # in the declared order
    kernels: int
    latency_s: float
    memory_bound_s: float  # latency spent in memory-bound kernels
    energy_j: float

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


def _point(planned: Plan, hw: HardwareProfile, options: AnalysisOptions) -> SweepPoint:
    totals = total(estimate(planned.counts, planned.memory.traffic, planned.hw))
    return SweepPoint(
        width=options.width,
        resolution=planned.graph.input_shape[1] if len(planned.graph.input_shape) == 3 else 0,
        batch=options.batch,
        precision=options.compute_precision,
        params=totals.params,
        macs=totals.macs,
        ops=totals.ops,
        weight_bytes=totals.weight_bytes,
        dram_bytes=totals.dram_bytes,
        peak_activation_bytes=planned.memory.peak_bytes,
        kernels=len(planned.memory.kernels),
        latency_s=totals.latency_s,
        memory_bound_s=totals.memory_bound_s,
        energy_j=totals.energy_j,
    )


def parse_widths(text: str) -> tuple[float, ...]:
    """'0.5,0.75,1' -> (0.5, 0.75, 1.0); each must be a number in (0, 16]."""
    return tuple(_parse_list(text, "width", float))


def parse_resolutions(text: str) -> tuple[int, ...]:
    """'128,160,224' -> (128, 160, 224)."""
    return tuple(_parse_list(text, "resolution", int))


def parse_batches(text: str) -> tuple[int, ...]:
    """'1,8,64' -> (1, 8, 64)."""
    return tuple(_parse_list(text, "batch", int))


def parse_precisions(text: str) -> tuple[str, ...]:
    """'fp32,int8' -> ('fp32', 'int8'); each must be a known precision."""
    names = tuple(item.strip() for item in text.split(","))
    for name in names:
        check_precision(name)
    return names


def _parse_list(text: str, what: str, kind: type[float] | type[int]) -> list[Any]:
    values = []
    for item in text.split(","):
        try:
            value = kind(item.strip())
        except ValueError:
            raise CostModelError(
                ErrorCode.OPTION,
                f"{what} list '{text}': '{item.strip()}' is not "
                f"{'an integer' if kind is int else 'a number'}",
            ) from None
        if value != value or not 0 < value < float("inf"):  # NaN, zero, negative, infinite
            raise CostModelError(ErrorCode.OPTION, f"{what} list '{text}': {item.strip()} must be positive")
        values.append(value)
    return values


def default_resolutions(spec: Spec) -> tuple[int | None, ...]:
    """MobileNet's grid, 128 to 224, with the spec's own side added (299 for Inception V3); only
    the model's own for an ONNX model (its graph is fixed). A spec whose input is not [C, H, W]
    (a language model's [tokens]) has no resolution to vary."""
    if len(spec.input) != 3 or not all(isinstance(size, int) for size in spec.input):
        return (None,)
    height, width = int(spec.input[1]), int(spec.input[2])
    if spec.prebuilt is not None:
        return (height,) if height == width else (None,)
    extra = (height,) if height == width else ()
    return tuple(sorted(set(MOBILENET_RESOLUTIONS + extra)))


DEFAULT_WIDTHS = "0.5,0.75,1.0"


def default_widths(spec: Spec) -> str:
    """The widths a sweep tries when none are given: 1.0 alone for an ONNX model (fixed graph)."""
    return "1.0" if spec.prebuilt is not None else DEFAULT_WIDTHS


def check_grid(
    widths: Sequence[float],
    resolutions: Sequence[int | None],
    batches: Sequence[int] = (1,),
    precisions: Sequence[str] = ("fp32",),
) -> None:
    sizes = {
        "widths": len(widths),
        "resolutions": len(resolutions),
        "batches": len(batches),
        "precisions": len(precisions),
    }
    if not all(sizes.values()):
        raise CostModelError(
            ErrorCode.OPTION, "a sweep needs at least one width, resolution, batch and precision"
        )
    if math.prod(sizes.values()) > limits.MAX_VARIANTS:
        grid = " x ".join(f"{n} {what}" for what, n in sizes.items() if n > 1)
        raise CostModelError(ErrorCode.LIMIT, f"{grid} is more than {limits.MAX_VARIANTS} variants")


def sweep(
    spec: Spec,
    hw: HardwareProfile,
    widths: Iterable[float],
    resolutions: Iterable[int | None],
    options: AnalysisOptions = AnalysisOptions(),
    *,
    batches: Iterable[int] = (),
    precisions: Iterable[str] = (),
) -> Iterator[SweepPoint]:
    """Totals of `spec` on `hw` for every (width, resolution, precision, batch), in the order given
    with widths outermost and batches innermost. `options` sets everything else (fusion, cache,
    ...), and the batch and precision when `batches` or `precisions` is empty; None as a
    resolution is the spec's own. The grid is checked at once; the points come from an iterator,
    so a caller can show progress or stop early."""
    widths, resolutions = list(widths), list(resolutions)
    options = resolve(options, hw)
    batch_list, precision_list = (
        list(batches) or [options.batch],
        list(precisions) or [options.compute_precision],
    )
    check_grid(widths, resolutions, batch_list, precision_list)
    return _points(spec, hw, widths, resolutions, batch_list, precision_list, options)


def _points(
    spec: Spec,
    hw: HardwareProfile,
    widths: list[float],
    resolutions: list[int | None],
    batch_list: list[int],
    precision_list: list[str],
    options: AnalysisOptions,
) -> Iterator[SweepPoint]:
    previous: Plan | None = None  # its graph is reused at the same width, its fusion if it fits
    for width, resolution, precision, batch in itertools.product(
        widths, resolutions, precision_list, batch_list
    ):
        variant = replace(options, width=width, resolution=resolution, batch=batch, precision=precision)
        try:
            with cyclic_gc_paused():
                previous = plan(spec, hw, variant, reuse=previous, search_schedule=False)
                point = _point(previous, hw, variant)
        except CostModelError as exc:  # say which variant failed
            where = [f"width {width:g}", f"resolution {resolution or 'of the spec'}"]
            if len(batch_list) > 1:
                where.append(f"batch {batch}")
            if len(precision_list) > 1:
                where.append(f"precision {precision}")
            raise CostModelError(
                exc.code, f"{exc.message} (at {', '.join(where)})", pos=exc.pos, node=exc.node
            ) from None
        yield point
