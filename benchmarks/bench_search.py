"""Speed of `costmodel search` on the bundled MnasNet-style space around MobileNetV2.

Usage: python benchmarks/bench_search.py [--trials N] [--nsga2-trials N] [--rounds N]
Prints the command line, the load average, and candidates per second, the engine, the trials file
and the bookkeeping included (the problem - space, profile, accuracy proxy - is built once
beforehand and timed apart); --jobs 1 and --jobs 2 run in interleaved rounds. Targets
(issue 15): >= 10,000 distinct candidates in <= 10 s by random search or evolution on one core;
NSGA-II >= 500 candidates/s; --jobs 2 >= 1.7x faster than --jobs 1. The machine is shared:
figures move by tens of percent from run to run, and a --jobs 2 ratio means little unless the
load average printed beside it is well under the number of CPUs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.design.engines import make_engine  # noqa: E402
from costmodel.design.evaluate import Problem  # noqa: E402
from costmodel.design.run import TrialStore, run_search  # noqa: E402
from costmodel.design.session import SearchSettings, build_problem  # noqa: E402


def timed_search(
    problem: Problem, engine: str, trials: int, jobs: int = 1, cache: bool = True
) -> tuple[int, int, float]:
    """(candidates, distinct candidates, seconds) of one search writing its trials file."""
    with tempfile.TemporaryDirectory() as directory:
        store = TrialStore(Path(directory))
        store.start({"bench": engine}, resume=False)
        start = time.perf_counter()
        search = make_engine(engine, problem.space, 0, ["minimize"] * len(problem.objectives))
        records = list(run_search(problem, search, trials, jobs=jobs, store=store, cache=cache))
        seconds = time.perf_counter() - start
    return len(records), len({tuple(r["candidate"]) for r in records}), seconds


def report(label: str, result: tuple[int, int, float]) -> float:
    count, distinct, seconds = result
    rate = count / seconds
    print(f"{label:<38} {count:>7,} ({distinct:,} distinct) in {seconds:6.2f} s  {rate:8,.0f} candidates/s")
    return rate


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def jobs_rounds(problem: Problem, engine: str, trials: int, rounds: int, cache: bool = True) -> None:
    """--jobs 1 and --jobs 2 in interleaved rounds (the machine's load moves between runs)."""
    ratios = []
    for n in range(rounds):
        print(f"  round {n + 1}: {load()}")
        one = report(f"{engine}, --jobs 1", timed_search(problem, engine, trials, 1, cache))
        two = report(f"{engine}, --jobs 2", timed_search(problem, engine, trials, 2, cache))
        ratios.append(two / one)
        print(f"{'':<38} --jobs 2 / --jobs 1 = {two / one:.2f}x")
    print(f"{engine}: --jobs 2 / --jobs 1 per round {', '.join(f'{r:.2f}x' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--nsga2-trials", type=int, default=2_000)
    parser.add_argument("--full-trials", type=int, default=600, help="trials of the uncached runs")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved --jobs 1 / --jobs 2 rounds")
    args = parser.parse_args()
    print("$ python " + " ".join(sys.argv))
    print(load())
    start = time.perf_counter()
    problem = build_problem(SearchSettings(space="mnasnet_mbv2", hardware=("snapdragon855",)))
    print(f"problem built (space, profile, accuracy proxy fit) in {time.perf_counter() - start:.2f} s")
    report("random, 1 job", timed_search(problem, "random", args.trials))
    report("evolution, 1 job", timed_search(problem, "evolution", args.trials))
    try:
        for trials in (args.nsga2_trials, 5 * args.nsga2_trials):
            report("nsga2 (Optuna), 1 job", timed_search(problem, "nsga2", trials))
    except Exception as exc:  # Optuna is an extra
        print(f"nsga2: skipped ({exc})")
    jobs_rounds(problem, "random", args.trials, args.rounds)
    jobs_rounds(problem, "evolution", args.trials, args.rounds)
    jobs_rounds(problem, "random", args.full_trials, 1, cache=False)
    print(load())


if __name__ == "__main__":
    main()
