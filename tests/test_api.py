"""The public Python API: its documentation runs, its numbers match published counts and the CLI,
its errors are CostModelErrors, and a script using it passes mypy --strict."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import costmodel
from costmodel.cost.options import AnalysisOptions, OptionValues
from costmodel.names import Bound, GroupBy

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_block_of_the_api_doc_runs() -> None:
    pytest.importorskip("pandas")
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 5
    namespace: dict[str, Any] = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/api.md, python block {number}", "exec"), namespace)


# Published counts: torchvision's mobilenet_v3_small (2,542,856 params, 0.06 GFLOPS = 56.5M MACs,
# its model card) and mobilenet_v3_large built with width_mult=0.75 (counted with torchvision and
# fvcore/thop-style MAC counting of conv and linear layers).
@pytest.mark.parametrize(
    ("spec", "width", "params", "macs"),
    [("mbv3_small", 1.0, 2_542_856, 56_510_400), ("mbv3_large", 0.75, 3_377_576, 140_033_816)],
)
def test_counts_match_published_ones(spec: str, width: float, params: int, macs: int) -> None:
    totals = costmodel.analyze(spec, hw="snapdragon855", width=width).totals
    assert (totals.params, totals.macs) == (params, macs)


def test_analyze_equals_the_cli_json_for_the_same_options() -> None:
    flags = ["--width", "0.75", "--precision", "int8", "--layer-precision", "stem.*=fp32", "--batch", "4"]
    command = [sys.executable, "-m", "costmodel", "analyze", "mbv3_small", "--hw", "snapdragon855"]
    done = subprocess.run([*command, *flags, "--format", "json"], capture_output=True, text=True, check=True)
    cli = json.loads(done.stdout)
    result = costmodel.analyze(
        "mbv3_small",
        hw="snapdragon855",
        width=0.75,
        precision="int8",
        layer_precision=["stem.*=fp32"],
        batch=4,
    )
    assert json.loads(json.dumps(result.totals.to_dict())) == cli["totals"]
    # the CLI's document is the result's, after the two version keys every JSON output starts with
    versioned = {"schema_version", "costmodel_version"}
    assert list(cli)[:2] == sorted(versioned, reverse=True)
    assert json.loads(json.dumps(result.to_dict("block"))) == {
        k: v for k, v in cli.items() if k not in versioned
    }


def test_unknown_option_names_the_closest_one() -> None:
    with pytest.raises(costmodel.CostModelError, match="did you mean 'width'"):
        costmodel.analyze("mbv3_small", widht=0.75)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: costmodel.analyze("mbv3_smal"), "did you mean 'mbv3_small'"),
        (lambda: costmodel.analyze("mbv3_small", hw="snapdragon85"), "did you mean 'snapdragon855'"),
        (lambda: costmodel.analyze(3), "expected a spec name or path"),
        (lambda: costmodel.analyze("mbv3_small", width="wide"), "invalid option value"),
        (lambda: costmodel.analyze("mbv3_small", batch=0), "batch must be"),
        (lambda: costmodel.analyze("mbv3_small").rows("stag"), "did you mean 'stage'"),
        (lambda: costmodel.sweep("mbv3_small", width=0.5), "pass widths="),
        (lambda: costmodel.sweep("mbv3_small", precisions=["fp7"]), "unknown precision 'fp7'"),
        (lambda: costmodel.diff("mbv3_small", "mbv3_large", group_by="stages"), "unknown grouping"),
    ],
)
def test_bad_input_is_a_cost_model_error(call: Any, message: str) -> None:
    with pytest.raises(costmodel.CostModelError, match=re.escape(message)):
        call()


def test_specs_and_profiles_by_name_path_or_object() -> None:
    spec_path = ROOT / "archspecs" / "mbv1.yaml"
    by_name = costmodel.analyze("mbv1", hw="raspberrypi4")
    by_path = costmodel.analyze(spec_path, hw=ROOT / "hardware" / "raspberrypi4.yaml")
    loaded = costmodel.analyze(costmodel.load_spec(str(spec_path)), hw=costmodel.load_profile("raspberrypi4"))
    assert by_name.totals == by_path.totals == loaded.totals


def test_rows_totals_and_frame() -> None:
    result = costmodel.analyze("mbv3_small")
    assert result.totals is result.total
    assert result.rows(GroupBy.STAGE) == result.rows("stage")
    assert [row.name for row in result.rows("stage")] == ["stem", "s1", "s2", "s3", "s4", "head"]
    assert all(isinstance(row.bound, Bound) for row in result.rows("node"))
    pandas = pytest.importorskip("pandas")
    frame = result.to_frame("stage")
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(result.totals.to_dict())
    assert int(frame["macs"].sum()) == result.totals.macs


def test_to_frame_without_pandas_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now raises ImportError
    with pytest.raises(costmodel.CostModelError, match=re.escape("pip install 'costmodel[pandas]'")):
        costmodel.analyze("mbv3_small").to_frame()


def test_sweep_points_equal_analyze_totals() -> None:
    points = costmodel.sweep("mbv3_small", widths=[0.5, 1.0], resolutions=[160], precisions=["fp32", "int8"])
    assert [(p.width, p.resolution, p.precision) for p in points] == [
        (0.5, 160, "fp32"),
        (0.5, 160, "int8"),
        (1.0, 160, "fp32"),
        (1.0, 160, "int8"),
    ]
    last = costmodel.analyze("mbv3_small", width=1.0, resolution=160, precision="int8").totals
    assert (points[-1].macs, points[-1].dram_bytes, points[-1].latency_s) == (
        last.macs,
        last.dram_bytes,
        last.latency_s,
    )


def test_diff_of_specs_equals_diff_of_their_results() -> None:
    by_spec = costmodel.diff("mbv3_large_original_last_stage", "mbv3_large", group_by="block")
    a = costmodel.analyze("mbv3_large_original_last_stage")
    b = costmodel.analyze("mbv3_large")
    by_result = costmodel.diff(a, b, group_by=GroupBy.BLOCK)
    assert by_spec.to_dict()["totals"] == by_result.to_dict()["totals"]
    assert by_spec.total("macs").delta < 0  # the redesign removed MACs (Howard et al. 2019, 5.3)


def test_option_keywords_are_the_option_fields() -> None:
    assert set(OptionValues.__annotations__) == {f.name for f in dataclasses.fields(AnalysisOptions)}


def test_public_names() -> None:
    for name in costmodel.__all__:
        assert getattr(costmodel, name) is not None
        if name != "__version__":
            assert getattr(costmodel, name).__doc__, f"{name} has no docstring"
    with pytest.raises(AttributeError):
        costmodel.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_imports_neither_the_api_nor_the_cli() -> None:
    loaded = "[m for m in sys.modules if m == 'cli' or m.startswith('costmodel.')]"
    code = f"import costmodel, sys; print({loaded})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_python_dash_m_costmodel_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "costmodel", "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "analyze" in done.stdout


SCRIPT = """
from pathlib import Path

import costmodel
from costmodel import AnalysisResult, DiffResult, Row, SweepPoint


def latency_ms(spec: str | Path, width: float) -> float:
    result: AnalysisResult = costmodel.analyze(spec, hw="snapdragon855", width=width, precision="int8")
    total: Row = result.totals
    return total.latency_s * 1e3


def stage_macs(result: AnalysisResult) -> dict[str, int]:
    return {row.name: row.macs for row in result.rows("stage")}


points: list[SweepPoint] = costmodel.sweep("mbv3_small", widths=[0.5, 1.0], batches=[1, 8])
change: DiffResult = costmodel.diff("mbv3_small", "mbv3_large", hw_b="raspberrypi4", group_by="layer")
options: costmodel.AnalysisOptions = costmodel.AnalysisOptions(width=0.5)
version: str = costmodel.__version__
print(latency_ms("mbv3_small", 0.75), stage_macs(costmodel.analyze("mbv1")), len(points), options, version)
"""


def test_a_script_using_the_api_passes_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    script = tmp_path / "explore.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--follow-imports=silent",  # the package's own errors are the project's mypy run's business
        "--cache-dir",
        str(tmp_path / ".mypy_cache"),
        str(script),
    ]
    # An editable install is found through an import hook mypy does not follow: point it at the tree.
    env = {"MYPYPATH": str(ROOT), "PATH": "", "HOME": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
