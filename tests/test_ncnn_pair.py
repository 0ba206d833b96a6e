"""The (snapdragon855, ncnn) and (snapdragon855-cpu4, ncnn) pairs fitted on ncnn's own published
benchmark table (calibration/sd855_ncnn_*.csv) by scripts/calibrate_profiles.py."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from costmodel.api import analyze
from costmodel.hw import load_profile
from costmodel.hw.calibration import calibrate
from costmodel.hw.pairing import with_runtime
from costmodel.hw.runtime import load_runtime

ROOT = Path(__file__).resolve().parent.parent


def _published_ms(csv_name: str, label: str) -> float:
    lines = (ROOT / "calibration" / csv_name).read_text(encoding="utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return next(float(r["latency_ms"]) for r in rows if r["label"] == label)


@pytest.mark.parametrize("hw", ["snapdragon855", "snapdragon855-cpu4"])
def test_the_pair_loads_and_runtime_ncnn_uses_it(hw: str) -> None:
    stored = yaml.safe_load((ROOT / "hardware" / f"{hw}.yaml").read_text(encoding="utf-8"))
    entry = stored["runtimes"]["ncnn"]
    paired = with_runtime(load_profile(hw), load_runtime("ncnn"))
    assert paired.efficiency["conv"] == entry["efficiency"]["conv"]
    assert paired.overhead_s_per_kernel == entry["overhead_s_per_kernel"]
    assert "sd855_ncnn_" in paired.sources["efficiency.conv"]
    shown = CliRunner().invoke(
        app, ["analyze", "resnet18", "--hw", hw, "--runtime", "ncnn", "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    runtime = yaml.safe_load(shown.output)["runtime"]  # JSON is YAML
    assert runtime["name"] == "ncnn" and runtime["calibrated"] is True
    assert runtime["efficiencies"] == f"calibrated for ({hw}, ncnn)"


def test_held_out_mape_printed_by_the_script_is_a_direct_calibrate_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = ROOT / "scripts" / "calibrate_profiles.py"
    spec = importlib.util.spec_from_file_location("calibrate_profiles", path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules["calibrate_profiles"] = script
    spec.loader.exec_module(script)
    script.fit_pairs(write=False)
    printed = capsys.readouterr().out
    for csv_name, hw in (
        ("sd855_ncnn_1thread.csv", "snapdragon855"),
        ("sd855_ncnn_4threads.csv", "snapdragon855-cpu4"),
    ):
        # the prior: the TFLite-calibrated profile without the pair (it must not have seen the data)
        prior = load_profile(hw).model_copy(update={"runtimes": {}})
        report = calibrate([ROOT / "calibration" / csv_name], with_runtime(prior, load_runtime("ncnn")))
        assert report.loo is not None
        section = printed.split(f"{csv_name} -> {hw} + ncnn")[1]
        held_out = re.search(r"leave one model out MAPE\s+([\d.]+)%", section)
        assert held_out is not None and float(held_out.group(1)) == pytest.approx(report.loo.mape, abs=0.05)
        # and the profile's source states the same score
        source = load_profile(hw).runtimes["ncnn"]["sources"]["efficiency.conv"]
        assert f"leave-one-model-out MAPE {report.loo.mape:.1f}%" in source


def _speed_ratio(spec: str, hw: str) -> float:
    """Predicted TFLite latency over predicted ncnn latency."""
    profile = load_profile(hw)
    return analyze(spec, profile).totals.latency_s / analyze(spec, profile, runtime="ncnn").totals.latency_s


def test_mbv1_ratio_on_four_cores_is_the_published_one() -> None:
    # both runtimes published MobileNetV1 1.0 on a Snapdragon 855 with 4 threads: TFLite on the
    # Pixel 4 (pixel4_sd855_cpu4.csv), ncnn on the OnePlus 7T's 855+ (sd855_ncnn_4threads.csv)
    published = _published_ms("pixel4_sd855_cpu4.csv", "mobilenet_v1_1.0") / _published_ms(
        "sd855_ncnn_4threads.csv", "ncnn mobilenet"
    )
    # within the two fits' in-sample errors (TFLite 1.5%, ncnn 5.7% MAPE: hardware/snapdragon855-cpu4.yaml)
    assert _speed_ratio("mbv1", "snapdragon855-cpu4") == pytest.approx(published, rel=0.1)


def test_resnet18_ratio_on_one_core_is_in_the_range_the_published_data_implies() -> None:
    # No TFLite latency of ResNet-18 on a Snapdragon 855 is published here, so the range is
    # bracketed by the one model both runtimes published on this chip, MobileNetV1 at 4 threads
    # (TFLite 14.0 ms on the Pixel 4, ncnn 5.38 ms on the 855+): MobileNetV1 has no Winograd
    # layer (its only dense 3x3 conv is the thin stem), so its ratio is ncnn's gain without
    # Winograd; ResNet-18's dense 3x3 stride-1 layers can add at most F(4x4,3x3)'s multiply saving,
    # 9 x 16 / 36 = 4 (Lavin & Gray, CVPR 2016).
    low = _published_ms("pixel4_sd855_cpu4.csv", "mobilenet_v1_1.0") / _published_ms(
        "sd855_ncnn_4threads.csv", "ncnn mobilenet"
    )
    high = low * 9 * 16 / 36
    assert low <= _speed_ratio("resnet18", "snapdragon855") <= high
