"""Compare the speed of two checkouts in one run, interleaved, on this noisy shared machine.

Usage:
    git worktree add /tmp/before <commit>
    python benchmarks/compare_trees.py /tmp/before .

Runs each tree's code in its own subprocess, alternating between the trees `--rounds` times, and
prints per tree the best and median of: the CLI end to end (mbv3_small table), one analysis of
mbv3_small, and the width x resolution sweep of mbv3_small in variants per second (with
`costmodel.cost.sweep` when the tree has it, else one `analyze()` per variant). This VM's speed drifts
by up to 1.7x between minutes, so only figures from one interleaved run are comparable.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Runs inside each tree (its own `costmodel` package first on sys.path); prints two numbers.
PROBE = r"""
import sys, time
sys.path.insert(0, ".")
try:
    from costmodel.cost.analysis import analyze
    from costmodel.cost.options import AnalysisOptions
    from costmodel.cost.sweep import sweep
    from costmodel.hw import load_profile
    from costmodel.spec import load_spec
except ImportError:  # a tree from before the restructure into sub-packages (flat modules)
    from costmodel.analysis import AnalysisOptions, analyze
    from costmodel.hardware import load_profile
    from costmodel.spec import load_spec
    try:
        from costmodel.sweep import sweep
    except ImportError:  # a tree from before sweeps existed
        sweep = None

hw = load_profile("snapdragon855")
spec = load_spec("archspecs/mbv3_small.yaml")
widths, resolutions = [0.35, 0.5, 0.75, 1.0, 1.25], [96, 128, 160, 192, 224, 256]
def run_sweep():
    if sweep is not None:
        list(sweep(spec, hw, widths, resolutions))
        return
    for w in widths:
        for r in resolutions:
            analyze(spec, hw, AnalysisOptions(width=w, resolution=r))
def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
run_sweep()
print(len(widths) * len(resolutions) / best(run_sweep, 5), best(lambda: analyze(spec, hw), 30))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("trees", nargs="+", type=Path, help="checkouts to compare")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    results: dict[Path, dict[str, list[float]]] = {
        tree: {"cli": [], "sweep": [], "analysis": []} for tree in args.trees
    }
    cli = [sys.executable, "cli.py", "analyze", "archspecs/mbv3_small.yaml", "--hw", "snapdragon855"]
    for _ in range(args.rounds):
        for tree in args.trees:
            start = time.perf_counter()
            subprocess.run(cli, cwd=tree, capture_output=True, check=True)
            results[tree]["cli"].append(time.perf_counter() - start)
            out = subprocess.run(
                [sys.executable, "-c", PROBE], cwd=tree, capture_output=True, text=True, check=True
            ).stdout.split()
            results[tree]["sweep"].append(float(out[0]))
            results[tree]["analysis"].append(float(out[1]))
    print(
        f"{'tree':30s} {'CLI best/median':>18s} {'analysis best':>14s} {'sweep variants/s best/median':>30s}"
    )
    for tree, r in results.items():
        print(
            f"{str(tree):30s} {min(r['cli']) * 1e3:8.0f} /{statistics.median(r['cli']) * 1e3:5.0f} ms "
            f"{min(r['analysis']) * 1e3:11.2f} ms {max(r['sweep']):20.0f} /"
            f"{statistics.median(r['sweep']):6.0f}"
        )


if __name__ == "__main__":
    main()
