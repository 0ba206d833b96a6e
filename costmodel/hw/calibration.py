"""`validate-latency` and `calibrate`: a profile against measured latencies, the fit, its scores
held out by model or by input resolution, resolution exponents, and the calibrated profile.

Several measurement files may be fitted together. Each file is one measurement campaign (a phone
unit, a runtime release, a thermal state): absolute levels differ by 10-20% between campaigns on
the same phone and models (issue 14: MobileNetV2 1.0 on the Pixel 1 is 73.8 ms in the 2018 model
README and 64 ms in the 2019 MobileNetV3 paper), while the shape of the cost (which layers are slow,
how latency grows with resolution) is shared. So every file after the first gets its own level,
and the profile keeps the first file's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costmodel.hw.calibrate import (
    Features,
    Measurement,
    Parameters,
    Scores,
    features,
    fit,
    leave_one_out,
    load_measurements,
    predict_many,
    profile_parameters,
    scores,
)
from costmodel.hw.profile import HardwareProfile
from costmodel.names import OP_CLASSES

LEAVE_OUT = ("model", "resolution")


@dataclass(frozen=True)
class LatencyRow:
    label: str
    measured_s: float
    predicted_s: float  # with the profile as given
    fitted_s: float | None = None  # after the fit (calibrate only)
    loo_s: float | None = None  # held out (calibrate only)


@dataclass(frozen=True)
class Exponent:
    """How latency grows with input resolution for one model: the slope of log latency against
    log resolution over its measured resolutions (2 = proportional to the pixels)."""

    label: str
    points: int
    measured: float
    predicted: float  # by the held-out fits (or the profile as given)


@dataclass(frozen=True)
class LatencyReport:
    hardware: str
    measurements_file: str
    rows: tuple[LatencyRow, ...]
    before: Scores
    fitted: Scores | None = None
    loo: Scores | None = None
    params: Parameters | None = None
    leave_out: str = "model"
    exponents: tuple[Exponent, ...] = ()
    # held out by resolution, on the models measured at several resolutions only (width x
    # resolution tables); computed whatever `leave_out` is
    loo_tables: Scores | None = None


def _prepare(
    files: Sequence[Path], hw: HardwareProfile
) -> tuple[list[Measurement], list[tuple[Features, float]]]:
    measurements: list[Measurement] = []
    data: list[tuple[Features, float]] = []
    for source, path in enumerate(files):
        for m in load_measurements(path):
            measurements.append(m)
            data.append((features(m, hw, source), m.latency_s))
    return measurements, data


def _files(measurements: Path | Sequence[Path]) -> list[Path]:
    return [measurements] if isinstance(measurements, Path) else list(measurements)


def group_of(m: Measurement, f: Features, leave_out: str) -> str:
    """The held-out group of a measurement: its model, or its input resolution as analysed."""
    if leave_out == "resolution":
        return str(f.resolution)
    return m.group or Path(m.spec).stem


def exponents(measurements: Sequence[Measurement], predicted: Sequence[float]) -> tuple[Exponent, ...]:
    """Resolution exponents of every model measured at 3 or more resolutions, measured and predicted."""
    import numpy as np

    families: dict[tuple[Any, ...], list[int]] = {}
    for i, m in enumerate(measurements):
        if m.options.resolution:
            key = (m.group or m.spec, m.options.width, m.options.precision, m.options.batch)
            families.setdefault(key, []).append(i)
    out = []
    for key, rows in families.items():
        if len({measurements[i].options.resolution for i in rows}) < 3:
            continue
        x = np.log([float(measurements[i].options.resolution or 0) for i in rows])
        measured = float(np.polyfit(x, np.log([measurements[i].latency_s for i in rows]), 1)[0])
        model = float(np.polyfit(x, np.log([predicted[i] for i in rows]), 1)[0])
        label = f"{Path(str(key[0])).stem} x{key[1]:g}" + (f" {key[2]}" if key[2] else "")
        out.append(Exponent(label, len(rows), measured, model))
    return tuple(out)


def _in_resolution_tables(measurements: Sequence[Measurement]) -> list[int]:
    """Rows of the models (spec, width, precision, batch) measured at two or more resolutions."""
    seen: dict[tuple[Any, ...], set[int | None]] = {}
    for m in measurements:
        key = (m.group or m.spec, m.options.width, m.options.precision, m.options.batch)
        seen.setdefault(key, set()).add(m.options.resolution)
    return [
        i
        for i, m in enumerate(measurements)
        if len(seen[(m.group or m.spec, m.options.width, m.options.precision, m.options.batch)]) > 1
    ]


def validate_latency(measurements: Path | Sequence[Path], hw: HardwareProfile) -> LatencyReport:
    """Predictions of the profile as it is against the measurements."""
    files = _files(measurements)
    rows_in, data = _prepare(files, hw)
    predicted = predict_many([f for f, _ in data], profile_parameters(hw))
    measured = [m for _, m in data]
    rows = tuple(LatencyRow(m.label, m.latency_s, p) for m, p in zip(rows_in, predicted, strict=True))
    return LatencyReport(
        hw.name,
        ", ".join(str(f) for f in files),
        rows,
        scores(predicted, measured),
        exponents=exponents(rows_in, predicted),
    )


def calibrate(
    measurements: Path | Sequence[Path],
    hw: HardwareProfile,
    with_loo: bool = True,
    prior_hw: HardwareProfile | None = None,
    leave_out: str = "model",
    per_file: str = "level",
) -> LatencyReport:
    """Fit the profile to the measurements; score before, after, and held out by `leave_out`
    (every measurement of one model, or of one resolution, predicted by a fit on the others).

    The fit starts from, and is pulled toward, `prior_hw`'s values (default: `hw`'s own). A
    profile already calibrated on these measurements must not be its own prior when scoring
    held-out predictions: its values have seen the left-out rows. calibration/priors/ keeps the
    estimates the bundled phone profiles were calibrated from. `per_file`: what each file after
    the first gets of its own (hw/calibrate.py PER_FILE)."""
    files = _files(measurements)
    rows_in, data = _prepare(files, hw)
    prior = profile_parameters(prior_hw or hw)
    params = fit(data, prior, per_file)
    measured = [m for _, m in data]
    feats = [f for f, _ in data]
    before = predict_many(feats, prior)
    after = predict_many(feats, params)
    groups = [group_of(m, f, leave_out) for m, f in zip(rows_in, feats, strict=True)]
    loo = leave_one_out(data, prior, groups, per_file) if with_loo and len(set(groups)) > 2 else None
    rows = tuple(
        LatencyRow(m.label, m.latency_s, b, a, (loo[i] if loo else None))
        for i, (m, b, a) in enumerate(zip(rows_in, before, after, strict=True))
    )
    # Models measured at several resolutions (width x resolution tables) are also held out by
    # resolution, whatever `leave_out` says: how latency scales with the input is what they test.
    tables = _in_resolution_tables(rows_in)
    by_resolution = loo if leave_out == "resolution" else None
    if by_resolution is None and with_loo and tables:
        resolutions = [group_of(m, f, "resolution") for m, f in zip(rows_in, feats, strict=True)]
        if len(set(resolutions)) > 1:
            by_resolution = leave_one_out(data, prior, resolutions, per_file)
    loo_tables = (
        scores([by_resolution[i] for i in tables], [measured[i] for i in tables])
        if by_resolution and tables
        else None
    )
    return LatencyReport(
        hw.name,
        ", ".join(str(f) for f in files),
        rows,
        scores(before, measured),
        scores(after, measured),
        scores(loo, measured) if loo else None,
        params,
        leave_out,
        exponents(rows_in, by_resolution or loo or after),
        loo_tables,
    )


def fitted_text(files: str, fit_scores: Scores, loo_scores: Scores | None, source: str | None) -> str:
    names = " ".join(Path(f.strip()).name for f in files.split(","))
    return (
        f"fitted by `costmodel calibrate {names}"
        + (f" --hw {source}` and transferred from that unit" if source else "`")
        + f" (n={fit_scores.n}, in-sample MAPE {fit_scores.mape:.1f}%"
        + (
            f", leave-one-out MAPE {loo_scores.mape:.1f}% Spearman {loo_scores.spearman:.2f}"
            if loo_scores
            else ""
        )
        + ")"
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
    data = hw.model_dump(exclude={"file"}, exclude_none=True)
    if hw.utilisation is not None:  # only what the profile sets (a 0 default would need a source)
        data["utilisation"] = {
            "parallel_units": hw.utilisation.parallel_units,
            **hw.utilisation.model_dump(exclude_defaults=True),
        }
    fitted = fitted_text(measurements_file, fit_scores, loo_scores, transferred_from)
    data["efficiency"] = {c: round(params.efficiency[c], 4) for c in OP_CLASSES}
    data["overhead_s_per_kernel"] = float(f"{params.overhead_s:.3g}")
    data["memory"]["dram_bytes_per_s"] = float(f"{params.dram_bytes_per_s:.4g}")
    sources = dict(hw.sources)
    for name, scale in params.precision_scale.items():
        if name in data["precisions"] and abs(scale - hw.precisions[name].scale) > 1e-9:
            data["precisions"][name]["efficiency_scale"] = round(scale, 4)
            sources[f"precisions.{name}.efficiency_scale"] = f"[FIT] {fitted}"
    for c in OP_CLASSES:
        if abs(params.efficiency[c] - hw.efficiency[c]) > 1e-9:
            sources[f"efficiency.{c}"] = f"[FIT] {fitted}; prior: {hw.sources.get(f'efficiency.{c}', '')}"
    for key, value in (("spatial_halo", params.spatial_halo), ("reduction_half", params.reduction_half)):
        if value and "utilisation" in data:
            data["utilisation"][key] = float(f"{value:.3g}")
            prior_source = hw.sources.get(f"utilisation.{key}", "")
            sources[f"utilisation.{key}"] = f"[FIT] {fitted}; prior: {prior_source}"
    sources["overhead_s_per_kernel"] = f"[FIT] {fitted}"
    sources["memory.dram_bytes_per_s"] = (
        f"[FIT] achievable bandwidth {fitted}; peak: {hw.sources.get('memory.dram_bytes_per_s', '')}"
    )
    data["sources"] = sources
    if not data.get("runtimes"):
        data.pop("runtimes", None)
    data["notes"] = (hw.notes + " " if hw.notes else "") + f"Calibration: {fitted}."
    return data


def pair_override(hw: HardwareProfile, p: Parameters, how: str) -> dict[str, Any]:
    """Fitted values as a profile's `runtimes: {NAME: ...}` entry: a partial profile (efficiencies,
    overhead, bandwidth, fitted precision scales and work-model values) with its own sources."""
    override: dict[str, Any] = {
        "efficiency": {c: round(v, 4) for c, v in p.efficiency.items()},
        "overhead_s_per_kernel": float(f"{p.overhead_s:.3g}"),
        "memory": {"dram_bytes_per_s": float(f"{p.dram_bytes_per_s:.4g}")},
    }
    sources = {f"efficiency.{c}": f"[FIT] {how}" for c in p.efficiency}
    sources["overhead_s_per_kernel"] = f"[FIT] {how}"
    sources["memory.dram_bytes_per_s"] = f"[FIT] achievable bandwidth {how}"
    scales = {
        q: round(v, 4) for q, v in p.precision_scale.items() if abs(v - 1.0) > 1e-9 and q in hw.precisions
    }
    if scales:
        override["precisions"] = {q: {"efficiency_scale": v} for q, v in scales.items()}
        sources.update({f"precisions.{q}.efficiency_scale": f"[FIT] {how}" for q in scales})
    work = {
        key: float(f"{value:.3g}")
        for key, value in (("spatial_halo", p.spatial_halo), ("reduction_half", p.reduction_half))
        if value and hw.utilisation is not None
    }
    if work:
        override["utilisation"] = work
        sources.update({f"utilisation.{key}": f"[FIT] {how}" for key in work})
    override["sources"] = sources
    return override
