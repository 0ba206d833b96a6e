"""Runtimes apart from hardware (runtimes/*.yaml, costmodel/hw/runtime.py, costmodel/hw/pairing.py,
costmodel/cost/algorithms.py). Expected values are worked out here from formulas: Lavin & Gray's
Winograd counts, the profiles' numbers, the runtimes' dispatch costs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from conftest import parse, spec_named
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze, plan
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw import load_profile, numeric_paths
from costmodel.hw.pairing import deep_merge, with_runtime
from costmodel.hw.runtime import list_runtimes, load_runtime

SPEC = parse(
    """version: 1
name: t
input: [32, 14, 14]
defaults: {norm: batchnorm, act: relu}
stages:
  s:
    - {name: c3, op: conv2d, out: 64, kernel: 3}
    - {name: c3s2, op: conv2d, out: 64, kernel: 3, stride: 2}
    - {name: thin, op: conv2d, out: 8, kernel: 3}
    - {name: dw, op: conv2d, out: 8, kernel: 3, groups: 8}
"""
)
POLICIES = {"fusion", "conv.dense_3x3_stride1", "arithmetic", "launch"}


def _rows(result):
    return {row.name: row for row in result.rows("node")}


@pytest.mark.parametrize("path", list_runtimes(), ids=lambda p: p.stem)
def test_every_runtime_number_and_policy_has_a_source(path: Path) -> None:
    runtime = load_runtime(str(path))
    assert runtime.name == path.stem
    numbers = set(numeric_paths({k: v for k, v in runtime.model_dump().items() if k != "version"}))
    numbers -= {"conv.winograd_min_channels"} if runtime.conv.dense_3x3_stride1.value == "gemm" else set()
    needed = (
        numbers | {"fusion", "conv.dense_3x3_stride1"} | ({"arithmetic"} if runtime.arithmetic else set())
    )
    assert needed - set(runtime.sources) == set(), "numbers or policies without a source"
    assert set(runtime.sources) - needed - POLICIES == set(), "sources for fields that do not exist"


def test_every_profile_runtime_is_bundled() -> None:
    names = {path.stem for path in list_runtimes()}
    assert {
        "tflite",
        "ncnn",
        "paddle-lite",
        "onnxruntime",
        "torch-eager",
        "torch-cudagraph",
        "tensorrt",
    } <= names
    from costmodel.hw import list_profiles

    for path in list_profiles():
        assert load_profile(str(path)).runtime in names


def test_winograd_f4x4_speedup_and_transform_ops_on_a_3x3_stride1_conv(sd855) -> None:
    gemm = _rows(analyze(SPEC, sd855, AnalysisOptions(precision="fp32")))
    ncnn_result = analyze(SPEC, sd855, AnalysisOptions(runtime="ncnn"))
    ncnn = _rows(ncnn_result)
    c_in, c_out, h, w, m, alpha = 32, 64, 14, 14, 4, 6
    direct = h * w * 9 * c_in * c_out
    tiles = math.ceil(h / m) * math.ceil(w / m)  # 4 x 4 tiles of 4x4 outputs cover 14x14
    multiplies = tiles * alpha * alpha * c_in * c_out
    transforms = tiles * (c_in * 156 + c_out * 100)  # Lavin & Gray 2016: 13(6+6) in, 10(4+6) out
    assert ncnn["s.c3"].macs == gemm["s.c3"].macs == direct  # the MAC count convention stays
    assert ncnn["s.c3"].ops - gemm["s.c3"].ops == transforms
    # ncnn computes fp32 in fp16 on this ARMv8.2 core: fp16 peak, the profile's (TFLite) conv efficiency
    fp16 = sd855.precisions["fp16"]
    halo = sd855.utilisation.spatial_halo if sd855.utilisation else 0.0
    spatial = h * w / ((h + halo) * (w + halo))  # the work model's halo on a 14x14 map
    rate = fp16.peak_macs_per_s * sd855.efficiency["conv"] * fp16.scale * spatial
    assert ncnn["s.c3"].compute_s == pytest.approx((multiplies + ncnn["s.c3"].ops) / rate)
    # stride 2, thin (8 < 16 channels) and depthwise convs keep the direct algorithm
    for name in ("s.c3s2", "s.thin", "s.dw"):
        assert ncnn[name].ops == gemm[name].ops
    assert any("Winograd F(4x4,3x3)" in line and "1 dense" in line for line in ncnn_result.assumptions)


def test_winograd_f2x2_counts() -> None:
    from costmodel.cost.algorithms import winograd_cost

    cost = winograd_cost(2, batch=2, c_in=16, c_out=32, height=7, width=7)
    tiles = 2 * 4 * 4
    assert cost.tiles == tiles
    assert cost.multiplies == tiles * 16 * 16 * 32
    assert cost.transform_ops == tiles * (16 * 32 + 32 * 24)  # 32 additions in, 24 out
    # whole maps: 9 m^2 / (m+2)^2 = 36/16 = 2.25
    even = winograd_cost(2, 1, 8, 8, 8, 8)
    assert (8 * 8 * 9 * 8 * 8) / even.multiplies == pytest.approx(2.25)


def test_winograd_combines_with_sparsity_multiplicatively() -> None:
    h100 = load_profile("h100")
    assert load_runtime("ncnn").conv.dense_3x3_stride1.output_tile == 4
    options = AnalysisOptions(runtime="ncnn", precision="fp16", sparsity=(("s.c3", "2:4"),))
    counts = {c.name: c for c in plan(SPEC, h100, options).counts}
    tiles = 16
    assert counts["s.c3"].mac_speedup == pytest.approx(2.0 * (14 * 14 * 9) / (tiles * 36))


def test_ncnn_on_a_profile_without_fp16_keeps_fp32() -> None:
    rpi = load_profile("raspberrypi4")
    assert "fp16" not in rpi.precisions
    planned = plan(SPEC, rpi, AnalysisOptions(runtime="ncnn"))
    assert {c.compute for c in planned.counts} == {"fp32"}
    sd855_plan = plan(SPEC, load_profile("snapdragon855"), AnalysisOptions(runtime="ncnn"))
    assert {c.compute for c in sd855_plan.counts} == {"fp16"}
    assert "fp32 computed in fp16" in sd855_plan.precision_plan.describe()


def test_torch_eager_one_kernel_per_op_at_its_dispatch_cost() -> None:
    # the uncalibrated pair: the runtime's own dispatch cost (the bundled h200 has a fitted one)
    h200 = load_profile("h200").model_copy(update={"runtimes": {}})
    assert h200.runtime != "torch-eager"
    result = analyze(spec_named("resnet18"), h200, AnalysisOptions(runtime="torch-eager"))
    real = [row for row in result.rows("node") if row.op not in ("flatten",)]
    assert result.kernels == len(real)
    # launches are asynchronous (runtimes/torch-eager.yaml): kernel j is queued at j x 10 us and a
    # kernel waits only for its own launch, so each exposed overhead is at most 10 us, the first is
    # all of it, and together they are the device's idle time
    dispatch = 1.0e-5
    assert real[0].overhead_s == pytest.approx(dispatch)
    assert all(0 <= row.overhead_s <= dispatch * (1 + 1e-9) for row in real)
    device_end = 0.0
    for j, row in enumerate(real, start=1):
        busy = row.latency_s - row.overhead_s
        assert row.overhead_s == pytest.approx(max(0.0, j * dispatch - device_end), abs=1e-12)
        device_end += row.overhead_s + busy
    assert result.options.fusion is False
    assert result.runtime.name == "torch-eager" and not result.runtime.calibrated
    fused = analyze(spec_named("resnet18"), h200)
    assert fused.kernels < result.kernels


def test_default_runtime_changes_no_number(sd855, tmp_path: Path) -> None:
    data = yaml.safe_load(Path(sd855.file).read_text())
    del data["runtime"], data["sources"]["runtime"]
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump(data, sort_keys=False))
    for spec in ("mbv2", "resnet18"):
        default = analyze(spec_named(spec), sd855)
        named = analyze(spec_named(spec), sd855, AnalysisOptions(runtime="tflite"))
        without = analyze(spec_named(spec), load_profile(str(bare)))
        assert default.total == named.total == without.total
        assert default.runtime.calibrated and default.runtime.name == "tflite"
        assert without.runtime.name is None


def test_paddle_lite_scales_the_profile_efficiencies(sd855) -> None:
    effective = with_runtime(sd855, load_runtime("paddle-lite"))
    for op_class in ("conv", "pointwise", "depthwise", "grouped", "linear"):
        assert effective.efficiency[op_class] == pytest.approx(min(1.0, sd855.efficiency[op_class] * 1.5))
    assert effective.efficiency["elementwise"] == sd855.efficiency["elementwise"]
    assert effective.overhead_s_per_kernel == sd855.overhead_s_per_kernel
    assert "[EST]" in effective.sources["efficiency.conv"]


def _with_pair(tmp_path: Path, override: dict) -> Path:
    data = yaml.safe_load((list_runtimes()[0].parent.parent / "hardware" / "snapdragon855.yaml").read_text())
    data["runtimes"] = override
    path = tmp_path / "paired.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_calibrated_pair_overrides_the_profile(tmp_path: Path) -> None:
    override = {
        "torch-eager": {
            "efficiency": {"conv": 0.9},
            "overhead_s_per_kernel": 3.0e-6,
            "memory": {"dram_bytes_per_s": 1.0e10},
            "precisions": {"fp32": {"efficiency_scale": 0.5}},
            "sources": {"efficiency.conv": "[FIT] test", "overhead_s_per_kernel": "[FIT] test"},
        }
    }
    hw = load_profile(str(_with_pair(tmp_path, override)))
    effective = with_runtime(hw, load_runtime("torch-eager"))
    assert (
        effective.efficiency["conv"] == 0.9
        and effective.efficiency["depthwise"] == hw.efficiency["depthwise"]
    )
    assert effective.overhead_s_per_kernel == 3.0e-6  # the pair's, not the runtime's generic 10 us
    assert effective.memory.dram_bytes_per_s == 1.0e10 and effective.memory.onchip == hw.memory.onchip
    assert effective.precisions["fp32"].efficiency_scale == 0.5
    assert effective.precisions["fp32"].peak_macs_per_s == hw.precisions["fp32"].peak_macs_per_s
    assert effective.sources["efficiency.conv"] == "[FIT] test"
    result = analyze(SPEC, hw, AnalysisOptions(runtime="torch-eager"))
    assert result.runtime.calibrated and "calibrated for" in result.runtime.basis
    conv = _rows(result)["s.c3"]
    assert conv.overhead_s == 3.0e-6


def test_deep_merge_replaces_leaves_and_keeps_siblings() -> None:
    assert deep_merge({"a": {"b": 1, "c": [1]}, "d": 2}, {"a": {"c": [2]}}) == {
        "a": {"b": 1, "c": [2]},
        "d": 2,
    }


@pytest.mark.parametrize(
    "override,needle,code",
    [
        ({"ncnn": {"efficiency": {"conv": 1.5}}}, "conv: 1.5", ErrorCode.HARDWARE),
        ({"ncnn": {"efficiency": {"convv": 0.5}}}, "convv", ErrorCode.UNKNOWN_KEY),
        ({"ncnn": {"overhead_s_per_kernal": 1e-6}}, "overhead_s_per_kernal", ErrorCode.UNKNOWN_KEY),
        ({"nccn": {"efficiency": {"conv": 0.5}}}, "nccn:", ErrorCode.HARDWARE),
        ({"ncnn": {"name": "other"}}, "name: other", ErrorCode.HARDWARE),
    ],
)
def test_a_bad_override_is_a_located_error(
    tmp_path: Path, override: dict, needle: str, code: ErrorCode
) -> None:
    path = _with_pair(tmp_path, override)
    with pytest.raises(CostModelError) as info:
        load_profile(str(path))
    assert info.value.code == code
    assert info.value.pos is not None
    assert needle in path.read_text().splitlines()[info.value.pos.line - 1]


def _runtime_file(tmp_path: Path, edit: str, replacement: str) -> Path:
    text = (list_runtimes()[0].parent / "ncnn.yaml").read_text()
    assert edit in text
    path = tmp_path / "rt.yaml"
    path.write_text(text.replace(edit, replacement, 1))
    return path


@pytest.mark.parametrize(
    "edit,replacement,needle,message",
    [
        ("fusion: epilogue", "fusion: epilog", "fusion: epilog", "did you mean 'epilogue'"),
        ("  depthwise: direct", "  depthwize: direct", "depthwize", "depthwize"),
        ("winograd-f4x4", "winograd-f4", "winograd-f4", "did you mean"),
        ("winograd_min_channels: 16", "winograd_min_channels: 0", "winograd_min_channels", "greater than"),
        ("{fp32: fp16}", "{fp32: fp61}", "arithmetic", "fp61"),
    ],
)
def test_a_bad_runtime_file_is_a_located_error(
    tmp_path: Path, edit: str, replacement: str, needle: str, message: str
) -> None:
    path = _runtime_file(tmp_path, edit, replacement)
    with pytest.raises(CostModelError) as info:
        load_runtime(str(path))
    assert message in str(info.value)
    assert info.value.pos is not None and info.value.pos.file == str(path)
    assert needle in path.read_text().splitlines()[info.value.pos.line - 1]


def test_unknown_runtime_on_the_command_line_is_one_line_exit_2() -> None:
    result = CliRunner().invoke(app, ["analyze", "mbv2", "--runtime", "nccn"])
    assert result.exit_code == 2
    assert "did you mean 'ncnn'" in result.output and len(result.output.strip().splitlines()) == 1


def test_runtime_flags_on_analyze_diff_and_the_runtimes_command() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["analyze", "resnet18", "--runtime", "ncnn"])
    assert shown.exit_code == 0, shown.output
    assert "runtime: ncnn (Tencent ncnn (ARM CPU)): not calibrated" in shown.output
    diff = runner.invoke(app, ["diff", "resnet18", "--runtime-b", "ncnn", "--format", "json"])
    assert diff.exit_code == 0, diff.output
    assert '"name": "ncnn"' in diff.output and '"name": "tflite"' in diff.output
    listed = runner.invoke(app, ["runtimes"])
    assert listed.exit_code == 0 and "torch-eager" in listed.output
    as_json = runner.invoke(app, ["runtimes", "--format", "json"])
    assert as_json.exit_code == 0 and '"paddle-lite"' in as_json.output


def test_no_fusion_wins_and_a_runtime_never_turns_fusion_on(sd855) -> None:
    off = analyze(SPEC, sd855, AnalysisOptions(fusion=False, runtime="tflite"))
    eager = analyze(SPEC, sd855, AnalysisOptions(fusion=True, runtime="torch-eager"))
    assert off.kernels == eager.kernels == 12  # every non-view node alone
    assert analyze(SPEC, sd855).kernels == 4  # conv + bn + relu fused, four times


def test_hw_show_lists_the_runtime_and_a_pair_with_their_sources(tmp_path: Path) -> None:
    from rich.console import Console

    from costmodel.present.terminal import profile_view

    override = {"ncnn": {"efficiency": {"conv": 0.7}, "sources": {"efficiency.conv": "[FIT] pair source"}}}
    console = Console(width=300, record=True)
    console.print(profile_view(load_profile(str(_with_pair(tmp_path, override)))))
    text = console.export_text()
    assert "runtimes.ncnn.efficiency.conv" in text and "[FIT] pair source" in text
    assert "tflite" in text


def test_lut_and_search_take_a_runtime(tmp_path: Path) -> None:
    import json

    runner = CliRunner()
    lut = runner.invoke(app, ["lut", "mnasnet_mbv2", "--runtime", "torch-eager", "--format", "json"])
    assert lut.exit_code == 0, lut.output
    assert json.loads(lut.output)["runtime"] == "torch-eager"
    from costmodel.design.session import SearchSettings, build_problem

    problem = build_problem(SearchSettings(space="mnasnet_mbv2", runtime="torch-eager"))
    assert problem.options.runtime == "torch-eager"
    assert "runtime" not in SearchSettings(space="mnasnet_mbv2").to_dict()  # run.json as before
    bad = runner.invoke(app, ["search", "mnasnet_mbv2", "--trials", "2", "--runtime", "nccn"])
    assert bad.exit_code == 2 and "did you mean 'ncnn'" in bad.output
