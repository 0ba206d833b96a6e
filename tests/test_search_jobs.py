"""`--jobs N` with random search and evolution (design/parallel.py): the workers sample and evaluate
their own candidates; the trials stay exact, distinct, reproducible, resumable and interruptible."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from costmodel.design.accuracy import AccuracySource
from costmodel.design.engines import make_engine, owner
from costmodel.design.evaluate import Problem, evaluate
from costmodel.design.run import TrialStore, replay, run_search
from costmodel.design.session import SearchSettings, build_problem
from costmodel.spec.schema import Spec


@pytest.fixture(scope="module")
def problem() -> Problem:
    return build_problem(SearchSettings("mnasnet_mbv2"))


def _search(
    problem: Problem, engine: str, trials: int, store: TrialStore | None = None
) -> list[dict[str, Any]]:
    search = make_engine(engine, problem.space, 5, ["minimize"] * 2)
    return list(run_search(problem, search, trials, batch=40, jobs=2, store=store))


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(
        (math.isnan(a[k]) and math.isnan(b[k]))
        if isinstance(a[k], float) and math.isnan(a[k])
        else a[k] == b[k]
        for k in b
    )


@pytest.mark.parametrize("engine", ["random", "evolution"])
def test_two_jobs_are_exact_distinct_and_reproducible(problem: Problem, engine: str, tmp_path: Path) -> None:
    store = TrialStore(tmp_path)
    store.start({"test": engine}, resume=False)
    records = _search(problem, engine, 200, store)
    assert len(records) == 200
    assert len({r["name"] for r in records}) == 200  # the workers' parts of the space are disjoint
    assert store.read() == [json_like(r) for r in records]  # the file holds them, in order
    again = _search(problem, engine, 200)
    assert [r["name"] for r in again] == [r["name"] for r in records]  # same seed, same jobs
    for record in records[::50]:  # each a full analysis's numbers
        assert _same(record, evaluate(problem, tuple(record["candidate"])))
    # Both workers proposed candidates: each of the two parts of the space is represented.
    assert {owner(tuple(r["candidate"]), 2) for r in records} == {0, 1}


def json_like(record: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}


def test_evolution_on_two_jobs_breeds_children(problem: Problem) -> None:
    records = _search(problem, "evolution", 300)
    candidates = [tuple(r["candidate"]) for r in records]
    # After the random first population (64), a trial is a mutation of an earlier one: one
    # decision changed, or a few when retries walked on from an already seen child.
    children = candidates[64 + 2 * 40 :]  # past the requests in flight when the population filled
    near = [
        c for c in children if any(sum(x != y for x, y in zip(c, p, strict=True)) <= 3 for p in candidates)
    ]
    assert len(near) >= 0.9 * len(children)


def test_resume_on_two_jobs_continues_without_repeats(problem: Problem, tmp_path: Path) -> None:
    store = TrialStore(tmp_path)
    store.start({"test": "resume"}, resume=False)
    first = _search(problem, "random", 120, store)
    stored = store.read()
    engine = make_engine("random", problem.space, 5 + len(stored), ["minimize"] * 2)
    replay(problem, engine, stored)
    list(run_search(problem, engine, 240, done=len(stored), batch=40, jobs=2, store=store))
    everything = store.read()
    assert len(everything) == 240 and everything[:120] == [json_like(r) for r in first]
    assert len({r["name"] for r in everything}) == 240


def test_an_error_in_a_worker_keeps_the_finished_trials(problem: Problem, tmp_path: Path) -> None:
    calls = []

    def accuracy(spec: Spec, name: str, macs: int) -> float:
        calls.append(name)  # counted in each worker process apart
        if len(calls) == 18 + 25:  # after its share of the warm-up (36 / 2), in its third request
            raise KeyboardInterrupt
        return 70.0

    with_callable = dataclasses.replace(problem, accuracy=AccuracySource("callable", "test", accuracy))
    store = TrialStore(tmp_path)
    store.start({"test": "interrupt"}, resume=False)
    seen: list[dict[str, Any]] = []
    search = make_engine("random", problem.space, 0, ["minimize"] * 2)
    with pytest.raises(KeyboardInterrupt):
        for record in run_search(with_callable, search, 400, batch=10, jobs=2, store=store):
            seen.append(record)
    stored = store.read()
    # Every answer received was stored whole before the error surfaced; none was cut.
    assert len(stored) % 10 == 0 and len(stored) >= 20
    assert [r["name"] for r in stored][: len(seen)] == [r["name"] for r in seen]
