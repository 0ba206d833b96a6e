"""Calibrate the H200's (hardware, runtime) pairs on the team's measurements and carry the method to
the A100 and H100; print the evidence.

Usage: python scripts/calibrate_gpus.py [--write]

Data (calibration/h200/, copied from ../shared/data/h200 with their headers): per-layer fp16 times
of three torchvision models at batch 1 and 64 (each layer alone, replayed as a CUDA graph), and
whole-model fp32 times at batch 1, 32 and 256 under eager execution and CUDA-graph replay
(scripts/h200_measurements.py turned them into measurement files).

- torch-cudagraph: one fit on the whole-model fp32 graph times and the per-layer fp16 times together
  (the fp16 efficiency scale against fp32 is fitted); each layer timed alone is its own one-kernel
  graph, whose replay costs more per kernel than a kernel inside a model's graph, so the per-layer
  file gets its own per-kernel overhead (the profile keeps the whole models');
- torch-eager: a fit on the eager whole-model times (launches asynchronous: runtimes/torch-eager.yaml).

Scores are leave one model out (every row of a model, all batches and layers, held out together),
split by batch. With --write the fitted pairs go into hardware/h200.yaml's `runtimes:`, and into
a100.yaml and h100.yaml as transferred pairs (same kernels and library; efficiencies, overhead and
work model as fitted, bandwidth as the same share of each chip's peak).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.hw import load_profile  # noqa: E402
from costmodel.hw.calibrate import Parameters, Scores, scores, transfer  # noqa: E402
from costmodel.hw.calibration import LatencyReport, calibrate, pair_override  # noqa: E402
from costmodel.hw.pairing import with_runtime  # noqa: E402
from costmodel.hw.runtime import load_runtime  # noqa: E402

DATA = ROOT / "calibration" / "h200"
PAIRS = [  # (runtime, measurement files)
    ("torch-cudagraph", ["whole_fp32_graph.csv", "per_layer_fp16.csv"]),
    ("torch-eager", ["whole_fp32_eager.csv"]),
]
TRANSFER_TO = ["a100", "h100"]


def _line(name: str, s: Scores) -> str:
    within = f"within 25% {s.within_25:5.1f}%"
    return f"{name:28s} n={s.n:3d}  MAPE {s.mape:5.1f}%  {within}  Spearman {s.spearman:.3f}"


def _subsets(report: LatencyReport) -> None:
    rows = report.rows
    groups = {
        "per-layer fp16": [r for r in rows if r.label.count(" ") >= 2],
        **{
            f"whole model batch {b}": [
                r for r in rows if r.label.count(" ") == 1 and r.label.endswith(f" b{b}")
            ]
            for b in (1, 32, 256)
        },
    }
    for name, chosen in groups.items():
        if chosen:
            print(
                "  "
                + _line(
                    f"held out, {name}",
                    scores([r.loo_s or 0 for r in chosen], [r.measured_s for r in chosen]),
                )
            )


def write_pairs(path: Path, pairs: dict[str, dict[str, Any]]) -> None:
    """Put `runtimes:` before `sources:` in a hand-written profile, keeping its comments."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("runtimes:")), None)
    if start is not None:
        end = next(i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\n", "#", ""))
        del lines[start:end]
    at = next(i for i, line in enumerate(lines) if line.startswith("sources:"))
    block = yaml.safe_dump({"runtimes": pairs}, sort_keys=False, width=100)
    lines.insert(at, block)
    path.write_text("".join(lines), encoding="utf-8")
    load_profile(str(path))  # what we wrote must load


def main() -> None:
    write = "--write" in sys.argv
    # the estimates, without the pairs a previous run wrote: a prior that has seen the data would
    # make the held-out scores dishonest
    h200 = load_profile("h200").model_copy(update={"runtimes": {}})
    fitted: dict[str, dict[str, Any]] = {}
    params_of: dict[str, Parameters] = {}
    for runtime_name, names in PAIRS:
        effective = with_runtime(h200, load_runtime(runtime_name))
        files = [DATA / n for n in names]
        report = calibrate(files, effective, per_file="overhead")
        assert report.fitted is not None and report.loo is not None and report.params is not None
        print(f"h200 + {runtime_name}: {' + '.join(names)}")
        print("  " + _line("profile as given", report.before))
        print("  " + _line("fitted in sample", report.fitted))
        print("  " + _line("held out (one model)", report.loo))
        _subsets(report)
        how = (
            f"fitted by scripts/calibrate_gpus.py on calibration/h200/{' + '.join(names)} "
            f"(n={report.fitted.n}, in-sample MAPE {report.fitted.mape:.1f}%, leave-one-model-out MAPE "
            f"{report.loo.mape:.1f}% Spearman {report.loo.spearman:.2f})"
        )
        fitted[runtime_name] = pair_override(h200, report.params, how)
        params_of[runtime_name] = report.params
    if not write:
        return
    write_pairs(ROOT / "hardware" / "h200.yaml", fitted)
    print("  wrote hardware/h200.yaml")
    for target_name in TRANSFER_TO:
        target = load_profile(target_name)
        pairs = {}
        for runtime_name, p in params_of.items():
            fit_text = fitted[runtime_name]["sources"]["overhead_s_per_kernel"].removeprefix("[FIT] ")
            how = f"transferred from the h200 fit ({fit_text})"
            pairs[runtime_name] = pair_override(target, transfer(p, h200, target), how)
        write_pairs(ROOT / "hardware" / f"{target_name}.yaml", pairs)
        print(f"  wrote hardware/{target_name}.yaml")


if __name__ == "__main__":
    main()
