"""Two search workers on one Optuna study in a real PostgreSQL server: no trial lost or duplicated.

The server's URL comes from COSTMODEL_TEST_POSTGRES (.ci/run installs PostgreSQL from the
distribution's packages, starts it and sets it). Without a reachable server the test is skipped,
except in CI (CI=true), where it must run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

URL = os.environ.get("COSTMODEL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/costmodel_test")
TRIALS_PER_WORKER = 25


def _reachable(url: str) -> bool:
    try:
        from costmodel.design.storage import open_storage

        open_storage(url)
    except Exception:  # noqa: BLE001 - any failure means: no server here
        return False
    return True


def test_two_workers_share_one_study_in_postgresql() -> None:
    if not _reachable(URL):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must provide PostgreSQL at {URL} (COSTMODEL_TEST_POSTGRES)")
        pytest.skip(f"no PostgreSQL server at {URL}")
    study = f"t_{uuid.uuid4().hex[:12]}"
    command = [
        sys.executable, "-m", "costmodel", "search", "mnasnet_mbv2", "--engine", "nsga2",
        "--trials", str(TRIALS_PER_WORKER), "--storage", URL, "--study", study,
        "--format", "csv", "--batch", "5",
    ]  # fmt: skip
    workers = [
        subprocess.Popen([*command, "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode()
    import optuna

    trials = optuna.load_study(study_name=study, storage=URL).get_trials(deepcopy=False)
    assert len(trials) == 2 * TRIALS_PER_WORKER
    assert sorted(t.number for t in trials) == list(range(2 * TRIALS_PER_WORKER))  # none lost, none twice
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    rows = sum(len(out.decode().strip().splitlines()) - 1 for out, _ in outputs)
    assert rows == 2 * TRIALS_PER_WORKER  # each worker reports the trials it ran
