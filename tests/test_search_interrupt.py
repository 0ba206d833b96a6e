"""Ctrl-C during a search loses no finished trial, and --resume continues the search."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from costmodel.design.accuracy import AccuracySource
from costmodel.design.engines import make_engine
from costmodel.design.run import TrialStore, replay, run_search
from costmodel.design.session import SearchSettings, build_problem
from costmodel.spec.schema import Spec

ROOT = Path(__file__).resolve().parent.parent


def test_interrupt_in_the_middle_of_a_batch_keeps_every_finished_trial(tmp_path: Path) -> None:
    calls = []

    def accuracy(spec: Spec, name: str, macs: int) -> float:
        calls.append(name)
        if len(calls) == 25:  # Ctrl-C while the third batch of ten is being evaluated
            raise KeyboardInterrupt
        return 70.0

    settings = SearchSettings("mnasnet_mbv2", engine="evolution", trials=40)
    problem = dataclasses.replace(
        build_problem(settings), accuracy=AccuracySource("callable", "test", accuracy)
    )
    store = TrialStore(tmp_path / "run")
    store.start(settings.to_dict(), resume=False)
    with pytest.raises(KeyboardInterrupt):
        list(
            run_search(
                problem,
                make_engine("evolution", problem.space, 0, ["minimize"] * 2),
                40,
                batch=10,
                store=store,
            )
        )
    stored = store.read()
    assert [r["name"] for r in stored] == calls[:24]  # the 24 finished, the 25th was not
    engine = make_engine("evolution", problem.space, 24, ["minimize"] * 2)
    replay(problem, engine, stored)
    list(run_search(problem, engine, 40, done=len(stored), batch=10, store=store))
    everything = store.read()
    assert len(everything) == 40 and everything[:24] == stored
    assert len({r["name"] for r in everything}) == 40


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_sigint_to_the_command_then_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    trials = out / "trials.jsonl"
    command = [sys.executable, str(ROOT / "cli.py"), "search", "mnasnet_mbv2", "--engine", "evolution",
               "--batch", "50", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        [*command, "--trials", "10000000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(_lines(trials)) < 100 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    stored = _lines(trials)
    records = [json.loads(line) for line in stored]  # every line whole
    assert len(records) >= 100
    assert f"interrupted: {len(records)} trials stored" in stderr
    total = len(records) + 120
    done = subprocess.run([*command, "--resume", "--trials", str(total), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = _lines(trials)
    assert after[: len(stored)] == stored and len(after) == total
    assert len({json.loads(line)["name"] for line in after}) == total
    assert len(json.loads(done.stdout)["trials"]) == total
