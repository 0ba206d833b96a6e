"""The commands a user runs, end to end through the Typer app."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ARCHSPECS, ROOT
from reference import EXACT
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_analyze_json_reports_exact_counts() -> None:
    for name in ("mbv3_small", "mbv3_large"):
        result = runner.invoke(
            app, ["analyze", f"archspecs/{name}.yaml", "--hw", "snapdragon855", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        params, macs, _ = EXACT[name]
        assert (data["totals"]["params"], data["totals"]["macs"]) == (params, macs)
        assert data["hardware"]["name"] == "snapdragon855"
        assert sum(r["macs"] for r in data["rows"]) == macs


def test_analyze_table_has_header_totals_and_top_contributors() -> None:
    result = runner.invoke(app, ["analyze", "mbv3_small", "--group-by", "stage"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in (
        "MobileNetV3-Small 1.0",
        "Snapdragon 855",
        "precision fp32",
        "batch 1",
        "params: learnable parameters",
        "MACs: multiply-accumulates",
        "total",
        "2,542,856 params",
        "56,510,400 MACs",
        "Top 5 latency contributors",
    ):
        assert needle in out, needle
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_what_if_options_change_the_numbers() -> None:
    def totals(*options: str) -> dict[str, float]:
        result = runner.invoke(app, ["analyze", "mbv3_large", "--format", "json", *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["totals"]

    base = totals()
    assert totals("--batch", "4")["macs"] == 4 * base["macs"]
    assert totals("--width", "0.75")["params"] == 3_377_576
    assert totals("--resolution", "160")["params"] == base["params"]
    assert totals("--precision", "fp16")["weight_bytes"] * 2 == base["weight_bytes"]


def test_bad_option_values_exit_2() -> None:
    for options in (
        ["--batch", "0"],
        ["--precision", "fp8"],
        ["--width", "-1"],
        ["--group-by", "blocks"],
        ["--resolution", "1000000000"],
    ):
        result = runner.invoke(app, ["analyze", "mbv3_small", *options])
        assert result.exit_code == 2, (options, result.output)


def test_validate_every_bundled_spec() -> None:
    specs = sorted(str(p) for p in ARCHSPECS.glob("*.yaml"))
    result = runner.invoke(app, ["validate", *specs])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok ") == len(specs)


def test_hw_list_and_show() -> None:
    result = runner.invoke(app, ["hw", "list"])
    assert result.exit_code == 0 and "snapdragon855" in result.stdout
    result = runner.invoke(app, ["hw", "show", "snapdragon855"])
    assert result.exit_code == 0
    assert "peak_macs_per_s" in result.stdout and "MISSING" not in result.stdout


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("analyze", "validate", "hw"):
        assert command in result.stdout
    result = runner.invoke(app, ["analyze", "--help"])
    for option in ("--hw", "--batch", "--precision", "--width", "--resolution", "--group-by", "--format"):
        assert option in result.stdout


def test_spec_names_resolve_from_any_directory(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "analyze", "mbv3_small", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["params"] == EXACT["mbv3_small"][0]
