"""Speed of costmodel: CLI end to end, and the analysis alone, on the bundled specs.

Usage: python benchmarks/bench_analyze.py [--repeat N]
Prints a table; targets (issue 6): CLI end to end <= 0.5 s, analysis of mbv3_small <= 5 ms,
>= 500 mbv3_small variants per second in one process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.cost.analysis import analyze  # noqa: E402
from costmodel.cost.options import AnalysisOptions  # noqa: E402
from costmodel.cost.sweep import sweep  # noqa: E402
from costmodel.hw import load_profile  # noqa: E402
from costmodel.spec.model import load_spec  # noqa: E402


def best_of(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    hw = load_profile("snapdragon855")

    cli = [
        sys.executable,
        str(ROOT / "cli.py"),
        "analyze",
        "archspecs/mbv3_small.yaml",
        "--hw",
        "snapdragon855",
    ]
    floor = [sys.executable, "-c", "import pydantic.main, typer, rich.console, rich.table, yaml"]
    for label, command in (
        ("CLI end to end (mbv3_small, table)", cli),
        ("  of which: importing the libraries", floor),
        ("  of which: starting Python", [sys.executable, "-c", "pass"]),
    ):
        best, median = best_of(
            lambda command=command: subprocess.run(command, cwd=ROOT, capture_output=True, check=True),
            max(5, args.repeat // 2),
        )
        print(f"{label:45s} best {best * 1e3:8.1f} ms   median {median * 1e3:8.1f} ms")

    print(f"\n{'analysis alone (spec parsed once)':45s} {'nodes':>6s} {'best':>10s} {'median':>10s}")
    for path in sorted((ROOT / "archspecs").glob("*.yaml")):
        spec = load_spec(path)
        result = analyze(spec, hw)
        best, median = best_of(lambda spec=spec: analyze(spec, hw), args.repeat)
        print(f"{path.stem:45s} {result.total.nodes:6d} {best * 1e3:8.2f} ms {median * 1e3:8.2f} ms")

    spec = load_spec(ROOT / "archspecs/mbv3_small.yaml")
    widths = [0.35, 0.5, 0.75, 1.0, 1.25]
    resolutions = [96, 128, 160, 192, 224, 256]
    variants = len(widths) * len(resolutions)

    def one_analysis_per_variant() -> None:
        for width in widths:
            for resolution in resolutions:
                analyze(spec, hw, AnalysisOptions(width=width, resolution=resolution))

    def sweep_api() -> None:
        for _ in sweep(spec, hw, widths, resolutions):
            pass

    print(
        f"\nwidth x resolution sweep of mbv3_small ({len(widths)} widths x {len(resolutions)} "
        f"resolutions = {variants} variants, one process)"
    )
    for label, run in (
        ("costmodel.cost.sweep (costmodel sweep)", sweep_api),
        ("analyze() once per variant (full rows)", one_analysis_per_variant),
    ):
        run()  # warm up
        best, median = best_of(run, max(5, args.repeat // 2))
        print(
            f"{label:45s} best {variants / best:6.0f} variants/s   median {variants / median:6.0f} variants/s"
        )


if __name__ == "__main__":
    main()
