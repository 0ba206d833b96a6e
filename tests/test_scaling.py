"""The depth multiplier and EfficientNet compound scaling, against torchvision's B1-B4."""

from __future__ import annotations

import math

import pytest
from conftest import parse, run, spec_text

from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.design.scaling import ALPHA, BETA, EFFICIENTNET_VARIANTS, GAMMA, compound
from costmodel.errors import CostModelError
from costmodel.graph.build import build_graph
from costmodel.graph.multipliers import depth_scaled

# ../shared/data/reference_counts.csv: torchvision 0.29.1 efficientnet_b1..b4 at their input sizes.
TORCHVISION_B = {
    "b1": (240, 7_794_184, 686_802_832),
    "b2": (260, 9_109_994, 993_561_872),
    "b3": (300, 12_233_232, 1_827_141_392),
    "b4": (380, 19_341_616, 4_393_771_024),
}


@pytest.mark.parametrize("variant", sorted(TORCHVISION_B))
def test_scaled_b0_is_torchvision_b1_to_b4(sd855, variant: str) -> None:
    resolution, params, macs = TORCHVISION_B[variant]
    scaling = EFFICIENTNET_VARIANTS[variant]
    assert scaling.resolution == resolution
    result = run("efficientnet_b0", sd855, width=scaling.width, depth=scaling.depth, resolution=resolution)
    assert (result.total.params, result.total.macs) == (params, macs)


def test_depth_rounds_repeats_up_as_efficientnet() -> None:
    # torchvision adjust_depth: int(math.ceil(num_layers * depth_mult)), in floating point.
    assert depth_scaled(2, 1.1) == 3  # 2.2000000000000002
    assert depth_scaled(1, 1.1) == 2
    assert depth_scaled(4, 1.8) == 8  # 7.2
    assert depth_scaled(3, 0.5) == 2  # 1.5
    assert depth_scaled(1, 0.1) == 1
    assert depth_scaled(5, 1.0) == 5


def test_depth_scales_block_uses_not_single_ops() -> None:
    spec = parse(
        spec_text(
            """
  stem:
    - {name: conv, op: conv2d, out: 8, kernel: 3}
  body:
    - {name: b, block: mbconv, expand_ratio: 1, out: 8, repeat: 2}
    - {name: k, block: mbconv, expand_ratio: 1, out: 8, fixed: true}
""",
            header="imports: [mobilenet]\n",
        )
    )
    names = {n.block for n in build_graph(spec, AnalysisOptions(depth=1.5).build).nodes}
    # ceil(2 x 1.5) = 3 copies of b; the stem conv and the fixed use keep one.
    assert {"body.b.1", "body.b.2", "body.b.3", "body.k", "stem.conv"} <= names
    assert "body.b.4" not in names and "body.k.2" not in names and "stem.conv.2" not in names


def test_depth_out_of_range_is_an_option_error(sd855) -> None:
    with pytest.raises(CostModelError, match="depth must be"):
        analyze(parse(spec_text(MINIMAL)), sd855, AnalysisOptions(depth=0.0))


MINIMAL = """
  s:
    - {name: conv, op: conv2d, out: 8, kernel: 3}
"""


def test_compound_scaling_is_eq3() -> None:
    scaled = compound(2.0)
    assert scaled.depth == pytest.approx(1.2**2) and scaled.width == pytest.approx(1.1**2)
    assert scaled.resolution == round(224 * 1.15**2)
    # alpha x beta^2 x gamma^2 ~ 2: each step of phi about doubles the FLOPs (Section 3.3).
    assert abs(ALPHA * BETA**2 * GAMMA**2 - 1.92) < 0.01
    assert math.isclose(compound(0).width, 1.0)
