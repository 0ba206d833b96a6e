"""The output-format registry: the names each kind of output offers (those the CLI has always
accepted), and that rendering through it is rendering with the renderer it names."""

from __future__ import annotations

import json

import pytest
from conftest import run, spec_named

from costmodel.cost.options import AnalysisOptions
from costmodel.cost.sweep import sweep
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile
from costmodel.present import plots, sweep_view, terminal
from costmodel.present.compare import build_diff
from costmodel.present.diff_view import diff_json
from costmodel.present.formats import FORMATS, KINDS, formats_for, get_format, render, render_text
from costmodel.present.report import build_report
from costmodel.present.report_formats import render_report


def test_every_kind_names_the_formats_the_cli_accepts() -> None:
    # the values of cli.py's OutputFormat, ReportFormat and SweepFormat enums, and the plot suffixes
    assert formats_for("analysis") == ("table", "json")
    assert formats_for("diff") == ("table", "json")
    assert formats_for("report") == ("markdown", "csv", "latex", "html", "json")
    assert formats_for("sweep") == ("table", "csv", "json")
    assert formats_for("plot") == ("png", "svg")
    assert formats_for("distill") == ("table", "json", "csv")
    assert set(FORMATS) == set(KINDS)


def test_media_and_machine_flags() -> None:
    for kind in KINDS:
        for name, fmt in FORMATS[kind].items():
            assert fmt.name == name and fmt.kind == kind
            assert fmt.machine == (name in ("csv", "json"))
            expected = "rich" if name == "table" else "bytes" if kind == "plot" else "text"
            assert fmt.media == expected, (kind, name)


def test_unknown_format_is_an_option_error_with_a_suggestion() -> None:
    with pytest.raises(CostModelError) as err:
        get_format("report", "markdwn")
    assert err.value.code is ErrorCode.OPTION and "did you mean 'markdown'" in str(err.value)
    with pytest.raises(ValueError):
        formats_for("chart")


def test_render_is_the_named_renderer(sd855: HardwareProfile) -> None:
    small = run("mbv3_small", sd855)
    table = build_report([small])
    for fmt in formats_for("report"):
        assert render("report", fmt, table) == render_report(table, fmt)
    assert (
        render("analysis", "json", small, group_by="stage") == terminal.analysis_json(small, "stage") + "\n"
    )
    diff = build_diff(run("mbv3_large_original_last_stage", sd855), run("mbv3_large", sd855))
    assert render("diff", "json", diff) == diff_json(diff) + "\n"
    assert render("plot", "svg", diff) == plots.diff_latency_plot(diff, "svg")
    assert render("plot", "svg", [small], hw=sd855, group_by="block") == plots.roofline_plot(
        [small], sd855, "svg", "block"
    )
    points = list(sweep(spec_named("mbv3_small"), sd855, (0.5, 1.0), (160, 224), AnalysisOptions()))
    assert render("sweep", "csv", points) == sweep_view.sweep_csv(points)
    assert (
        json.loads(str(render("sweep", "json", points, meta={"spec": "mbv3_small"})))["spec"] == "mbv3_small"
    )
    assert render_text("sweep", "table", points, title="t") == sweep_view.sweep_text(points, "t")
    assert render("plot", "svg", points, title="t") == plots.sweep_plot(points, "t", "svg")


def _installed_version() -> str:
    from importlib.metadata import version

    return version("costmodel")  # pyproject.toml's version, as installed


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", "mbv3_small", "--format", "json"],
        ["diff", "mbv3_large_original_last_stage", "mbv3_large", "--format", "json"],
        ["report", "mbv3_small", "--format", "json"],
        ["sweep", "mbv3_small", "--widths", "0.5,1", "--resolutions", "160,224", "--format", "json"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_json_output_starts_with_its_versions(argv: list[str]) -> None:
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document)[:2] == ["schema_version", "costmodel_version"]
    assert document["schema_version"] == 1
    assert document["costmodel_version"] == _installed_version()
