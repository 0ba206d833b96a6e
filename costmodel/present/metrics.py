"""The named quantities that `diff`, `report` and the plots show, defined once.

A `Metric` reads one number off an `AnalysisResult` (a model total) and, where the number exists per
row, off a `Row`. Keys carry their unit (`latency_s`, `weight_bytes`), so machine outputs (csv, json)
are self-describing; `kind` tells a renderer how to humanize a value for people. Nothing here computes
a cost: every value is a field or property of the analysis result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from costmodel.cost.analysis import AnalysisResult, Row
from costmodel.cost.options import AnalysisOptions

KINDS = ("count", "bytes", "seconds", "joules", "share", "text")


@dataclass(frozen=True)
class Metric:
    key: str  # machine name, unit-suffixed where it has a unit
    label: str  # people's name
    kind: str  # one of KINDS: how to humanize it
    unit: str  # "" for a count, "B", "s", "J", "1" for a share
    total: Callable[[AnalysisResult], int | float]
    row: Callable[[Row], int | float] | None = None  # None: a whole-model quantity only
    lower_is_better: bool = True


def _metrics() -> dict[str, Metric]:
    items = [
        Metric("params", "params", "count", "", lambda r: r.total.params, lambda w: w.params),
        Metric("macs", "MACs", "count", "", lambda r: r.total.macs, lambda w: w.macs),
        Metric("ops", "other ops", "count", "", lambda r: r.total.ops, lambda w: w.ops),
        Metric(
            "weight_bytes", "weights", "bytes", "B", lambda r: r.total.weight_bytes, lambda w: w.weight_bytes
        ),
        Metric(
            "act_in_bytes",
            "activations in",
            "bytes",
            "B",
            lambda r: r.total.act_in_bytes,
            lambda w: w.act_in_bytes,
        ),
        Metric(
            "act_out_bytes",
            "activations out",
            "bytes",
            "B",
            lambda r: r.total.act_out_bytes,
            lambda w: w.act_out_bytes,
        ),
        Metric(
            "dram_bytes", "DRAM traffic", "bytes", "B", lambda r: r.total.dram_bytes, lambda w: w.dram_bytes
        ),
        Metric(
            "naive_dram_bytes",
            "naive DRAM traffic",
            "bytes",
            "B",
            lambda r: r.total.naive_dram_bytes,
            lambda w: w.naive_dram_bytes,
        ),
        Metric("peak_activation_bytes", "peak activations", "bytes", "B", lambda r: r.peak_activation_bytes),
        Metric(
            "min_peak_activation_bytes",
            "min peak activations",
            "bytes",
            "B",
            lambda r: r.min_peak_activation_bytes,
        ),
        Metric("kernels", "kernels", "count", "", lambda r: r.kernels),
        Metric("latency_s", "latency", "seconds", "s", lambda r: r.total.latency_s, lambda w: w.latency_s),
        Metric("energy_j", "energy", "joules", "J", lambda r: r.total.energy_j, lambda w: w.energy_j),
        Metric(
            "memory_bound_share",
            "memory-bound",
            "share",
            "1",
            lambda r: r.total.memory_bound_share,
            lambda w: w.memory_bound_share,
        ),
    ]
    return {m.key: m for m in items}


METRICS: dict[str, Metric] = _metrics()

# The totals a diff shows, in order.
DIFF_TOTALS = (
    "params",
    "macs",
    "weight_bytes",
    "act_in_bytes",
    "act_out_bytes",
    "dram_bytes",
    "peak_activation_bytes",
    "min_peak_activation_bytes",
    "kernels",
    "latency_s",
    "energy_j",
)

_DEFAULT_OPTIONS = AnalysisOptions(precision="fp32")  # what the options column is relative to


_OPTION_TEXT: dict[str, Callable[[AnalysisOptions], str]] = {
    "precision": lambda o: o.compute_precision,
    "layer_precision": lambda o: (
        "layers " + (",".join(f"{g}={p}" for g, p in o.layer_precision) or "as spec")
    ),
    "batch": lambda o: f"batch {o.batch}",
    "width": lambda o: f"width {o.width:g}",
    "resolution": lambda o: f"resolution {o.resolution or 'spec'}",
    "fusion": lambda o: "fusion" if o.fusion else "no fusion",
    "cache": lambda o: "cache" if o.cache else "no cache",
    "cache_fraction": lambda o: f"cache fraction {o.cache_fraction:g}",
}


def _option_fields() -> tuple[str, ...]:
    """Every option, the ones with a short text first (an option added later shows as 'name value')."""
    names = [f.name for f in dataclasses.fields(AnalysisOptions)]
    return tuple([n for n in _OPTION_TEXT if n in names] + [n for n in names if n not in _OPTION_TEXT])


def _option_text(options: AnalysisOptions, name: str) -> str:
    if name in _OPTION_TEXT:
        return _OPTION_TEXT[name](options)
    return f"{name.replace('_', ' ')} {getattr(options, name)}"


def varying_options(options: Sequence[AnalysisOptions]) -> tuple[str, ...]:
    """The option fields that differ among `options`, in a fixed order."""
    return tuple(f for f in _option_fields() if len({getattr(o, f) for o in options}) > 1)


def describe_options(
    options: AnalysisOptions, against: AnalysisOptions = _DEFAULT_OPTIONS, fields: Sequence[str] | None = None
) -> str:
    """The options that differ from `against` (or the given fields), shortly ('width 0.75, int8');
    '' when none."""
    keys = (
        fields
        if fields is not None
        else [
            f
            for f in _option_fields()
            if getattr(options, f) != getattr(against, f)
            # a profile's own runtime is no option of the user's: the runtime line says it
            and not (f == "runtime" and against is _DEFAULT_OPTIONS)
        ]
    )
    return ", ".join(_option_text(options, f) for f in keys)


def side_labels(a: AnalysisResult, b: AnalysisResult) -> tuple[str, str]:
    """Short names for the two sides of a comparison: what differs between them."""
    parts_a: list[str] = []
    parts_b: list[str] = []
    if a.spec_name != b.spec_name:
        parts_a.append(a.spec_name)
        parts_b.append(b.spec_name)
    if a.hardware_name != b.hardware_name:
        parts_a.append(a.hardware_name)
        parts_b.append(b.hardware_name)
    opt_a, opt_b = describe_options(a.options, b.options), describe_options(b.options, a.options)
    if opt_a or opt_b:
        parts_a.append(opt_a or "default options")
        parts_b.append(opt_b or "default options")
    if not parts_a:
        return a.spec_name, b.spec_name
    return " · ".join(parts_a), " · ".join(parts_b)
