"""Tables for people fit an 80-column terminal without cutting a number ('…'), and are unchanged
where there is room."""

from __future__ import annotations

import io

import pytest
from conftest import run, spec_named
from rich.console import Console, RenderableType

from costmodel.cost.options import AnalysisOptions
from costmodel.cost.sweep import SweepPoint, sweep
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw import HOST, HardwareProfile, list_profiles, load_profile
from costmodel.present.compare import DiffResult, build_diff
from costmodel.present.diff_view import diff_view
from costmodel.present.fit import TableFit, column_keys
from costmodel.present.sweep_view import sweep_table
from costmodel.present.terminal import analysis_view, profiles_table

GROUPINGS = ("node", "layer", "block", "stage", "op")


def text(renderable: RenderableType, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue()


@pytest.fixture(scope="module")
def last_stage_diff(sd855: HardwareProfile) -> DiffResult:
    return build_diff(run("mbv3_large_original_last_stage", sd855), run("mbv3_large", sd855), "stage")


@pytest.fixture(scope="module")
def grid(sd855: HardwareProfile) -> list[SweepPoint]:
    return list(sweep(spec_named("mbv3_small"), sd855, (0.5, 0.75, 1.0), (160, 192, 224), AnalysisOptions()))


def views(
    sd855: HardwareProfile, diff: DiffResult, points: list[SweepPoint], fit: TableFit
) -> dict[str, RenderableType]:
    small = run("mbv3_small", sd855)
    out: dict[str, RenderableType] = {f"analysis by {g}": analysis_view(small, g, fit=fit) for g in GROUPINGS}
    for g in GROUPINGS:
        out[f"diff by {g}"] = diff_view(build_diff(diff.a, diff.b, g), fit=fit)
    out["sweep"] = sweep_table(points, "mbv3_small: 9 variants", fit=fit)
    return out


def assert_fits(output: str, width: int) -> None:
    assert "…" not in output
    too_long = [line for line in output.splitlines() if len(line) > width]
    assert not too_long, too_long[:3]


def test_every_view_fits_80_columns(
    sd855: HardwareProfile, last_stage_diff: DiffResult, grid: list[SweepPoint]
) -> None:
    for name, view in views(sd855, last_stage_diff, grid, TableFit(width=80)).items():
        output = text(view, 80)
        assert_fits(output, 80)
        assert "latency" in output or "lat." in output or "Δ lat" in output, name


def test_with_room_the_fitted_table_is_the_full_one(
    sd855: HardwareProfile, last_stage_diff: DiffResult, grid: list[SweepPoint]
) -> None:
    fitted = views(sd855, last_stage_diff, grid, TableFit(width=200))
    wide = views(sd855, last_stage_diff, grid, TableFit(wide=True))
    unlimited = views(sd855, last_stage_diff, grid, TableFit())
    for name in ("analysis by block", "analysis by stage", "diff by stage", "diff by block", "sweep"):
        assert text(fitted[name], 200) == text(wide[name], 200) == text(unlimited[name], 200), name


def test_narrow_keeps_the_names_and_the_most_important_numbers(sd855: HardwareProfile) -> None:
    result = run("mbv3_small", sd855)
    output = text(analysis_view(result, "block", fit=TableFit(width=60)), 60)
    assert_fits(output, 60)
    assert "s3.b2" in output and "head.classifier" in output  # row names whole
    total_ms = f"{result.total.latency_s * 1e3:.3g} ms"  # the number is the model's; the view keeps it
    assert total_ms in output and "56.5M" in output  # total latency and MACs


def test_chosen_columns_in_the_chosen_order(sd855: HardwareProfile, grid: list[SweepPoint]) -> None:
    output = text(sweep_table(grid, "t", fit=TableFit(width=80, columns=("energy_j", "macs"))), 80)
    header = next(line for line in output.splitlines() if "MACs" in line)
    assert header.index("width") < header.index("resolution") < header.index("energy") < header.index("MACs")
    assert "params" not in output


def test_unknown_column_is_an_option_error_with_a_suggestion(sd855: HardwareProfile) -> None:
    with pytest.raises(CostModelError) as err:
        analysis_view(run("mbv3_small", sd855), "block", fit=TableFit(columns=("latency",)))
    assert err.value.code is ErrorCode.OPTION and "did you mean 'latency_s'" in str(err.value)
    assert "name" in column_keys("analysis") and "latency_s_delta" in column_keys("diff")
    assert "samples_per_s" in column_keys("sweep") and column_keys("profiles")[0] == "name"


def test_profiles_table_keeps_names_whole() -> None:
    profiles = [load_profile(str(path)) for path in list_profiles()] + [load_profile(HOST)]
    for width in (60, 80):
        output = text(profiles_table(profiles, TableFit(width=width)), width)
        assert_fits(output, width)
        for profile in profiles:
            assert profile.name in output
