"""Measure the zoo on this CPU with onnxruntime, calibrate the `host` profile, print the table.

Usage: python benchmarks/host_latency.py [--runs N] [--out calibration/host_onnxruntime.csv]
                                          [--profile-out FILE.yaml] [--skip vgg16,...]

Each bundled spec is exported to ONNX (random weights) and timed (median of --runs, one thread,
after warm-up); the medians go to a measurements CSV, and `costmodel calibrate` fits the host
profile to them, printing in-sample and leave-one-model-out scores (MAPE, share within ±10/25%,
Spearman). Targets (issue 5): calibrated predictions rank the measurements with Spearman >= 0.9
and MAPE <= 25%. Shared machines are noisy: the minimum of a few medians is taken per model.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from costmodel.graph.build import build_graph  # noqa: E402
from costmodel.hw import load_profile  # noqa: E402
from costmodel.hw.calibration import calibrate, calibrated_profile_dict  # noqa: E402
from costmodel.measure.runner import measure_latency  # noqa: E402
from costmodel.present.terminal import latency_report_view  # noqa: E402
from costmodel.spec.model import bundled_specs, load_spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=2, help="medians per model; the minimum counts")
    parser.add_argument("--out", type=Path, default=ROOT / "calibration" / "host_onnxruntime.csv")
    parser.add_argument("--profile-out", type=Path, default=None)
    parser.add_argument("--skip", default="", help="comma-separated spec names to leave out")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    console = Console(width=160)
    rows = []
    version = ""
    for path in bundled_specs():
        if path.stem in skip:
            continue
        graph = build_graph(load_spec(path))
        medians = []
        for _ in range(args.repeats):
            measured = measure_latency(graph, runs=args.runs, warmup=3)
            medians.append(measured.median_s)
            version = measured.onnxruntime_version
        best = min(medians)
        rows.append((path.stem, best))
        console.print(
            f"measured {path.stem:32s} {best * 1e3:9.2f} ms  "
            f"(medians {', '.join(f'{m * 1e3:.2f}' for m in medians)})"
        )
    header = [
        f"# onnxruntime {version} on this machine ({platform.processor() or platform.machine()}),"
        " CPU, 1 thread, batch 1, fp32;",
        f"# minimum of {args.repeats} medians of {args.runs} runs per model; "
        f"measured {datetime.date.today().isoformat()} by benchmarks/host_latency.py",
        "spec,width,resolution,precision,latency_ms,label",
    ]
    lines = header + [f"{name},1.0,,fp32,{seconds * 1e3:.3f},{name}" for name, seconds in rows]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    host = load_profile("host")
    report = calibrate(args.out, host)
    console.print(latency_report_view(report))
    if args.profile_out and report.params and report.fitted:
        import yaml

        data = calibrated_profile_dict(host, report.params, str(args.out), report.fitted, report.loo)
        data["name"] = args.profile_out.stem
        data.pop("file", None)
        args.profile_out.write_text(yaml.safe_dump(data, sort_keys=False, width=100))
        console.print(f"wrote {args.profile_out}")


if __name__ == "__main__":
    main()
