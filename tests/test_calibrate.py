"""Calibration: the fit recovers known parameters, scores are computed right, bad CSVs are
rejected with a location, and the written profile loads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from cli import app
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.hw import load_profile
from costmodel.hw.calibrate import (
    Measurement,
    Parameters,
    features,
    fit,
    load_measurements,
    predict,
    profile_parameters,
    scores,
)

CONFIGS = [
    ("mbv3_small", 1.0, None),
    ("mbv3_large", 1.0, None),
    ("mbv2", 1.0, None),
    ("mbv2", 0.5, 160),
    ("resnet18", 1.0, None),
    ("squeezenet1_1", 1.0, None),
    ("shufflenet_v2_x1_0", 1.0, None),
    ("mbv1", 0.75, 192),
    ("googlenet", 1.0, None),
    ("efficientnet_b0", 1.0, None),
    ("densenet121", 1.0, 128),
    ("mnasnet_b1", 1.0, None),
]


def _measurement(spec: str, width: float, resolution: int | None, latency: float = 1.0):
    return Measurement(
        spec, AnalysisOptions(width=width, resolution=resolution), latency, spec, SourcePos("t.csv", 1, 1)
    )


def test_fit_recovers_the_parameters_that_generated_the_data() -> None:
    # the plain roofline (no work model): the halo trades off against depthwise efficiency when
    # few resolutions are measured; the next test fits it where a table pins it down
    hw = load_profile("snapdragon855").model_copy(update={"utilisation": None})
    truth = Parameters(
        {**hw.efficiency, "conv": 0.45, "pointwise": 0.8, "depthwise": 0.1, "elementwise": 0.3},
        8e-6,
        20e9,
    )
    feats = [features(_measurement(*c), hw) for c in CONFIGS]
    data = [(f, predict(f, truth)) for f in feats]
    prior = profile_parameters(hw)
    worst_before = max(abs(predict(f, prior) - m) / m for f, m in data)
    assert worst_before > 0.2  # the profile as given is far off: the fit has work to do
    fitted = fit(data, prior)
    for f, measured in data:
        # within 5%: the weak prior toward the profile's values still pulls a little
        assert predict(f, fitted) == pytest.approx(measured, rel=0.05)
    # the classes the data pins down come back close to the truth
    assert fitted.efficiency["pointwise"] == pytest.approx(0.8, rel=0.1)
    assert fitted.efficiency["depthwise"] == pytest.approx(0.1, rel=0.15)


def test_fit_recovers_the_spatial_halo_from_several_resolutions() -> None:
    """Latencies made with a halo of 5 pixels (the profile's prior is about 2): a width x
    resolution table pins it down, as the Pixel 1's MobileNetV2 table does."""
    hw = load_profile("snapdragon855")
    truth = replace(profile_parameters(hw), spatial_halo=5.0)
    configs = [(m, w, r) for m in ("mbv1", "mbv2") for w in (0.5, 1.0) for r in (96, 128, 160, 192, 224)]
    data = [(f, predict(f, truth)) for f in (features(_measurement(*c), hw) for c in configs)]
    fitted = fit(data, profile_parameters(hw))
    assert fitted.spatial_halo == pytest.approx(5.0, rel=0.1)


def test_scores_by_hand() -> None:
    s = scores([1.1, 2.0, 2.5, 5.0], [1.0, 2.0, 3.0, 4.0])
    # errors 10%, 0%, 16.7%, 25%: MAPE 12.9%, two within 10%, all four within 25%
    assert s.mape == pytest.approx((10 + 0 + 100 / 6 + 25) / 4)
    assert (s.within_10, s.within_25) == (50.0, 100.0)
    assert s.spearman == pytest.approx(1.0)  # same order
    assert scores([3.0, 2.0, 1.0], [1.0, 2.0, 3.0]).spearman == pytest.approx(-1.0)


@pytest.mark.parametrize(
    "text,code,line",
    [
        ("spec,latency_ms\nmbv3_small,abc\n", ErrorCode.BAD_VALUE, 2),
        ("# source\nspec,latency_ms\nmbv3_small,5\nmbv3_small,-1\n", ErrorCode.BAD_VALUE, 4),
        ("model,latency\nmbv3_small,5\n", ErrorCode.MISSING_KEY, 1),
    ],
)
def test_bad_measurement_files(text: str, code: ErrorCode, line: int, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(CostModelError) as info:
        load_measurements(path)
    assert info.value.code == code and info.value.pos is not None and info.value.pos.line == line


def test_unknown_spec_in_measurements_points_at_the_row(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("spec,latency_ms\nmbv3_small,5\nno_such_net,7\n")
    hw = load_profile("snapdragon855")
    with pytest.raises(CostModelError) as info:
        [features(m, hw) for m in load_measurements(path)]
    assert info.value.pos is not None and info.value.pos.line == 3


def test_calibrate_cli_writes_a_profile_that_loads(tmp_path: Path) -> None:
    out = tmp_path / "sd845-fit.yaml"
    result = CliRunner().invoke(
        app,
        ["calibrate", str(ROOT / "calibration/pixel3_sd845.csv"), "--hw", "snapdragon845", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "leave one model out" in result.stdout
    profile = load_profile(str(out))
    assert profile.name == "sd845-fit"
    assert all(source for source in profile.sources.values())
    assert profile.sources["overhead_s_per_kernel"].startswith("[FIT]")
    result = CliRunner().invoke(
        app, ["validate-latency", str(ROOT / "calibration/pixel3_sd845.csv"), "--hw", str(out)]
    )
    assert result.exit_code == 0 and "Spearman" in result.stdout


def test_fit_never_leaves_the_bounds() -> None:
    hw = load_profile("snapdragon855")
    feats = [features(_measurement(*c), hw) for c in CONFIGS[:4]]
    # absurdly fast "measurements" would need efficiency > 1: the fit stops at the bound
    fitted = fit([(f, predict(f, profile_parameters(hw)) / 100) for f in feats], profile_parameters(hw))
    assert all(0 < v <= 1 for v in fitted.efficiency.values())
    assert fitted.dram_bytes_per_s <= hw.memory.dram_bytes_per_s * (1 + 1e-9)
    assert replace(fitted).overhead_s > 0
