"""The search driver, fast path: candidates are asked from an engine in batches, evaluated in
this process or in `jobs` worker processes, told back, and appended to a trials file batch by
batch. With `jobs` > 1, random search and evolution are divided among the workers, which sample
as well as evaluate (design/parallel.py); the other engines ask here and the workers evaluate.
An interrupted search (Ctrl-C) loses no finished trial: those of the batch in flight are stored
before the interrupt goes on, and `resume` continues it: the finished trials are read back
and told to a fresh engine before it asks for more.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costmodel.design.engines import Divisible, Engine, EvolutionEngine, RandomEngine
from costmodel.design.evaluate import Problem, objective_keys, scalar_fitness
from costmodel.design.fastpath import Evaluator
from costmodel.design.space import Candidate
from costmodel.errors import CostModelError, ErrorCode

TRIALS_FILE = "trials.jsonl"
WARM_UP_FROM = 1000  # trials from which a search warms the stage cache first (Evaluator.warm_up)
RUN_FILE = "run.json"

_WORKER_EVALUATOR: Evaluator | None = None  # set in each worker process (fork) by the pool initializer


def _init_worker(evaluator: Evaluator) -> None:
    global _WORKER_EVALUATOR
    _WORKER_EVALUATOR = evaluator
    # Ctrl-C is the parent's to handle: it keeps the chunks finished so far and stops the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _evaluate_in_worker(candidates: list[Candidate]) -> list[dict[str, Any]]:
    assert _WORKER_EVALUATOR is not None
    return [_WORKER_EVALUATOR(c) for c in candidates]


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
            return self._repaired()
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

    def _repaired(self) -> list[dict[str, Any]]:
        """The stored trials, the file cut after the last whole line (a write interrupted
        half-way leaves a partial line, which the next appended trial must not continue)."""
        records = self.read()
        if self.trials_path.exists():
            whole = "".join(json.dumps(_json_safe(r)) + "\n" for r in records)
            if self.trials_path.read_text() != whole:
                self.trials_path.write_text(whole)
        return records

    def append(self, records: list[dict[str, Any]]) -> None:
        self.append_lines(trial_lines(records))

    def append_lines(self, text: str) -> None:
        """Append lines made by `trial_lines`, on disk before returning."""
        with self.trials_path.open("a") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())


def trial_lines(records: list[dict[str, Any]]) -> str:
    """The lines of the trials file for `records` (NaN written as null)."""
    return "".join(json.dumps(_json_safe(r)) + "\n" for r in records)


def _json_safe(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


def replay(problem: Problem, engine: Engine, records: list[dict[str, Any]]) -> None:
    """Tell an engine the trials of an earlier run (a resumed search)."""
    for record in records:
        engine.tell(
            tuple(record["candidate"]), scalar_fitness(problem, record), objective_keys(problem, record)
        )


def _evaluate_batch(
    evaluator: Evaluator, pool: Any, jobs: int, candidates: list[Candidate], records: list[dict[str, Any]]
) -> None:
    """Evaluate `candidates` in order, appending each record to `records` as it is finished."""
    if pool is None:
        for candidate in candidates:
            records.append(evaluator(candidate))
        return
    # One task per worker and batch: a task's cost is one pickled list each way.
    size = -(-len(candidates) // jobs)
    chunks = [candidates[i : i + size] for i in range(0, len(candidates), size)]
    for part in pool.imap(_evaluate_in_worker, chunks):
        records.extend(part)


def _conclude(
    problem: Problem,
    engine: Engine,
    candidates: list[Candidate],
    records: list[dict[str, Any]],
    store: TrialStore | None,
) -> None:
    """Tell the engine the finished records and append them to the trials file; a Ctrl-C meanwhile
    waits until they are stored (so no finished trial is lost and no line is cut)."""
    with _interrupt_deferred():
        for candidate, record in zip(candidates, records, strict=False):
            record["candidate"] = list(candidate)
            engine.tell(candidate, scalar_fitness(problem, record), objective_keys(problem, record))
        if store is not None and records:
            store.append(records)


def _run_divided(
    problem: Problem,
    engine: Divisible,
    evaluator: Evaluator,
    trials: int,
    batch: int,
    jobs: int,
    store: TrialStore | None,
    on_batch: Callable[[list[dict[str, Any]]], None] | None,
) -> Iterator[dict[str, Any]]:
    """`jobs` workers sampling and evaluating their own parts of the space (design/parallel.py)."""
    from costmodel.design.parallel import Answer, run_parts

    def conclude(answer: Answer) -> None:
        records, told, text = answer
        with _interrupt_deferred():  # told and stored together, or neither
            for record, (fitness, keys) in zip(records, told, strict=True):
                engine.tell(tuple(record["candidate"]), fitness, keys)
            if store is not None and records:
                store.append_lines(text)

    encode = trial_lines if store is not None else None  # the workers write the file's lines
    for records in run_parts(problem, engine, evaluator, trials, batch, jobs, conclude, encode):
        if on_batch is not None:
            on_batch(records)
        yield from records


@contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """SIGINT held back for the duration of the block, then raised as KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


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
    cache: bool = True,
) -> Iterator[dict[str, Any]]:
    """Evaluate up to `trials` candidates in all (`done` of them already); yields each record.
    `cache=False` analyses every candidate in full (the reference the cache is checked against)."""
    evaluator = Evaluator(problem, enabled=cache)
    if jobs > 1 and isinstance(engine, (RandomEngine, EvolutionEngine)):
        yield from _run_divided(problem, engine, evaluator, trials - done, batch, jobs, store, on_batch)
        return
    pool = None
    if jobs > 1 or trials - done >= WARM_UP_FROM:
        # The stage cache warmed on a few candidates that cover every choice (36 full analyses for
        # mnasnet_mbv2, where a search meets about 90 misses on its own); workers inherit it.
        evaluator.warm_up()
    if jobs > 1:
        context = multiprocessing.get_context("fork")
        pool = context.Pool(jobs, initializer=_init_worker, initargs=(evaluator,))
    try:
        while done < trials:
            candidates = engine.ask(min(batch, trials - done))
            if not candidates:
                break  # the space is spent
            records: list[dict[str, Any]] = []
            try:
                _evaluate_batch(evaluator, pool, jobs, candidates, records)
            finally:  # Ctrl-C in the middle of a batch: the trials finished so far are kept
                _conclude(problem, engine, candidates, records, store)
            done += len(records)
            if on_batch is not None:
                on_batch(records)
            yield from records
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
