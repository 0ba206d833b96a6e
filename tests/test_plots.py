"""Plots: the roofline of one or more specs and the latency bars of a diff are valid PNG and SVG
files (opened here), and a missing matplotlib is a clear one-line error."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run
from typer.testing import CliRunner

from cli import app
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile
from costmodel.present.compare import build_diff
from costmodel.present.plots import diff_latency_plot, plot_format, roofline_plot

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}svg"


def open_png(data: bytes) -> tuple[int, int]:
    """Decode the PNG with matplotlib (Pillow underneath): (width, height) in pixels."""
    import io

    import matplotlib.image as mpimg

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(io.BytesIO(data), format="png")
    assert pixels.ndim == 3 and pixels.std() > 0  # not one flat colour
    return int(pixels.shape[1]), int(pixels.shape[0])


def open_svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == SVG
    return root


def test_roofline_plot_png_and_svg(sd855: HardwareProfile) -> None:
    results = [run("mbv3_large", sd855), run("mbv2", sd855)]
    width, height = open_png(roofline_plot(results, sd855, "png"))
    assert width > 600 and height > 400
    svg = roofline_plot(results, sd855, "svg")
    root = open_svg(svg)
    text = "".join(root.itertext())
    assert "arithmetic intensity" in text or b"arithmetic" in svg  # labels may be paths
    assert roofline_plot(results, sd855, "svg") == svg  # deterministic: no date, stable ids


def test_diff_latency_plot(sd855: HardwareProfile) -> None:
    diff = build_diff(run("mbv3_large_original_last_stage", sd855), run("mbv3_large", sd855), "stage")
    open_png(diff_latency_plot(diff, "png"))
    open_svg(diff_latency_plot(diff, "svg"))
    open_png(diff_latency_plot(build_diff(diff.a, diff.b, "block"), "png"))


def test_cli_plot_and_diff_plot(tmp_path: Path) -> None:
    png, svg = tmp_path / "roof.png", tmp_path / "bars.svg"
    result = runner.invoke(app, ["plot", "mbv3_small", "mbv3_large", "--hw", "snapdragon855", "-o", str(png)])
    assert result.exit_code == 0, result.output
    open_png(png.read_bytes())
    result = runner.invoke(app, ["diff", "mbv3_large_original_last_stage", "mbv3_large", "--plot", str(svg)])
    assert result.exit_code == 0, result.output
    open_svg(svg.read_bytes())
    result = runner.invoke(app, ["plot", "mbv3_small", "-o", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2 and "must end in .png or .svg" in result.output


def test_plot_format() -> None:
    assert plot_format("a/b.PNG") == "png" and plot_format("x.svg") == "svg"
    with pytest.raises(CostModelError):
        plot_format("x.pdf")


def test_missing_matplotlib_is_a_clear_error(sd855: HardwareProfile, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(CostModelError) as info:
        roofline_plot([run("mbv3_small", sd855)], sd855, "png")
    assert info.value.code is ErrorCode.OPTION and "pip install" in info.value.message
