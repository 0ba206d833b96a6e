from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# No onnxruntime telemetry from the tests (a device id under ~/.cache, a file in $TMPDIR): set before
# any test imports onnxruntime, and inherited by the processes the tests start.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel.cost.analysis import AnalysisResult, analyze  # noqa: E402
from costmodel.cost.options import AnalysisOptions  # noqa: E402
from costmodel.hw import HardwareProfile, load_profile  # noqa: E402
from costmodel.spec.model import Spec, load_spec, parse_spec  # noqa: E402

ARCHSPECS = ROOT / "archspecs"


@pytest.fixture(scope="session")
def sd855() -> HardwareProfile:
    return load_profile("snapdragon855")


def spec_named(name: str) -> Spec:
    return load_spec(ARCHSPECS / f"{name}.yaml")


def run(name: str, hw: HardwareProfile, **options: object) -> AnalysisResult:
    return analyze(spec_named(name), hw, AnalysisOptions(**options))  # type: ignore[arg-type]


def spec_text(body: str, *, header: str = "") -> str:
    """A minimal spec around `body` (the stages section), for error and shape tests."""
    return "version: 1\nname: t\ninput: [3, 32, 32]\n" + header + "stages:\n" + body


def parse(text: str) -> Spec:
    return parse_spec(text, "t.yaml", base_dir=ARCHSPECS)
