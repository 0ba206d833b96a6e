"""Calibrate the bundled phone profiles on published latencies and print the evidence.

Usage: python scripts/calibrate_profiles.py [--write]

For each dataset in calibration/ it fits the matching profile (costmodel calibrate), prints the
in-sample and leave-one-model-out scores, and with --write stores the calibrated profile in
hardware/. The Snapdragon 855 prime core has no published single-core table; it takes the fit of
the Pixel 3's Cortex-A75 core (same TFLite kernels, same family of core), with the bandwidth as the
same share of its own peak. Every fit starts from the estimates in calibration/priors/ (the
profiles as written before calibration), so re-running gives the same profiles and the
leave-one-model-out scores never use a prior that has seen the left-out model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.hw import HardwareProfile, load_profile  # noqa: E402
from costmodel.hw.calibrate import transfer  # noqa: E402
from costmodel.hw.calibration import calibrate, calibrated_profile_dict  # noqa: E402

DATASETS = [  # (measurements, profile fitted on them, profiles that take the fit)
    ("pixel1_sd821.csv", "snapdragon821", []),
    ("pixel3_sd845.csv", "snapdragon845", ["snapdragon855"]),
    ("pixel3_sd845_cpu4.csv", "snapdragon845-cpu4", []),
    ("pixel4_sd855_cpu4.csv", "snapdragon855-cpu4", []),
]


def prior_profile(name: str) -> HardwareProfile:
    return load_profile(str(ROOT / "calibration" / "priors" / f"{name}.yaml"))


def main() -> None:
    write = "--write" in sys.argv
    print(
        f"{'dataset':28s} {'profile':20s} {'n':>3s} {'fit MAPE':>9s} {'LOO MAPE':>9s} {'LOO Spearman':>13s}"
    )
    for csv_name, profile_name, targets in DATASETS:
        measurements = ROOT / "calibration" / csv_name
        hw = prior_profile(profile_name)
        report = calibrate(measurements, hw)
        assert report.params is not None and report.fitted is not None
        loo = report.loo
        print(
            f"{csv_name:28s} {profile_name:20s} {report.fitted.n:3d} {report.fitted.mape:8.1f}% "
            f"{(f'{loo.mape:8.1f}%' if loo else '       -'):>9s} "
            f"{(f'{loo.spearman:13.3f}' if loo else '            -')}"
        )
        if not write:
            continue
        outputs = [(hw, report.params, None)]
        outputs += [
            (prior_profile(t), transfer(report.params, hw, prior_profile(t)), profile_name) for t in targets
        ]
        for target, params, source in outputs:
            data = calibrated_profile_dict(
                target, params, str(measurements), report.fitted, loo, transferred_from=source
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
