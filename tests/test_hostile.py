"""Hostile and unlucky inputs (issue 16): one test per class of defect, each written from the
reproduction in the issue. The command runs as a separate process where the class is about the
process itself (a FIFO that would block for ever, a closed stdout, the locale)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, spec_text

TIMEOUT = 60  # seconds; a hang (a FIFO opened for reading) fails instead of stalling the suite
SPEC = spec_text("  s1:\n    - {op: conv2d, out: 8, k: 3}\n")
EXIT_USER_ERROR = 2
EXIT_ENVIRONMENT = 3


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdout: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m costmodel ARGS` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "costmodel", *args],
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str], code: str, exit_code: int = 2) -> str:
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert code in lines[0], lines[0]
    return lines[0]


# -- class 1: hangs: only regular files are read, the size checked first ---------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "f.yaml"
    os.mkfifo(path)
    return path


def test_fifo_as_spec_is_refused(fifo: Path) -> None:
    line = one_error_line(cli("validate", str(fifo)), "E401")
    assert "FIFO" in line and f"{fifo}:1:1" in line


def test_fifo_as_import_is_refused(fifo: Path) -> None:
    spec = fifo.parent / "spec.yaml"
    spec.write_text(spec_text("  s1:\n    - {op: relu}\n", header="imports: [f]\n"), encoding="utf-8")
    one_error_line(cli("validate", str(spec)), "E401")


def test_fifo_as_profile_and_csv_is_refused(fifo: Path) -> None:
    one_error_line(cli("analyze", "mbv3_small", "--hw", str(fifo)), "E401")
    csv = fifo.parent / "m.csv"
    os.mkfifo(csv)
    one_error_line(cli("validate-latency", str(csv)), "E401")


def test_dev_zero_as_csv_is_refused_without_reading() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    line = one_error_line(cli("validate-latency", "/dev/zero"), "E401")
    assert "character device" in line
