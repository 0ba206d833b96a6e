"""Calibrate the bundled phone profiles on published latencies and print the evidence.

Usage: python scripts/calibrate_profiles.py [--write]

For each dataset in calibration/ it fits the matching profile (costmodel calibrate), prints the
in-sample and leave-one-model-out scores (and leave-one-resolution-out with the resolution
exponents where a dataset has several resolutions), and with --write stores the calibrated profile
in hardware/. Several files of one phone are fitted together, each with its own level (one
measurement campaign, one runtime release: costmodel/hw/calibration.py); the profile keeps the
first file's.

The Snapdragon 855 prime core has no published single-core table; it takes the fit of the Pixel 3's
Cortex-A75 core (same TFLite kernels, same family of core), with the bandwidth as the same share of
its own peak. The spatial halo of the work model (costmodel/cost/utilisation.py) needs latencies at
several resolutions: single-core profiles take the one fitted on the Pixel 1's MobileNetV2 width x
resolution table, 4-thread profiles the one fitted on the Pixel 3's MobileNetV1 resolutions. Every
fit starts from the estimates in calibration/priors/ (the profiles as written before calibration),
so re-running gives the same profiles and the held-out scores never use a prior that has seen the
left-out model.

After the TFLite fits, the (profile, runtime) pairs of PAIRS are fitted on that runtime's own
published latencies (calibration/sd855_ncnn_*.csv: ncnn's benchmark table): the prior is the
TFLite-calibrated profile (without any pair a previous run wrote) under the runtime's mechanisms
(Winograd, fp16 arithmetic: costmodel.hw.pairing.with_runtime), the scores are in sample and leave
one model out, and the predicted speed ratio against the profile's own runtime is printed for
RATIO_MODELS before (uncalibrated pair) and after. With --write the pair goes into the profile's
`runtimes:`, after the profile itself has been regenerated, so it survives regeneration and the rest
of the file is what the TFLite fit alone writes.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.hw import HardwareProfile, load_profile  # noqa: E402
from costmodel.hw.calibrate import Scores, transfer  # noqa: E402
from costmodel.hw.calibration import (  # noqa: E402
    LatencyReport,
    calibrate,
    calibrated_profile_dict,
    pair_override,
)
from costmodel.hw.pairing import with_runtime  # noqa: E402
from costmodel.hw.runtime import load_runtime  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from calibrate_gpus import write_pairs  # noqa: E402

# (measurements, profile fitted on them, profiles that take the fit, profile whose halo it takes)
DATASETS: list[tuple[list[str], str, list[str], str | None]] = [
    (["pixel1_sd821.csv", "pixel1_sd821_mbv2_readme.csv"], "snapdragon821", [], None),
    (["pixel3_sd845.csv", "pixel3_sd845_int8.csv"], "snapdragon845", ["snapdragon855"], "snapdragon821"),
    (["pixel3_sd845_cpu4.csv"], "snapdragon845-cpu4", [], None),
    (["pixel4_sd855_cpu4.csv"], "snapdragon855-cpu4", [], "snapdragon845-cpu4"),
]

# (runtime, measurements, profile): (hardware, runtime) pairs fitted after the profiles
PAIRS: list[tuple[str, str, str]] = [
    ("ncnn", "sd855_ncnn_1thread.csv", "snapdragon855"),
    ("ncnn", "sd855_ncnn_4threads.csv", "snapdragon855-cpu4"),
]
# models whose predicted speed ratio (profile's runtime / pair's runtime) the pair step prints
RATIO_MODELS = ["mbv2", "resnet18", "squeezenet1_1"]


def prior_profile(name: str, halo: float | None = None) -> HardwareProfile:
    """The estimate a profile is fitted from; with `halo`, the spatial halo fitted elsewhere
    (a fit without several resolutions cannot see it)."""
    prior = load_profile(str(ROOT / "calibration" / "priors" / f"{name}.yaml"))
    if halo is None or prior.utilisation is None:
        return prior
    return prior.model_copy(
        update={"utilisation": prior.utilisation.model_copy(update={"spatial_halo": halo})}
    )


def _score(text: str, scores: Scores) -> str:
    return f"{text} MAPE {scores.mape:5.1f}% Spearman {scores.spearman:.3f}"


def without_pairs(name: str) -> HardwareProfile:
    """The bundled profile as its own runtime's fit left it: no `runtimes:` entries (a prior that
    has seen a pair's data would make that pair's held-out scores dishonest)."""
    return load_profile(str(ROOT / "hardware" / f"{name}.yaml")).model_copy(update={"runtimes": {}})


def fit_pair(runtime: str, csv_name: str, profile: HardwareProfile) -> LatencyReport:
    """The (profile, runtime) pair fitted on the runtime's own latencies, held out by model."""
    return calibrate([ROOT / "calibration" / csv_name], with_runtime(profile, load_runtime(runtime)))


def speed_ratio(spec: str, profile: HardwareProfile, runtime: str) -> float:
    """Predicted latency under the profile's own runtime over that under `runtime`."""
    from costmodel.api import analyze

    own = analyze(spec, profile).totals.latency_s
    return float(own / analyze(spec, profile, runtime=runtime).totals.latency_s)


def pair_text(runtime: str, csv_name: str, report: LatencyReport) -> str:
    """Where a pair's fitted numbers come from (its sources)."""
    assert report.fitted is not None and report.loo is not None
    return (
        f"fitted by scripts/calibrate_profiles.py (`costmodel calibrate {csv_name} --runtime {runtime}`)"
        f" on calibration/{csv_name} (n={report.fitted.n}, in-sample MAPE {report.fitted.mape:.1f}%,"
        f" leave-one-model-out MAPE {report.loo.mape:.1f}% Spearman {report.loo.spearman:.2f})"
    )


def fitted_only(entry: dict[str, Any], prior: HardwareProfile) -> dict[str, Any]:
    """A pair entry without the efficiencies and precision scales the fit left at the prior's value
    (op classes or precisions the data does not hold): under the pair those keep the profile's own
    value and source instead of a [FIT] label they have not earned."""
    kept = {c: v for c, v in entry["efficiency"].items() if abs(v - prior.efficiency[c]) > 5e-5}
    scales = {
        q: v
        for q, v in entry.get("precisions", {}).items()
        if abs(v["efficiency_scale"] - prior.precisions[q].scale) > 5e-5
    }
    dropped = [f"efficiency.{c}" for c in entry["efficiency"] if c not in kept]
    dropped += [f"precisions.{q}.efficiency_scale" for q in entry.get("precisions", {}) if q not in scales]
    out = {**entry, "efficiency": kept, "precisions": scales}
    if not scales:
        del out["precisions"]
    out["sources"] = {k: v for k, v in entry["sources"].items() if k not in dropped}
    return out


def fit_pairs(write: bool) -> None:
    """Fit every (profile, runtime) pair of PAIRS, print the evidence, with `write` store it."""
    for runtime, csv_name, profile_name in PAIRS:
        profile = without_pairs(profile_name)
        report = fit_pair(runtime, csv_name, profile)
        assert report.params is not None and report.fitted is not None and report.loo is not None
        print(f"{csv_name} -> {profile_name} + {runtime} (n={report.fitted.n})")
        print(f"  {_score('uncalibrated pair', report.before)}")
        print(f"  {_score('fitted in sample', report.fitted)}")
        print(f"  {_score('leave one model out', report.loo)}")
        effective = with_runtime(profile, load_runtime(runtime))
        entry = fitted_only(
            pair_override(effective, report.params, pair_text(runtime, csv_name, report)), effective
        )
        paired = profile.model_copy(update={"runtimes": {runtime: entry}})
        for spec in RATIO_MODELS:
            before, after = speed_ratio(spec, profile, runtime), speed_ratio(spec, paired, runtime)
            print(
                f"  {spec}: {runtime} predicted {before:.2f}x as fast as {profile.runtime} before, ", end=""
            )
            print(f"{after:.2f}x after")
        if write:
            write_pairs(ROOT / "hardware" / f"{profile_name}.yaml", {runtime: entry})
            print(f"  wrote the pair into hardware/{profile_name}.yaml")


def main() -> None:
    write = "--write" in sys.argv
    halos: dict[str, float] = {}
    for csv_names, profile_name, targets, halo_from in DATASETS:
        files = [ROOT / "calibration" / name for name in csv_names]
        hw = prior_profile(profile_name, halos.get(halo_from or ""))
        report = calibrate(files, hw)
        assert report.params is not None and report.fitted is not None
        halos[profile_name] = report.params.spatial_halo
        loo = report.loo
        print(f"{' + '.join(csv_names)} -> {profile_name} (n={report.fitted.n})")
        print(f"  {_score('fitted in sample', report.fitted)}")
        if loo:
            print(f"  {_score('leave one model out', loo)}")
        # the same call held the models at several resolutions out by resolution too
        if report.loo_tables and report.exponents:
            print(f"  {_score('leave one resolution out, width x resolution rows', report.loo_tables)}")
            for e in report.exponents:
                print(f"    resolution exponent {e.label}: measured {e.measured:.2f}, ", end="")
                print(f"held-out {e.predicted:.2f}")
        if not write:
            continue
        outputs = [(hw, report.params, None)]
        outputs += [
            (prior_profile(t), transfer(report.params, hw, prior_profile(t)), profile_name) for t in targets
        ]
        for target, params, source in outputs:
            data = calibrated_profile_dict(
                target, params, report.measurements_file, report.fitted, loo, transferred_from=source
            )
            if halo_from and target.utilisation is not None:
                fitted_on = load_profile(str(ROOT / "hardware" / f"{halo_from}.yaml")).sources
                data["sources"]["utilisation.spatial_halo"] = (
                    f"[FIT] taken from the {halo_from} fit (this data has one resolution): "
                    + fitted_on.get("utilisation.spatial_halo", "")
                )
            path = ROOT / "hardware" / f"{target.name}.yaml"
            header = "".join(
                f"# {line}\n"
                for line in [
                    f"{target.title}.",
                    "Calibrated by scripts/calibrate_profiles.py; [FIT] sources name the data.",
                ]
            )
            path.write_text(
                header + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True),
                encoding="utf-8",
            )
            load_profile(str(path))
            print(f"  wrote {path.relative_to(ROOT)}")
    fit_pairs(write)


if __name__ == "__main__":
    main()
