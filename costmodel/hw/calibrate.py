"""Fit a hardware profile's efficiencies, per-kernel overhead, achievable bandwidth and work-model
(utilisation) parameters to measured latencies, and score predictions against measurements.

The roofline predicts a model's latency as

    level[file] * ( sum over kernels k of max( sum_n W[n] / (eff[c_n] * scale[p_n] * u_n), B[k] / bw )
                    + n_kernels * overhead )

where W[n] is the time node n's work would take at the unit's peak (MACs and elementwise ops over
the peak MAC/s of its precision, already divided by its wave factor, which the profile's tiles fix)
and B[k] the kernel's DRAM bytes; u_n = spatial(H, W; halo) * reduce(K; K_half)
(costmodel/cost/utilisation.py). W, B, H, W and K depend only on the spec, options and the
profile's peaks, so they are computed once per measurement; the fit moves eff[c], the precision
scales, overhead, a bandwidth scale, the halo and K_half (each only when the prior profile's
`utilisation:` sets it: the prior says the unit has the effect) and, when several measurement files
are fitted together, a level per file after the first (hw/calibration_report.py says why).

Fit: least squares on log latency (relative errors count the same for a 3 ms and a 300 ms model),
with a weak prior that pulls every parameter toward the profile's own value (a Gaussian in log
space, sd = PRIOR_SD). The prior keeps the problem well posed when there are fewer measurements
than parameters or an op class barely appears in the data. Efficiencies are bounded to (1e-3, 1],
bandwidth to at most the profile's peak. scipy.optimize.least_squares does the fitting; the
prediction is vectorised with numpy (both come with the `calibrate` extra).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from costmodel.cost.analysis import plan
from costmodel.cost.utilisation import SPATIAL_CLASSES, fixed_factor
from costmodel.errors import CostModelError, ErrorCode, excerpt
from costmodel.hw.measurements import Measurement as Measurement
from costmodel.hw.measurements import load_measurements as load_measurements
from costmodel.hw.profile import HardwareProfile
from costmodel.hw.scores import Scores as Scores
from costmodel.hw.scores import need_scipy as need_scipy
from costmodel.hw.scores import scores as scores
from costmodel.spec.model import load_spec, parse_spec, resolve_spec_path

MEASUREMENT_SD = 0.1  # log-latency noise of one published figure (runtime versions, thermal state)
MIN_FIT_OVERHEAD_S = 1e-8  # the fit's lower bound; a profile's 0 starts there (log 0 is undefined)
PRIOR_SD = 1.0  # the prior allows a factor of e either way before it costs as much as a 10% miss


@dataclass(frozen=True)
class Features:
    """What the roofline needs of one measured configuration, independent of the fitted values:
    one entry per non-view node (its kernel's index, op class, compute precision, seconds at 100%
    of peak over its fixed factors (waves, channel alignment), output height and width when
    spatial (else 0), MACs per output)."""

    kernel: tuple[int, ...]
    op_class: tuple[str, ...]
    precision: tuple[str, ...]
    seconds: tuple[float, ...]
    height: tuple[int, ...]
    width: tuple[int, ...]
    reduction: tuple[float, ...]
    dram_bytes: tuple[int, ...]  # per kernel
    source: int = 0  # which measurement file (campaign) it came from
    resolution: int = 0  # the input's side (its last dimension) as analysed

    @property
    def kernels(self) -> int:
        return len(self.dram_bytes)


@dataclass(frozen=True)
class Parameters:
    efficiency: dict[str, float]
    overhead_s: float
    dram_bytes_per_s: float
    precision_scale: dict[str, float] = field(default_factory=dict)  # precision -> scale (1 if absent)
    spatial_halo: float = 0.0
    reduction_half: float = 0.0
    source_level: tuple[float, ...] = ()  # latency level of each file after the first, vs the first
    source_overhead: tuple[float, ...] = ()  # per-kernel overhead of each file after the first
    launch: str = "serial"  # the profile's: how the overhead adds up (cost/roofline.py); not fitted


def _spec_of(measurement: Measurement) -> Any:
    if measurement.spec_text:
        return parse_spec(measurement.spec_text, f"<{measurement.label}>")
    return load_spec(resolve_spec_path(measurement.spec))


def features(measurement: Measurement, hw: HardwareProfile, source: int = 0) -> Features:
    """The entries of the module docstring for one measured configuration, at the profile's peaks."""
    try:
        planned = plan(_spec_of(measurement), hw, measurement.options)
    except CostModelError as exc:
        raise exc.with_context(pos=measurement.pos) from None
    kernel_index: dict[str, int] = {}
    dram: list[int] = []
    entries: list[tuple[int, str, str, float, int, int, float]] = []
    for count, moved in zip(planned.counts, planned.memory.traffic, strict=True):
        if count.is_view:
            continue
        if moved.kernel not in kernel_index:
            kernel_index[moved.kernel] = len(dram)
            dram.append(0)
        k = kernel_index[moved.kernel]
        dram[k] += moved.dram_bytes
        peak = hw.precision(count.compute).peak_macs_per_s
        wave = fixed_factor(count, hw.utilisation) if hw.utilisation else 1.0
        seconds = (count.macs / count.mac_speedup + count.ops) / peak / wave
        spatial = len(count.shape) == 3 and count.op_class in SPATIAL_CLASSES
        height, width = (count.shape[1], count.shape[2]) if spatial else (0, 0)
        outputs = max(math.prod(count.shape) * count.batch, 1)
        entries.append((k, count.op_class, count.compute, seconds, height, width, count.macs / outputs))
    if not entries:
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"spec '{excerpt(measurement.spec)}' has no layer that computes anything (only views): "
            "nothing to time",
            pos=measurement.pos,
        )
    columns = list(zip(*entries, strict=True))
    side = planned.graph.nodes[0].shape[-1] if planned.graph.nodes else 0
    return Features(*(tuple(c) for c in columns), tuple(dram), source, side)  # type: ignore[arg-type,call-arg]


class _Stacked:
    """Every measurement's entries in flat numpy arrays, so one prediction of all of them is a
    handful of vector operations (the fit evaluates it thousands of times)."""

    # numpy arrays (typed Any: numpy's stubs do not follow array arithmetic through mypy --strict)
    kernel: Any
    cls: Any
    prec: Any
    seconds: Any
    reduction: Any
    height: Any
    width: Any
    spatial: Any
    dram: Any
    owner: Any
    kernels: Any
    source: Any

    def __init__(self, data: Sequence[Features], classes: Sequence[str], precisions: Sequence[str]) -> None:
        import numpy as np

        class_index = {c: i for i, c in enumerate(classes)}
        precision_index = {p: i for i, p in enumerate(precisions)}
        kernel: list[int] = []
        cls: list[int] = []
        prec: list[int] = []
        seconds: list[float] = []
        height: list[int] = []
        width: list[int] = []
        reduction: list[float] = []
        dram: list[int] = []
        owner: list[int] = []
        for m, f in enumerate(data):
            base = len(dram)
            kernel += [base + k for k in f.kernel]
            cls += [class_index[c] for c in f.op_class]
            prec += [precision_index[p] for p in f.precision]
            seconds += f.seconds
            height += f.height
            width += f.width
            reduction += f.reduction
            dram += f.dram_bytes
            owner += [m] * f.kernels
        self.kernel, self.cls, self.prec = np.array(kernel), np.array(cls), np.array(prec)
        self.seconds, self.reduction = np.array(seconds, dtype=float), np.array(reduction, dtype=float)
        self.height, self.width = np.array(height, dtype=float), np.array(width, dtype=float)
        self.spatial = self.height > 0
        self.dram, self.owner = np.array(dram, dtype=float), np.array(owner)
        self.kernels = np.array([f.kernels for f in data], dtype=float)
        self.source = np.array([f.source for f in data])

    def _async_wait(self, per_kernel: Any, overhead_s: Any) -> Any:
        """Per measurement, the device's total wait for the host under asynchronous launches:
        with kernel j queued at j * d, the last one ends at sum(t) + max_j (j d - sum(t before j))."""
        import numpy as np

        starts = np.concatenate([[0], np.cumsum(self.kernels[:-1])]).astype(int)
        before = np.cumsum(per_kernel) - per_kernel  # exclusive prefix sums, across measurements
        local = np.arange(len(per_kernel)) - np.repeat(starts, self.kernels.astype(int)) + 1
        dispatch = np.repeat(overhead_s, self.kernels.astype(int))  # each kernel: its measurement's
        value = local * dispatch - (before - np.repeat(before[starts], self.kernels.astype(int)))
        return np.maximum.reduceat(value, starts)

    def predict(self, p: Parameters, classes: Sequence[str], precisions: Sequence[str]) -> Any:
        import numpy as np

        efficiency = np.array([p.efficiency[c] for c in classes])
        scale = np.array([p.precision_scale.get(q, 1.0) for q in precisions])
        rate = efficiency[self.cls] * scale[self.prec]
        if p.spatial_halo:
            h, w, halo = self.height, self.width, p.spatial_halo
            rate = rate * np.where(self.spatial, h * w / np.maximum((h + halo) * (w + halo), 1e-30), 1.0)
        if p.reduction_half:
            k = self.reduction
            rate = rate * np.where(k > 0, k / (k + p.reduction_half), 1.0)
        n_kernels = len(self.dram)
        compute = np.bincount(self.kernel, weights=self.seconds / rate, minlength=n_kernels)
        per_kernel = np.maximum(compute, self.dram / p.dram_bytes_per_s)
        total = np.bincount(self.owner, weights=per_kernel, minlength=len(self.kernels))
        overheads = np.full(int(self.source.max()) + 1 if len(self.source) else 1, p.overhead_s)
        overheads[1 : len(p.source_overhead) + 1] = p.source_overhead[: len(overheads) - 1]
        overhead = overheads[self.source]  # per measurement
        if p.launch == "async":
            total = total + self._async_wait(per_kernel, overhead)
        else:
            total = total + self.kernels * overhead
        # a file the fit never saw (held out whole) keeps the first file's level
        levels = np.ones(max(int(self.source.max()) + 1, len(p.source_level) + 1))
        levels[1 : len(p.source_level) + 1] = p.source_level
        return total * levels[self.source]


def _names(data: Sequence[Features]) -> tuple[list[str], list[str]]:
    classes = sorted({c for f in data for c in f.op_class})
    precisions = [p for p, _ in Counter(p for f in data for p in f.precision).most_common()]
    return classes, precisions


def predict_many(data: Sequence[Features], p: Parameters) -> list[float]:
    need_scipy()
    classes, precisions = _names(data)
    return [float(t) for t in _Stacked(data, classes, precisions).predict(p, classes, precisions)]


def predict(f: Features, p: Parameters) -> float:
    return predict_many([f], p)[0]


def profile_parameters(hw: HardwareProfile) -> Parameters:
    work = hw.utilisation
    return Parameters(
        dict(hw.efficiency),
        hw.overhead_s_per_kernel,
        hw.memory.dram_bytes_per_s,
        {name: spec.scale for name, spec in hw.precisions.items()},
        work.spatial_halo if work else 0.0,
        work.reduction_half if work else 0.0,
        launch=hw.launch,
    )


@dataclass(frozen=True)
class _Layout:
    """Which entries of the parameter vector theta are what (all in log space)."""

    classes: list[str]
    precisions: list[str]  # fitted precision scales: every precision but the most common
    halo: bool
    reduction: bool
    sources: int  # files after the first, each with a level (per_file "level") or overhead ("overhead")
    per_file: str = "level"


def _theta0(layout: _Layout, prior: Parameters) -> tuple[list[float], list[float], list[float]]:
    theta = [math.log(prior.efficiency[c]) for c in layout.classes]
    theta += [math.log(prior.precision_scale.get(p, 1.0)) for p in layout.precisions]
    theta += [math.log(max(prior.overhead_s, MIN_FIT_OVERHEAD_S)), 0.0]  # overhead, log bandwidth scale
    n_eff = len(layout.classes) + len(layout.precisions)
    lower = [math.log(1e-3)] * n_eff + [math.log(MIN_FIT_OVERHEAD_S), math.log(1e-2)]
    upper = [0.0] * n_eff + [math.log(1e-2), 0.0]
    if layout.halo:  # pixels of overhead per row and column: 0.01 to 64
        theta.append(math.log(prior.spatial_halo))
        lower.append(math.log(1e-2))
        upper.append(math.log(64.0))
    if layout.reduction:  # MACs per output at half rate: 0.01 to 1e5
        theta.append(math.log(prior.reduction_half))
        lower.append(math.log(1e-2))
        upper.append(math.log(1e5))
    if layout.per_file == "overhead":  # each later file starts at the first file's overhead
        theta += [math.log(max(prior.overhead_s, MIN_FIT_OVERHEAD_S))] * layout.sources
        lower += [math.log(MIN_FIT_OVERHEAD_S)] * layout.sources
        upper += [math.log(1e-2)] * layout.sources
    else:  # each later file starts at the first file's level
        theta += [0.0] * layout.sources
        lower += [math.log(0.1)] * layout.sources
        upper += [math.log(10.0)] * layout.sources
    theta = [min(max(t, lo + 1e-9), hi - 1e-9) for t, lo, hi in zip(theta, lower, upper, strict=True)]
    return theta, lower, upper


def _unpack(theta: Sequence[float], layout: _Layout, prior: Parameters) -> Parameters:
    values = iter(math.exp(t) for t in theta)
    efficiency = dict(prior.efficiency)
    efficiency.update({c: next(values) for c in layout.classes})
    scale = dict(prior.precision_scale)
    scale.update({p: next(values) for p in layout.precisions})
    overhead, bandwidth = next(values), prior.dram_bytes_per_s * next(values)
    halo = next(values) if layout.halo else prior.spatial_halo
    reduction = next(values) if layout.reduction else prior.reduction_half
    per_file = tuple(values)
    levels, overheads = (per_file, ()) if layout.per_file == "level" else ((), per_file)
    return Parameters(
        efficiency, overhead, bandwidth, scale, halo, reduction, levels, overheads, prior.launch
    )


PER_FILE = ("level", "overhead", "none")  # what each measurement file after the first gets of its own


def fit(data: Sequence[tuple[Features, float]], prior: Parameters, per_file: str = "level") -> Parameters:
    """Least squares on log latency with a log-normal prior around `prior` (module docstring).

    Fitted: the efficiency of every op class in the data, the per-kernel overhead, a bandwidth
    scale, an efficiency scale for every precision in the data other than the most common one
    (whose efficiencies the op-class values already are), the spatial halo and reduction half-length
    when the prior has them, and for every measurement file after the first its own level
    (`per_file="level"`: campaigns of different runtime releases), its own per-kernel overhead
    ("overhead": one campaign timed two ways, e.g. single layers and whole models) or nothing
    ("none")."""
    scipy = need_scipy()
    import numpy as np

    feats = [f for f, _ in data]
    classes, precisions = _names(feats)
    layout = _Layout(
        classes,
        precisions[1:],
        prior.spatial_halo > 0,
        prior.reduction_half > 0,
        max((f.source for f in feats), default=0) if per_file != "none" else 0,
        per_file,
    )
    theta0, lower, upper = _theta0(layout, prior)
    stacked = _Stacked(feats, classes, precisions)
    log_measured = np.log(np.array([m for _, m in data], dtype=float))
    # every file weighs the same in total, however many rows it has (342 single layers must not
    # drown 45 whole models): row weight sqrt(rows / (files * rows of its file))
    per_source = Counter(f.source for f in feats)
    weight = np.sqrt(np.array([len(feats) / (len(per_source) * per_source[f.source]) for f in feats]))
    anchor = np.array(theta0)

    def residuals(theta: Any) -> Any:
        predicted = stacked.predict(_unpack(theta, layout, prior), classes, precisions)
        misfit = weight * (np.log(predicted) - log_measured) / MEASUREMENT_SD
        return np.concatenate([misfit, (theta - anchor) / PRIOR_SD])

    solution = scipy.optimize.least_squares(residuals, theta0, bounds=(lower, upper))
    return _unpack(list(solution.x), layout, prior)


def leave_one_out(
    data: Sequence[tuple[Features, float]],
    prior: Parameters,
    groups: Sequence[str],
    per_file: str = "level",
) -> list[float]:
    """Each measurement predicted by a fit on the measurements of the other groups: every row of
    the same group (a model, or a resolution) is left out together, so no variant of it helps
    predict it."""
    predicted = [0.0] * len(data)
    for group in dict.fromkeys(groups):
        params = fit([d for d, g in zip(data, groups, strict=True) if g != group], prior, per_file)
        held_out = [i for i, g in enumerate(groups) if g == group]
        for i, value in zip(held_out, predict_many([data[i][0] for i in held_out], params), strict=True):
            predicted[i] = value
    return predicted


def transfer(params: Parameters, source: HardwareProfile, target: HardwareProfile) -> Parameters:
    """Fitted efficiencies of one unit carried to a close relative (same kernels, same kind of
    core): efficiencies, overhead, precision scales and work-model parameters as fitted; bandwidth
    as the same share of the target's peak bandwidth."""
    share = params.dram_bytes_per_s / source.memory.dram_bytes_per_s
    return Parameters(
        dict(params.efficiency),
        params.overhead_s,
        target.memory.dram_bytes_per_s * share,
        dict(params.precision_scale),
        params.spatial_halo,
        params.reduction_half,
        launch=params.launch,
    )
