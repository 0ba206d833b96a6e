"""Sweeps over width x resolution: published tables, and agreement with one analysis per variant."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import ARCHSPECS, parse, spec_named, spec_text
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.cost.sweep import parse_resolutions, parse_widths, sweep
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import BuildOptions, build_graph, with_resolution
from costmodel.hw import load_profile

runner = CliRunner()
# The image models (language models have no resolution to sweep).
ZOO = sorted(path.stem for path in ARCHSPECS.glob("*.yaml") if path.stem not in {"gpt2", "llama2_7b"})
# Specs whose expressions read the map size (position embedding, windows, patches).
READS_SPATIAL = {"vit_b_16", "swin_t", "mobilevit_s"}

# MobileNetV1 (Howard et al. 2017), Table 6 (width multiplier at 224) and Table 7 (resolution at
# width 1.0): millions of MACs ("Mult-Adds") and of parameters, as printed.
MOBILENET_V1_TABLES = [
    (1.0, 224, 569, 4.2),
    (0.75, 224, 325, 2.6),
    (0.5, 224, 149, 1.3),
    (0.25, 224, 41, 0.5),
    (1.0, 192, 418, 4.2),
    (1.0, 160, 290, 4.2),
    (1.0, 128, 186, 4.2),
]


def test_sweep_reproduces_mobilenet_v1_tables_6_and_7(sd855) -> None:
    widths = sorted({w for w, _, _, _ in MOBILENET_V1_TABLES})
    points = {
        (p.width, p.resolution): p for p in sweep(spec_named("mbv1"), sd855, widths, [224, 192, 160, 128])
    }
    for width, resolution, macs_m, params_m in MOBILENET_V1_TABLES:
        point = points[width, resolution]
        # within the printed digit (the paper prints 290 for 290.7M: truncated, not rounded)
        assert abs(point.macs / 1e6 - macs_m) < 1, (width, resolution)
        assert round(point.params / 1e6, 1) == params_m, (width, resolution)


FIELDS = ("params", "macs", "ops", "weight_bytes", "dram_bytes", "latency_s", "memory_bound_s", "energy_j")


def _assert_equals_analysis(point, spec, hw, name: str) -> None:
    result = analyze(
        spec,
        hw,
        AnalysisOptions(
            precision=point.precision, batch=point.batch, width=point.width, resolution=point.resolution
        ),
    )
    where = (name, point.width, point.resolution, point.batch, point.precision)
    assert tuple(getattr(point, f) for f in FIELDS) == tuple(getattr(result.total, f) for f in FIELDS), where
    assert point.peak_activation_bytes == result.peak_activation_bytes, where
    assert point.kernels == result.kernels, where


@pytest.mark.parametrize("profile", ["snapdragon855", "edgetpu"])
def test_sweep_totals_equal_one_analysis_per_variant(profile: str) -> None:
    """The shortcuts a sweep takes (shapes re-inferred, graph and fusion reused, no rows) change
    nothing."""
    hw = load_profile(profile)
    precision = "fp32" if "fp32" in hw.precisions else next(iter(hw.precisions))
    for name in ZOO:
        spec = spec_named(name)
        widths, resolutions = [0.5, 1.0], [160, 224]
        points = list(sweep(spec, hw, widths, resolutions, AnalysisOptions(precision=precision)))
        assert [(p.width, p.resolution) for p in points] == [(w, r) for w in widths for r in resolutions]
        for point in points:
            _assert_equals_analysis(point, spec, hw, name)


def test_sweep_over_batches_and_precisions_equals_one_analysis_per_variant(sd855) -> None:
    for name in ("mbv3_small", "googlenet", "shufflenet_v2_x1_0"):
        spec = spec_named(name)
        points = list(sweep(spec, sd855, [0.75], [192, 224], batches=[1, 4], precisions=["fp32", "int8"]))
        assert [(p.resolution, p.precision, p.batch) for p in points] == [
            (r, q, b) for r in (192, 224) for q in ("fp32", "int8") for b in (1, 4)
        ]
        for point in points:
            _assert_equals_analysis(point, spec, sd855, name)
        one, four = points[0], points[1]  # MACs scale exactly with the batch, params do not
        assert four.macs == 4 * one.macs and four.params == one.params


def test_with_resolution_equals_building_again_for_every_zoo_spec() -> None:
    for name in ZOO:
        spec = spec_named(name)
        for width in (0.5, 1.0):
            base = build_graph(spec, BuildOptions(width=width))
            assert base.reads_spatial == (name in READS_SPATIAL), name
            for resolution in (128, 192, 256):
                fresh = build_graph(spec, BuildOptions(width=width, resolution=resolution))
                reshaped = with_resolution(base, resolution)
                assert [(n.name, n.shape, n.attrs, n.inputs) for n in reshaped.nodes] == [
                    (n.name, n.shape, n.attrs, n.inputs) for n in fresh.nodes
                ], (name, resolution)
                assert reshaped.input_shape == fresh.input_shape


SPATIAL_SPEC = spec_text(  # a 3x3 conv when the map is larger than 16 pixels, else a 1x1
    "  s:\n"
    "    - {name: big, op: conv2d, out: 8, kernel: 3, when: in_h > 16, norm: none, act: none}\n"
    "    - {name: small, op: conv2d, out: 8, kernel: 1, when: in_h <= 16, inputs: [input],"
    " norm: none, act: none}\n"
)


def test_a_spec_that_reads_in_h_is_expanded_again_per_resolution(sd855) -> None:
    spec = parse(SPATIAL_SPEC)
    assert build_graph(spec).reads_spatial
    points = list(sweep(spec, sd855, [1.0], [32, 16]))
    # Formula: out elements x in channels x kernel area; params = weights + bias (no norm).
    assert points[0].macs == 8 * 32 * 32 * 3 * 9 and points[0].params == 8 * 3 * 9 + 8
    assert points[1].macs == 8 * 16 * 16 * 3 * 1 and points[1].params == 8 * 3 + 8


def test_lists_are_parsed_and_checked() -> None:
    assert parse_widths("0.5, 0.75,1") == (0.5, 0.75, 1.0)
    assert parse_resolutions("128,224") == (128, 224)
    for bad in ("0.5,abc", "0", "-1", "nan", "inf", ""):
        with pytest.raises(CostModelError) as err:
            parse_widths(bad)
        assert err.value.code is ErrorCode.OPTION
    with pytest.raises(CostModelError):
        parse_resolutions("128.5")


def test_a_failing_variant_is_named(sd855) -> None:
    with pytest.raises(CostModelError) as err:  # BN-Inception's branches disagree at 299
        list(sweep(spec_named("bn_inception"), sd855, [1.0], [224, 299]))
    assert err.value.code is ErrorCode.SHAPE_MISMATCH
    assert "(at width 1, resolution 299)" in str(err.value)
    with pytest.raises(CostModelError) as err:
        list(sweep(spec_named("mbv1"), sd855, [], [224]))
    assert err.value.code is ErrorCode.OPTION
    with pytest.raises(CostModelError) as err:  # the Edge TPU runs int8 only
        list(sweep(spec_named("mbv1"), load_profile("edgetpu"), [1.0], [224], precisions=["int8", "fp16"]))
    assert err.value.code is ErrorCode.OPTION
    assert "(at width 1, resolution 224, precision fp16)" in str(err.value)


def test_cli_sweep_csv_and_json_carry_exact_numbers() -> None:
    result = runner.invoke(
        app, ["sweep", "mbv1", "--widths", "1,0.5", "--resolutions", "224,128", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["width"], r["resolution"]) for r in rows] == [
        ("1.0", "224"),
        ("1.0", "128"),
        ("0.5", "224"),
        ("0.5", "128"),
    ]
    assert {(r["batch"], r["precision"]) for r in rows} == {("1", "fp32")}
    assert int(rows[0]["macs"]) == analyze(spec_named("mbv1"), load_profile("snapdragon855")).total.macs
    result = runner.invoke(app, ["sweep", "mbv1", "--widths", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["resolution"] for p in data["points"]] == [128, 160, 192, 224]  # the default grid
    assert data["spec"] == "mbv1" and data["hardware"] == "snapdragon855"
    result = runner.invoke(
        app,
        [
            "sweep",
            "mbv2",
            "--hw",
            "edgetpu",
            "--widths",
            "1",
            "--resolutions",
            "224",
            "--batches",
            "1,2",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]  # int8: the profile's only precision
    assert [(p["batch"], p["precision"]) for p in points] == [(1, "int8"), (2, "int8")]


def test_cli_sweep_table_plot_and_errors(tmp_path) -> None:
    plot = tmp_path / "sweep.png"
    result = runner.invoke(
        app, ["sweep", "mbv3_small", "--widths", "0.5,1", "--resolutions", "160,224", "--plot", str(plot)]
    )
    assert result.exit_code == 0, result.output
    assert "MobileNetV3-Small" in result.stdout and "56.5M" in result.stdout
    assert plot.read_bytes().startswith(b"\x89PNG")
    for bad in (["--widths", "0.5,x"], ["--batches", "0"], ["--precisions", "fp8"]):
        result = runner.invoke(app, ["sweep", "mbv1", *bad])
        assert result.exit_code == 2 and "error[E403]" in result.output, bad
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["sweep", "bn_inception", "--resolutions", "299"])
    assert result.exit_code == 2 and "resolution 299" in result.output
