"""`--jobs N` for engines that divide (random search, evolution): each worker samples, evaluates and
encodes its own candidates; the parent only merges.

A worker process (forked: it inherits the evaluator and its part of the engine, `Divisible.shard`)
first analyses its share of the warm-up candidates (`Evaluator.warm_up`); the parent passes every
worker's cached stages to every other. Then the worker answers requests "`count` more trials, with
this news from the parent's engine" with the finished records, each one's fitness and objective
keys, and their lines of the trials file. The parent keeps two requests in flight per worker, so
that a worker never waits for the parent, and takes the answers in a fixed round-robin order: the
trials, their order and the file are the same for the same seed, number of jobs and batch size,
however the workers are scheduled. The parent's serial share is a `recv`, the engine's `tell` and
one file write per answer.

Each answer is concluded (told and stored) as it arrives; on Ctrl-C the answers not yet received
are lost with their workers, as a batch being evaluated is in one process. For evolution, a
request carries the population as it stands when it is sent: with two requests in flight a child's
parents may be one request old (the asynchronous workers of Real et al. 2019 see the same).
"""

from __future__ import annotations

import collections
import multiprocessing
import signal
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from costmodel.design.engines import Divisible
from costmodel.design.evaluate import Problem, objective_keys, scalar_fitness
from costmodel.design.fastpath import Evaluator

Told = list[tuple[float, tuple[float, ...]]]
Answer = tuple[list[dict[str, Any]], Told, str]
IN_FLIGHT = 2  # requests outstanding per worker


def _work(
    connection: Connection,
    problem: Problem,
    engine: Divisible,
    evaluator: Evaluator,
    encode: Callable[[list[dict[str, Any]]], str] | None,
) -> None:
    """A worker's loop: answer requests until told to stop (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        count, news = request
        try:
            if count < 0:  # the warm-up: this worker's share, its stages sent to the parent
                evaluator.warm_up(-count - 1, news)
                connection.send(evaluator.known())
                evaluator.learn(connection.recv())
                continue
            engine.update(news)
            records = []
            for candidate in engine.ask(count):
                record = evaluator(candidate)
                record["candidate"] = list(candidate)
                records.append(record)
            told = [(scalar_fitness(problem, r), objective_keys(problem, r)) for r in records]
            answer: Answer | BaseException = (records, told, encode(records) if encode else "")
        except BaseException as exc:  # the parent raises it (from a user's accuracy callable, say)
            answer = exc
        connection.send(answer)


def _receive(connection: Connection) -> Any:
    answer = connection.recv()
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _warm_up(connections: list[Connection]) -> None:
    """The workers warm their shares of the stage cache in parallel; each then learns them all."""
    for index, connection in enumerate(connections):
        connection.send((-index - 1, len(connections)))
    structure: dict[Any, Any] = {}
    results: dict[Any, Any] = {}
    for connection in connections:
        theirs, their_results = _receive(connection)
        structure.update(theirs)
        results.update(their_results)
    for connection in connections:
        connection.send((structure, results))


def run_parts(
    problem: Problem,
    engine: Divisible,
    evaluator: Evaluator,
    trials: int,
    batch: int,
    jobs: int,
    conclude: Callable[[Answer], None],
    encode: Callable[[list[dict[str, Any]]], str] | None,
) -> Iterator[list[dict[str, Any]]]:
    """Run `trials` trials on `jobs` workers; yields each answer's records after `conclude`."""
    context = multiprocessing.get_context("fork")
    connections: list[Connection] = []
    processes = []
    for index in range(jobs):
        here, there = context.Pipe()
        process = context.Process(
            target=_work, args=(there, problem, engine.shard(index, jobs), evaluator, encode), daemon=True
        )
        process.start()
        there.close()
        connections.append(here)
        processes.append(process)
    # A request is a whole batch: the file is written and synced once per batch as with one job
    # (a sync takes milliseconds; once per worker's share of a batch, it held the parent up).
    share = batch
    waiting: collections.deque[tuple[int, int]] = collections.deque()
    spent: set[int] = set()
    requested = 0

    def request(index: int) -> None:
        nonlocal requested
        count = min(share, trials - requested)
        if count > 0 and index not in spent:
            connections[index].send((count, engine.news(count)))
            requested += count
            waiting.append((index, count))

    # Answers are read as soon as a worker sends them (a worker blocks on a full pipe until they
    # are) and concluded in the order of the requests.
    arrived: list[collections.deque[Answer]] = [collections.deque() for _ in range(jobs)]
    try:
        _warm_up(connections)
        for _ in range(IN_FLIGHT):
            for index in range(jobs):
                request(index)
        while waiting:
            index, count = waiting.popleft()
            while not arrived[index]:
                for ready in wait([connections[i] for i in {i for i, _ in waiting} | {index}]):
                    sender = connections.index(ready)  # type: ignore[arg-type]
                    arrived[sender].append(_receive(ready))  # type: ignore[arg-type]
            answer = arrived[index].popleft()
            conclude(answer)
            if len(answer[0]) < count:  # this worker's part of the space is spent
                spent.add(index)
                requested -= count - len(answer[0])
            yield answer[0]
            request(index)
    finally:
        for connection, process in zip(connections, processes, strict=True):
            connection.close()
            process.terminate()
            process.join()
