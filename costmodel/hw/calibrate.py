"""Fit a hardware profile's efficiencies, per-kernel overhead and achievable bandwidth to measured
latencies, and score predictions against measurements.

The roofline predicts a model's latency as

    sum over kernels k of  max( sum_c W[k, c] / eff[c],  B[k] / (bw * bw_scale) )  +  n_kernels * overhead

where W[k, c] is the time kernel k's work of op class c would take at the unit's peak (MACs and
elementwise ops over peak MAC/s of its precision) and B[k] its DRAM bytes. W and B depend only on
the spec, options and the profile's peaks, so they are computed once per measurement; the fit then
moves only eff[c], overhead and bw_scale.

Fit: least squares on log latency (relative errors count the same for a 3 ms and a 300 ms model),
with a weak prior that pulls every parameter toward the profile's own value (a Gaussian in log
space, sd = PRIOR_SD). The prior keeps the problem well posed when there are fewer measurements
than parameters or an op class barely appears in the data. Efficiencies are bounded to (1e-3, 1],
bandwidth to at most the profile's peak. scipy.optimize.least_squares does the fitting.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costmodel.cost.analysis import plan
from costmodel.errors import CostModelError, ErrorCode, excerpt
from costmodel.hw.measurements import Measurement as Measurement
from costmodel.hw.measurements import load_measurements as load_measurements
from costmodel.hw.profile import HardwareProfile
from costmodel.ops.registry import OP_CLASSES
from costmodel.spec.model import load_spec, resolve_spec_path

MEASUREMENT_SD = 0.1  # log-latency noise of one published figure (runtime versions, thermal state)
MIN_FIT_OVERHEAD_S = 1e-8  # the fit's lower bound; a profile's 0 starts there (log 0 is undefined)
PRIOR_SD = 1.0  # the prior allows a factor of e either way before it costs as much as a 10% miss


@dataclass(frozen=True)
class Features:
    """What the roofline needs of one measured configuration, independent of the fitted values."""

    work: tuple[dict[tuple[str, str], float], ...]  # per kernel: (op class, precision) -> seconds
    # at 100% of the precision's peak
    dram_bytes: tuple[int, ...]  # per kernel
    kernels: int


@dataclass(frozen=True)
class Parameters:
    efficiency: dict[str, float]
    overhead_s: float
    dram_bytes_per_s: float
    precision_scale: dict[str, float] = field(default_factory=dict)  # precision -> scale (1 if absent)


@dataclass(frozen=True)
class Scores:
    n: int
    mape: float  # mean absolute percentage error, in percent
    within_10: float  # share of predictions within +-10%, in percent
    within_25: float
    spearman: float


def _need_scipy() -> Any:
    try:
        import scipy.optimize
        import scipy.stats
    except ImportError:
        raise CostModelError(
            ErrorCode.OPTION, "calibration needs scipy: pip install 'costmodel[calibrate]'"
        ) from None
    return scipy


def features(measurement: Measurement, hw: HardwareProfile) -> Features:
    """W and B of the docstring for one measured configuration, at the profile's peaks."""
    try:
        planned = plan(load_spec(resolve_spec_path(measurement.spec)), hw, measurement.options)
        counts, memory = planned.counts, planned.memory
    except CostModelError as exc:
        raise exc.with_context(pos=measurement.pos) from None
    work: dict[str, dict[tuple[str, str], float]] = {}
    dram: dict[str, int] = {}
    for count, moved in zip(counts, memory.traffic, strict=True):
        if count.is_view:
            continue
        precision = count.compute
        peak = hw.precision(precision).peak_macs_per_s
        kernel = work.setdefault(moved.kernel, {})
        key = (count.op_class, precision)
        kernel[key] = kernel.get(key, 0.0) + (count.macs + count.ops) / peak
        dram[moved.kernel] = dram.get(moved.kernel, 0) + moved.dram_bytes
    if not work:
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"spec '{excerpt(measurement.spec)}' has no layer that computes anything (only views): "
            "nothing to time",
            pos=measurement.pos,
        )
    return Features(tuple(work.values()), tuple(dram[k] for k in work), len(work))


def predict(f: Features, p: Parameters) -> float:
    total = f.kernels * p.overhead_s
    for work, nbytes in zip(f.work, f.dram_bytes, strict=True):
        compute = sum(
            seconds / (p.efficiency[c] * p.precision_scale.get(precision, 1.0))
            for (c, precision), seconds in work.items()
        )
        total += max(compute, nbytes / p.dram_bytes_per_s)
    return total


def profile_parameters(hw: HardwareProfile) -> Parameters:
    return Parameters(
        dict(hw.efficiency),
        hw.overhead_s_per_kernel,
        hw.memory.dram_bytes_per_s,
        {name: spec.scale for name, spec in hw.precisions.items()},
    )


def fit(data: Sequence[tuple[Features, float]], prior: Parameters) -> Parameters:
    """Least squares on log latency with a log-normal prior around `prior` (module docstring).

    Fitted: the efficiency of every op class in the data, the per-kernel overhead, a bandwidth
    scale, and an efficiency scale for every precision in the data other than the most common one
    (whose efficiencies the op-class values already are)."""
    scipy = _need_scipy()
    keys = [key for f, _ in data for work in f.work for key in work]
    classes = sorted({c for c, _ in keys})
    precisions = [p for p, _ in Counter(p for _, p in keys).most_common()][1:]
    theta0 = [math.log(prior.efficiency[c]) for c in classes]
    theta0 += [math.log(prior.precision_scale.get(p, 1.0)) for p in precisions]
    theta0 += [math.log(max(prior.overhead_s, MIN_FIT_OVERHEAD_S)), 0.0]  # overhead, log of bandwidth scale
    n_eff = len(classes) + len(precisions)
    lower = [math.log(1e-3)] * n_eff + [math.log(MIN_FIT_OVERHEAD_S), math.log(1e-2)]
    upper = [0.0] * n_eff + [math.log(1e-2), 0.0]
    theta0 = [min(max(t, lo + 1e-9), hi - 1e-9) for t, lo, hi in zip(theta0, lower, upper, strict=True)]

    def unpack(theta: Sequence[float]) -> Parameters:
        efficiency = dict(prior.efficiency)
        efficiency.update({c: math.exp(t) for c, t in zip(classes, theta, strict=False)})
        scale = dict(prior.precision_scale)
        scale.update({p: math.exp(t) for p, t in zip(precisions, theta[len(classes) :], strict=False)})
        return Parameters(
            efficiency, math.exp(theta[n_eff]), prior.dram_bytes_per_s * math.exp(theta[n_eff + 1]), scale
        )

    def residuals(theta: Sequence[float]) -> list[float]:
        params = unpack(theta)
        out = [(math.log(predict(f, params)) - math.log(measured)) / MEASUREMENT_SD for f, measured in data]
        out += [(t - t0) / PRIOR_SD for t, t0 in zip(theta, theta0, strict=True)]
        return out

    solution = scipy.optimize.least_squares(residuals, theta0, bounds=(lower, upper))
    return unpack(list(solution.x))


def scores(predicted: Sequence[float], measured: Sequence[float]) -> Scores:
    scipy = _need_scipy()
    errors = [abs(p - m) / m for p, m in zip(predicted, measured, strict=True)]
    n = len(errors)
    # Rank correlation needs at least 3 points and two distinct values on each side; otherwise it
    # is undefined, reported as nan (shown "n/a") rather than scipy's warning and nan.
    defined = n > 2 and len(set(predicted)) > 1 and len(set(measured)) > 1
    spearman = float(scipy.stats.spearmanr(predicted, measured).statistic) if defined else float("nan")
    tolerance = 1e-9  # 1.1 vs 1.0 is within 10%, floating point notwithstanding
    return Scores(
        n,
        100 * sum(errors) / n,
        100 * sum(e <= 0.10 + tolerance for e in errors) / n,
        100 * sum(e <= 0.25 + tolerance for e in errors) / n,
        spearman,
    )


def leave_one_out(
    data: Sequence[tuple[Features, float]], prior: Parameters, groups: Sequence[str]
) -> list[float]:
    """Each measurement predicted by a fit on the measurements of the other models: every row
    of the same group (spec) is left out together, so no variant of a model helps predict it."""
    fits: dict[str, Parameters] = {}
    for group in dict.fromkeys(groups):
        fits[group] = fit([d for d, g in zip(data, groups, strict=True) if g != group], prior)
    return [predict(f, fits[g]) for (f, _), g in zip(data, groups, strict=True)]


def transfer(params: Parameters, source: HardwareProfile, target: HardwareProfile) -> Parameters:
    """Fitted efficiencies of one unit carried to a close relative (same kernels, same kind of
    core): efficiencies, overhead and precision scales as fitted; bandwidth as the same share of
    the target's peak bandwidth."""
    share = params.dram_bytes_per_s / source.memory.dram_bytes_per_s
    return Parameters(
        dict(params.efficiency),
        params.overhead_s,
        target.memory.dram_bytes_per_s * share,
        dict(params.precision_scale),
    )


def calibrated_profile_dict(
    hw: HardwareProfile,
    params: Parameters,
    measurements_file: str,
    fit_scores: Scores,
    loo_scores: Scores | None,
    transferred_from: str | None = None,
) -> dict[str, Any]:
    """The profile as a plain dict (for YAML), with the fitted values and their provenance."""
    data = hw.model_dump(exclude={"file"})
    fitted = (
        f"fitted by `costmodel calibrate {Path(measurements_file).name}"
        + (f" --hw {transferred_from}` and transferred from that unit" if transferred_from else "`")
        + f" (n={fit_scores.n}, in-sample MAPE {fit_scores.mape:.1f}%"
        + (
            f", leave-one-out MAPE {loo_scores.mape:.1f}% Spearman {loo_scores.spearman:.2f}"
            if loo_scores
            else ""
        )
        + ")"
    )
    data["efficiency"] = {c: round(params.efficiency[c], 4) for c in OP_CLASSES}
    data["overhead_s_per_kernel"] = float(f"{params.overhead_s:.3g}")
    data["memory"]["dram_bytes_per_s"] = float(f"{params.dram_bytes_per_s:.4g}")
    sources = dict(hw.sources)
    for name, scale in params.precision_scale.items():
        if name in data["precisions"] and abs(scale - hw.precisions[name].scale) > 1e-9:
            data["precisions"][name]["efficiency_scale"] = round(scale, 4)
            sources[f"precisions.{name}.efficiency_scale"] = f"[FIT] {fitted}"
    for spec in data["precisions"].values():
        if spec.get("efficiency_scale") is None:
            spec.pop("efficiency_scale", None)
    for c in OP_CLASSES:
        if abs(params.efficiency[c] - hw.efficiency[c]) > 1e-9:
            sources[f"efficiency.{c}"] = f"[FIT] {fitted}; prior: {hw.sources.get(f'efficiency.{c}', '')}"
    sources["overhead_s_per_kernel"] = f"[FIT] {fitted}"
    sources["memory.dram_bytes_per_s"] = (
        f"[FIT] achievable bandwidth {fitted}; peak: {hw.sources.get('memory.dram_bytes_per_s', '')}"
    )
    data["sources"] = sources
    data["notes"] = (hw.notes + " " if hw.notes else "") + f"Calibration: {fitted}."
    return data


@dataclass(frozen=True)
class LatencyRow:
    label: str
    measured_s: float
    predicted_s: float  # with the profile as given
    fitted_s: float | None = None  # after the fit (calibrate only)
    loo_s: float | None = None  # leave-one-model-out (calibrate only)


@dataclass(frozen=True)
class LatencyReport:
    hardware: str
    measurements_file: str
    rows: tuple[LatencyRow, ...]
    before: Scores
    fitted: Scores | None = None
    loo: Scores | None = None
    params: Parameters | None = None


def _prepare(
    measurements_file: Path, hw: HardwareProfile
) -> tuple[list[Measurement], list[tuple[Features, float]]]:
    measurements = load_measurements(measurements_file)
    return measurements, [(features(m, hw), m.latency_s) for m in measurements]


def validate_latency(measurements_file: Path, hw: HardwareProfile) -> LatencyReport:
    """Predictions of the profile as it is against the measurements."""
    measurements, data = _prepare(measurements_file, hw)
    prior = profile_parameters(hw)
    predicted = [predict(f, prior) for f, _ in data]
    measured = [m for _, m in data]
    rows = tuple(LatencyRow(m.label, m.latency_s, p) for m, p in zip(measurements, predicted, strict=True))
    return LatencyReport(hw.name, str(measurements_file), rows, scores(predicted, measured))


def calibrate(
    measurements_file: Path,
    hw: HardwareProfile,
    with_loo: bool = True,
    prior_hw: HardwareProfile | None = None,
) -> LatencyReport:
    """Fit the profile to the measurements; score before, after, and leave-one-model-out.

    The fit starts from, and is pulled toward, `prior_hw`'s values (default: `hw`'s own). A
    profile already calibrated on these measurements must not be its own prior when scoring
    leave-one-out: its values have seen the left-out model. calibration/priors/ keeps the
    estimates the bundled phone profiles were calibrated from."""
    measurements, data = _prepare(measurements_file, hw)
    prior = profile_parameters(prior_hw or hw)
    params = fit(data, prior)
    measured = [m for _, m in data]
    before = [predict(f, prior) for f, _ in data]
    after = [predict(f, params) for f, _ in data]
    groups = [Path(m.spec).stem for m in measurements]
    loo = leave_one_out(data, prior, groups) if with_loo and len(set(groups)) > 2 else None
    rows = tuple(
        LatencyRow(m.label, m.latency_s, b, a, (loo[i] if loo else None))
        for i, (m, b, a) in enumerate(zip(measurements, before, after, strict=True))
    )
    return LatencyReport(
        hw.name,
        str(measurements_file),
        rows,
        scores(before, measured),
        scores(after, measured),
        scores(loo, measured) if loo else None,
        params,
    )
