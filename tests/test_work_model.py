"""The work model (utilisation), asynchronous launches, per-layer measurements and the calibration
options of issue 14, each checked against a formula computed here."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze
from costmodel.cost.counting import NodeCount
from costmodel.cost.options import AnalysisOptions
from costmodel.cost.roofline import exposed_overheads
from costmodel.cost.utilisation import (
    align_factor,
    reduction_factor,
    spatial_factor,
    utilisation,
    wave_factor,
)
from costmodel.errors import CostModelError, SourcePos
from costmodel.hw import load_profile
from costmodel.hw.calibrate import Measurement, features, fit, predict, predict_many, profile_parameters
from costmodel.hw.calibration import calibrate, exponents
from costmodel.hw.measurements import load_measurements
from costmodel.hw.profile import UtilisationSpec
from costmodel.names import OpClass
from costmodel.spec.model import parse_spec

runner = CliRunner()


def _node(op_class: str, shape: tuple[int, ...], macs: int, batch: int = 1) -> NodeCount:
    return NodeCount(
        "n", "conv2d", OpClass(op_class), "s", "b", "k", "l", shape, False, "fp32", (), (), 0, macs, 0,
        0, 0, 0, 0, "fp32", batch=batch,
    )  # fmt: skip


def test_wave_quantisation_by_hand() -> None:
    spec = UtilisationSpec(parallel_units=132, gemm_tile={"conv": [64, 64]}, flat_tile={"elementwise": 1024})
    # 7x7x2048 output at batch 1: rows 49 -> 1 tile, 2048 channels -> 32 tiles: 32 of 132 SMs busy
    assert wave_factor(_node("conv", (2048, 7, 7), 1), spec) == pytest.approx(32 / 132)
    # at batch 64: rows 3136 -> 49 tiles x 32 = 1568 tiles = 12 waves (11.88 full): 1568 / (12 * 132)
    assert wave_factor(_node("conv", (2048, 7, 7), 1, batch=64), spec) == pytest.approx(1568 / (12 * 132))
    # flat tiles: 56x56x24 = 75,264 elements -> 74 tiles of 1024 on 132 units
    assert wave_factor(_node("elementwise", (24, 56, 56), 0), spec) == pytest.approx(74 / 132)
    assert wave_factor(_node("pool", (24, 56, 56), 0), spec) == 1.0  # no tile for the class
    assert wave_factor(_node("conv", (2048, 7, 7), 1), UtilisationSpec()) == 1.0  # one unit


def test_spatial_halo_and_reduction_by_hand() -> None:
    assert spatial_factor(_node("depthwise", (96, 7, 7), 0), 2.0) == pytest.approx(49 / 81)
    assert spatial_factor(_node("linear", (1000,), 0), 2.0) == 1.0  # not a map
    # a 1x1 conv 64 -> 128 on 14x14: K = 64 MACs per output
    node = _node("pointwise", (128, 14, 14), 64 * 128 * 14 * 14)
    assert reduction_factor(node, 16.0) == pytest.approx(64 / 80)
    spec = UtilisationSpec(spatial_halo=2.0, reduction_half=16.0)
    assert utilisation(node, spec) == pytest.approx((196 / 256) * (64 / 80))
    assert utilisation(node, None) == 1.0


def test_small_maps_slow_the_prediction_down_by_the_halo(sd855) -> None:
    """The same network at 96 and 224: the halo adds more at 96, so the exponent falls below 2."""
    assert sd855.utilisation is not None and sd855.utilisation.spatial_halo > 0
    plain = sd855.model_copy(update={"utilisation": None})
    spec = parse_spec(
        "version: 1\nname: t\ntitle: t\nsource: t\ninput: [32, 224, 224]\ndefaults: {norm: none, act: none}\n"
        "stages:\n  s:\n    - {name: dw, op: conv2d, out: 32, kernel: 3, groups: 32}\n"
    )
    halo = sd855.utilisation.spatial_halo
    for side in (96, 224):
        with_model = analyze(spec, sd855, AnalysisOptions(resolution=side)).total.compute_s
        without = analyze(spec, plain, AnalysisOptions(resolution=side)).total.compute_s
        assert with_model / without == pytest.approx((side + halo) ** 2 / side**2)


def test_asynchronous_launches_by_hand() -> None:
    # kernels of 1, 5, 1 ms queued at 2, 4, 6 ms: kernel 1 runs 2-3, kernel 2 waits until 4 and runs
    # 4-9, kernel 3 (queued at 6) starts at once at 9: waits 2, 1, 0
    assert exposed_overheads([1e-3, 5e-3, 1e-3], 2e-3, "async") == pytest.approx([2e-3, 1e-3, 0.0])
    # tiny kernels: launch-bound, every kernel waits for its launch: total = 3 x 2 ms + last kernel
    waits = exposed_overheads([1e-6] * 3, 2e-3, "async")
    assert sum(waits) + 3e-6 == pytest.approx(3 * 2e-3 + 1e-6)
    assert exposed_overheads([1.0, 1.0], 2e-3, "serial") == [2e-3, 2e-3]


def _measurement(spec: str, batch: int = 1, resolution: int | None = None) -> Measurement:
    options = AnalysisOptions(batch=batch, resolution=resolution)
    return Measurement(spec, options, 1.0, spec, SourcePos("t.csv", 1, 1))


@pytest.mark.parametrize(("spec", "batch"), [("mbv3_small", 1), ("resnet18", 32), ("shufflenet_v2_x1_0", 8)])
def test_calibration_predicts_what_the_roofline_does(spec: str, batch: int) -> None:
    """The fit's vectorised prediction (async launches, waves, reduction) equals analyze's total."""
    hw = load_profile("h200").model_copy(update={"launch": "async", "overhead_s_per_kernel": 2e-5})
    expected = analyze(load_spec_named(spec), hw, AnalysisOptions(batch=batch)).total.latency_s
    assert predict(features(_measurement(spec, batch), hw), profile_parameters(hw)) == pytest.approx(expected)


def load_spec_named(name: str):  # noqa: ANN201 - a Spec
    from costmodel.spec.model import load_spec

    return load_spec(ROOT / "archspecs" / f"{name}.yaml")


def test_per_file_overheads_are_recovered() -> None:
    """Two files of one campaign timed two ways: the second pays 10 us more per kernel (on a GPU at
    batch 1, where per-kernel costs are most of the time, as for single layers in CUDA graphs)."""
    hw = load_profile("h200").model_copy(update={"utilisation": None, "runtimes": {}})
    truth = profile_parameters(hw)
    first = [features(_measurement(s), hw, 0) for s in ("mbv2", "mbv3_small", "resnet18", "squeezenet1_1")]
    second = [features(_measurement(s), hw, 1) for s in ("mbv3_large", "googlenet", "mbv1", "resnet18")]
    extra = replace(truth, source_overhead=(truth.overhead_s + 1e-5,))
    data = [(f, predict(f, truth)) for f in first] + [(f, predict(f, extra)) for f in second]
    fitted = fit(data, truth, per_file="overhead")
    assert fitted.source_overhead[0] == pytest.approx(truth.overhead_s + 1e-5, rel=0.2)
    assert all(
        p == pytest.approx(m, rel=0.02)
        for p, m in zip(predict_many([f for f, _ in data], fitted), [m for _, m in data], strict=True)
    )


def test_resolution_exponents_are_the_slopes() -> None:
    """Latency proportional to r^1.5: the measured exponent is 1.5, whatever the predictions are."""
    ms = [
        Measurement("mbv2", AnalysisOptions(resolution=r), 1e-3 * (r / 224) ** 1.5, "x", SourcePos("t", 1, 1))
        for r in (96, 128, 160, 224)
    ]
    (e,) = exponents(ms, [1e-3 * (m.options.resolution or 1) ** 2 for m in ms])
    assert e.measured == pytest.approx(1.5) and e.predicted == pytest.approx(2.0) and e.points == 4


LAYERS = """# per-layer timings
model,batch,dtype,layer,type,in_shape,out_shape,kernel,stride,groups,ms
net,2,fp16,c1,Conv2d,2x16x56x56,2x32x28x28,3x3,2x2,1,0.02
net,2,fp16,dw,Conv2d,2x32x28x28,2x32x28x28,3x3,1x1,32,0.01
net,2,fp16,fc,Linear,2x128,2x10,,,,0.01
"""


def test_per_layer_rows_become_one_layer_specs(tmp_path: Path) -> None:
    path = tmp_path / "layers.csv"
    path.write_text(LAYERS, encoding="utf-8")
    ms = load_measurements(path)
    hw = load_profile("h200")
    assert [m.group for m in ms] == ["net"] * 3 and [m.options.batch for m in ms] == [2, 2, 2]
    macs = [sum(c.macs for c in _plan(m, hw)) for m in ms]
    assert macs == [2 * 32 * 28 * 28 * 16 * 9, 2 * 32 * 28 * 28 * 9, 2 * 128 * 10]
    assert all(m.options.precision == "fp16" for m in ms)


def _plan(m: Measurement, hw):  # noqa: ANN202 - the node counts
    from costmodel.cost.analysis import plan

    return plan(parse_spec(m.spec_text), hw, m.options).counts


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("net,1,fp16,c,Conv2d,1x16x5,1x16x5x5,3x3,1x1,1,0.01", "expected Conv2d with NCHW"),
        ("net,1,fp16,c,Conv2d,1x16x5x5,1x16x5x5,3x1,1x1,1,0.01", "only square"),
        ("net,1,fp99,c,Conv2d,1x16x5x5,1x16x5x5,3x3,1x1,1,0.01", "dtype"),
        ("net,1,fp16,c,Pool,1x16x5x5,1x16x5x5,3x3,1x1,1,0.01", "expected Conv2d"),
        ("net,1,fp16,c,Conv2d,1xAx5x5,1x16x5x5,3x3,1x1,1,0.01", "bad in_shape"),
    ],
)
def test_bad_layer_rows_are_located(row: str, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "layers.csv"
    path.write_text(LAYERS.splitlines()[1] + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(CostModelError) as info:
        load_measurements(path)
    assert needle in str(info.value) and info.value.pos is not None and info.value.pos.line == 2


def test_calibrate_a_runtime_pair_writes_it_into_the_profile(tmp_path: Path) -> None:
    csv = tmp_path / "m.csv"
    csv.write_text(
        "spec,batch,latency_ms\nmbv2,1,4.3\nresnet18,1,1.66\nsqueezenet1_1,1,1.2\nmbv3_large,1,4.9\n",
        encoding="utf-8",
    )
    out = tmp_path / "fitted.yaml"
    result = runner.invoke(
        app, ["calibrate", str(csv), "--hw", "h200", "--runtime", "torch-eager", "--no-loo", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = load_profile(str(out))
    assert written.runtime == "tensorrt" and "torch-eager" in written.runtimes  # a pair, not the default
    pair = written.runtimes["torch-eager"]
    assert pair["sources"]["overhead_s_per_kernel"].startswith("[FIT]")
    # the pair is what --runtime torch-eager now uses
    options = AnalysisOptions(runtime="torch-eager")
    eager = analyze(load_spec_named("resnet18"), written, options)
    assert eager.kernels > 0 and math.isfinite(eager.total.latency_s)


def test_leave_one_resolution_out_cli(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["calibrate", str(ROOT / "calibration" / "pixel3_sd845_cpu4.csv"), "--hw", "snapdragon845-cpu4",
         "--leave-out", "resolution"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "leave one resolution out" in result.output and "resolution exponent mbv1" in result.output


def test_held_out_by_resolution_groups_rows_of_one_resolution() -> None:
    hw = load_profile("snapdragon845-cpu4")
    report = calibrate(ROOT / "calibration" / "pixel3_sd845_cpu4.csv", hw, leave_out="resolution")
    assert report.loo is not None and report.loo_tables is not None
    assert report.loo_tables.n == 4  # mbv1 1.0 at 4 resolutions (the other widths: 224 only)


def test_channel_alignment_by_hand() -> None:
    spec = UtilisationSpec(channel_align={"fp16": 8})
    node = replace(_node("conv", (20, 14, 14), 1), compute="fp16")
    assert align_factor(node, spec) == pytest.approx(20 / 24)  # 20 channels padded to 24
    assert align_factor(replace(node, compute="fp32"), spec) == 1.0  # no multiple for fp32
    assert align_factor(replace(node, op_class=OpClass.DEPTHWISE), spec) == 1.0  # not a GEMM
    assert align_factor(replace(node, shape=(1000,), op_class=OpClass.LINEAR), spec) == 1.0


def test_leave_one_model_out_also_holds_the_resolution_tables_out() -> None:
    """Both held-out scores from one call: by model (the rows), and by resolution for the models
    measured at several resolutions (the width x resolution rows), with their exponents."""
    hw = load_profile("snapdragon845-cpu4")
    report = calibrate(ROOT / "calibration" / "pixel3_sd845_cpu4.csv", hw)
    assert report.leave_out == "model" and report.loo is not None
    by_resolution = calibrate(ROOT / "calibration" / "pixel3_sd845_cpu4.csv", hw, leave_out="resolution")
    assert report.loo_tables == by_resolution.loo_tables and report.loo_tables is not None
    assert [e.predicted for e in report.exponents] == [e.predicted for e in by_resolution.exponents]


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("conv: [64, 64], pointwise", "conv: [0, 64], pointwise"), "tile of 'conv'"),
        (("conv: [64, 64], pointwise", "conv: [64], pointwise"), "tile of 'conv'"),
        (("conv: [64, 64], pointwise", "convv: [64, 64], pointwise"), "did you mean 'conv'"),
        (("channel_align: {fp16: 8", "channel_align: {fp99: 8"), "unknown precision 'fp99'"),
        (("channel_align: {fp16: 8", "channel_align: {fp16: 0"), "1 to 1024"),
        (("parallel_units: 132", "parallel_units: 0"), "greater than or equal to 1"),
    ],
)
def test_bad_work_models_are_located_errors(edit: tuple[str, str], needle: str, tmp_path: Path) -> None:
    text = (ROOT / "hardware" / "h200.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(CostModelError) as info:
        load_profile(str(bad))
    assert needle in str(info.value) and info.value.pos is not None and info.value.pos.line > 1
