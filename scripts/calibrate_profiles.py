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
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.hw import HardwareProfile, load_profile  # noqa: E402
from costmodel.hw.calibrate import Scores, transfer  # noqa: E402
from costmodel.hw.calibration import calibrate, calibrated_profile_dict  # noqa: E402

# (measurements, profile fitted on them, profiles that take the fit, profile whose halo it takes)
DATASETS: list[tuple[list[str], str, list[str], str | None]] = [
    (["pixel1_sd821.csv", "pixel1_sd821_mbv2_readme.csv"], "snapdragon821", [], None),
    (["pixel3_sd845.csv", "pixel3_sd845_int8.csv"], "snapdragon845", ["snapdragon855"], "snapdragon821"),
    (["pixel3_sd845_cpu4.csv"], "snapdragon845-cpu4", [], None),
    (["pixel4_sd855_cpu4.csv"], "snapdragon855-cpu4", [], "snapdragon845-cpu4"),
]


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
        by_resolution = calibrate(files, hw, leave_out="resolution")
        if by_resolution.loo_tables and by_resolution.exponents:
            print(
                f"  {_score('leave one resolution out, width x resolution rows', by_resolution.loo_tables)}"
            )
            for e in by_resolution.exponents:
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


if __name__ == "__main__":
    main()
