"""`report` tables and the diff view: golden outputs per format, exact machine formats, and the HTML
page opened in a real headless browser.

Golden files live in tests/golden/; after an intended change of output regenerate them with

    COSTMODEL_REGEN_GOLDEN=1 python -m pytest tests/test_report.py

and review the diff. They use tests/golden/golden_hw.yaml, a frozen copy of the snapdragon855
profile, so recalibrating the bundled profile does not move them.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import struct
from pathlib import Path

import pytest
from conftest import ROOT, spec_named
from rich.console import Console
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import AnalysisResult, analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError
from costmodel.hw import HardwareProfile, load_profile
from costmodel.present.compare import build_diff
from costmodel.present.diff_view import diff_json, diff_view
from costmodel.present.formats import formats_for
from costmodel.present.report import build_report
from costmodel.present.report_formats import render_report
from costmodel.present.units import three_digits

FORMATS = formats_for("report")
GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN = bool(os.environ.get("COSTMODEL_REGEN_GOLDEN"))
runner = CliRunner()


@pytest.fixture(scope="module")
def golden_hw() -> HardwareProfile:
    return load_profile(str(GOLDEN / "golden_hw.yaml"))


@pytest.fixture(scope="module")
def results(golden_hw: HardwareProfile) -> list[AnalysisResult]:
    return [
        analyze(spec_named(name), golden_hw, AnalysisOptions(width=width))
        for name in ("mbv3_small", "mbv3_large")
        for width in (1.0, 0.75)
    ]


def check_golden(name: str, text: str) -> None:
    text = text.replace(str(ROOT) + os.sep, "")  # no absolute paths in a golden file
    path = GOLDEN / name
    if REGEN or not path.exists():
        if not REGEN:
            pytest.fail(
                f"{path} is missing: run COSTMODEL_REGEN_GOLDEN=1 python -m pytest tests/test_report.py"
            )
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if intended, regenerate with "
        "COSTMODEL_REGEN_GOLDEN=1 python -m pytest tests/test_report.py"
    )


EXTENSIONS = {"markdown": "md", "csv": "csv", "latex": "tex", "html": "html", "json": "json"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_golden(fmt: str, results: list[AnalysisResult]) -> None:
    check_golden(f"report.{EXTENSIONS[fmt]}", render_report(build_report(results), fmt))


def _headline_diff(hw: HardwareProfile, group_by: str = "stage") -> object:
    return build_diff(
        analyze(spec_named("mbv3_large_original_last_stage"), hw),
        analyze(spec_named("mbv3_large"), hw),
        group_by,
    )


def test_diff_table_golden(golden_hw: HardwareProfile) -> None:
    out = io.StringIO()
    console = Console(file=out, width=160, color_system=None, force_terminal=False)
    console.print(diff_view(_headline_diff(golden_hw)))  # type: ignore[arg-type]
    check_golden("diff_stage.txt", out.getvalue())


def test_diff_json_golden(golden_hw: HardwareProfile) -> None:
    check_golden("diff_block.json", diff_json(_headline_diff(golden_hw, "block")) + "\n")  # type: ignore[arg-type]


def test_csv_and_json_round_trip_exact_numbers(results: list[AnalysisResult]) -> None:
    columns = (
        "name",
        "params",
        "macs",
        "weight_bytes",
        "dram_bytes",
        "peak_activation_bytes",
        "kernels",
        "latency_s",
        "energy_j",
        "memory_bound_share",
    )
    table = build_report(results, columns)
    rows = list(csv.DictReader(io.StringIO(render_report(table, "csv"))))
    data = json.loads(render_report(table, "json"))["rows"]
    assert len(rows) == len(data) == len(results)
    for result, row, record in zip(results, rows, data, strict=True):
        exact = {
            "params": result.total.params,
            "macs": result.total.macs,
            "weight_bytes": result.total.weight_bytes,
            "dram_bytes": result.total.dram_bytes,
            "peak_activation_bytes": result.peak_activation_bytes,
            "kernels": result.kernels,
        }
        for key, value in exact.items():
            assert int(row[key]) == value and isinstance(record[key], int) and record[key] == value
        floats = {
            "latency_s": result.total.latency_s,
            "energy_j": result.total.energy_j,
            "memory_bound_share": result.total.memory_bound_share,
        }
        for key, value in floats.items():
            assert float(row[key]) == value and record[key] == value  # every digit survives
        assert row["name"] == record["name"] == result.spec_name


def test_people_formats_humanize_with_one_unit_per_column(results: list[AnalysisResult]) -> None:
    text = render_report(build_report(results), "markdown")
    header = text.splitlines()[0]
    for unit in (
        "params (M)",
        "MACs (M)",
        "weights (MB)",
        "peak act. (MB)",
        "latency (ms)",
        "energy (mJ)",
        "memory-bound (%)",
        "options",
    ):
        assert unit in header
    assert "| mbv3_small | golden_hw | width 0.75 | 1.65 | 39.1 |" in text
    latex = render_report(build_report(results), "latex")
    assert "\\toprule" in latex and "mbv3\\_small" in latex and "memory-bound (\\%)" in latex
    assert [three_digits(v) for v in (138.36, 22.61, 5.483, 0.0314, 0.0)] == [
        "138",
        "22.6",
        "5.48",
        "0.0314",
        "0",
    ]


def test_columns_are_selectable_and_checked(results: list[AnalysisResult]) -> None:
    table = build_report(results, ["name", "macs", "latency_s"])
    assert [c.key for c in table.columns] == ["name", "macs", "latency_s"]
    with pytest.raises(CostModelError, match="did you mean 'macs'"):
        build_report(results, ["name", "mac"])


def test_cli_report_every_format(tmp_path: Path) -> None:
    for fmt in FORMATS:
        out = tmp_path / f"r.{EXTENSIONS[fmt]}"
        result = runner.invoke(
            app,
            [
                "report",
                "mbv3_small",
                "mbv2",
                "--hw",
                "snapdragon855",
                "--width",
                "1.0",
                "--width",
                "0.5",
                "--format",
                fmt,
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(r["name"], r["options"]) for r in data["rows"]] == [
        ("mbv3_small", "width 1"),
        ("mbv3_small", "width 0.5"),
        ("mbv2", "width 1"),
        ("mbv2", "width 0.5"),
    ]
    result = runner.invoke(app, ["report", "mbv3_small", "--format", "csv", "--columns", "name,params,macs"])
    assert result.exit_code == 0 and result.stdout == "name,params,macs\nmbv3_small,2542856,56510400\n"
    result = runner.invoke(app, ["report", "mbv3_small", "--columns", "name,bogus"])
    assert result.exit_code == 2 and "unknown column 'bogus'" in result.output


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_report_opens_in_headless_chromium(results: list[AnalysisResult], tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "screenshot_report", ROOT / "scripts" / "screenshot_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = tmp_path / "report.html"
    page.write_text(render_report(build_report(results), "html"), encoding="utf-8")
    shot = tmp_path / "report.png"
    module.screenshot(page, shot, size=(1400, 900))
    assert _png_size(shot) == (1400, 900)
    # the page is not blank: a screenshot of a page with a table compresses far worse than white
    assert shot.stat().st_size > 20_000
