"""The search driver, fast path: candidates are asked from an engine in batches, evaluated in
this process or in `jobs` worker processes, told back, and appended to a trials file batch by
batch, so an interrupted search (Ctrl-C) loses at most the batch in flight and `resume` continues
it: the finished trials are read back and told to a fresh engine before it asks for more.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costmodel.design.engines import Engine
from costmodel.design.evaluate import Problem, evaluate, objective_keys, scalar_fitness
from costmodel.design.space import Candidate
from costmodel.errors import CostModelError, ErrorCode

TRIALS_FILE = "trials.jsonl"
RUN_FILE = "run.json"

_WORKER_PROBLEM: Problem | None = None  # set in each worker process (fork) by the pool initializer


def _init_worker(problem: Problem) -> None:
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = problem


def _evaluate_in_worker(candidate: Candidate) -> dict[str, Any]:
    assert _WORKER_PROBLEM is not None
    return evaluate(_WORKER_PROBLEM, candidate)


@dataclass
class TrialStore:
    """trials.jsonl (one JSON record a line, with its candidate) and run.json (the settings)."""

    directory: Path

    @property
    def trials_path(self) -> Path:
        return self.directory / TRIALS_FILE

    def start(self, settings: dict[str, Any], resume: bool) -> list[dict[str, Any]]:
        """Make the directory; on resume, check the settings match and return the stored trials."""
        run_path = self.directory / RUN_FILE
        if resume:
            if not run_path.exists():
                raise CostModelError(ErrorCode.FILE, f"--resume: no search to resume in {self.directory}")
            stored = json.loads(run_path.read_text())
            changed = [k for k in settings if k not in ("trials", "jobs") and stored.get(k) != settings[k]]
            if changed:
                raise CostModelError(
                    ErrorCode.OPTION,
                    f"--resume: {', '.join(changed)} differ from the stored search in {self.directory}",
                )
            return self.read()
        if self.trials_path.exists():
            raise CostModelError(
                ErrorCode.FILE, f"{self.trials_path} exists: pass --resume to continue it, or another --out"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        run_path.write_text(json.dumps(settings, indent=1) + "\n")
        return []

    def read(self) -> list[dict[str, Any]]:
        if not self.trials_path.exists():
            return []
        records = []
        for line in self.trials_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut by a crash mid-write: the batch it belongs to is redone
        return records

    def append(self, records: list[dict[str, Any]]) -> None:
        with self.trials_path.open("a") as stream:
            stream.write("".join(json.dumps(_json_safe(r)) + "\n" for r in records))
            stream.flush()
            os.fsync(stream.fileno())


def _json_safe(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


def replay(problem: Problem, engine: Engine, records: list[dict[str, Any]]) -> None:
    """Tell an engine the trials of an earlier run (a resumed search)."""
    for record in records:
        engine.tell(
            tuple(record["candidate"]), scalar_fitness(problem, record), objective_keys(problem, record)
        )


def run_search(
    problem: Problem,
    engine: Engine,
    trials: int,
    *,
    done: int = 0,
    batch: int = 256,
    jobs: int = 1,
    store: TrialStore | None = None,
    on_batch: Callable[[list[dict[str, Any]]], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Evaluate up to `trials` candidates in all (`done` of them already); yields each record."""
    pool = None
    if jobs > 1:
        context = multiprocessing.get_context("fork")  # workers inherit the problem, nothing pickled
        pool = context.Pool(jobs, initializer=_init_worker, initargs=(problem,))
    try:
        while done < trials:
            candidates = engine.ask(min(batch, trials - done))
            if not candidates:
                break  # the space is spent
            if pool is not None:
                chunk = max(1, len(candidates) // (4 * jobs))
                records = pool.map(_evaluate_in_worker, candidates, chunksize=chunk)
            else:
                records = [evaluate(problem, c) for c in candidates]
            for candidate, record in zip(candidates, records, strict=True):
                record["candidate"] = list(candidate)
                engine.tell(candidate, scalar_fitness(problem, record), objective_keys(problem, record))
            if store is not None:
                store.append(records)
            done += len(records)
            if on_batch is not None:
                on_batch(records)
            yield from records
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
