"""EfficientNet compound scaling (Tan & Le, ICML 2019, Section 3.3, Eq. 3).

depth d = alpha^phi, width w = beta^phi, resolution r = gamma^phi, with alpha = 1.2, beta = 1.1,
gamma = 1.15 found by a grid search on B0 (alpha x beta^2 x gamma^2 ~ 2, so each step of phi about
doubles the FLOPs). The released B1-B7 do not follow the formula exactly: their coefficients were
rounded by hand, so `EFFICIENTNET_VARIANTS` holds the published ones (the reference TF code's
`efficientnet_params` and torchvision's `efficientnet_b1`..`b7`, which agree).
"""

from __future__ import annotations

from typing import NamedTuple

from costmodel.cost.options import AnalysisOptions

ALPHA, BETA, GAMMA = 1.2, 1.1, 1.15  # Tan & Le 2019, Section 3.3


class Scaling(NamedTuple):
    """Width and depth multipliers and the input resolution of one scaled model."""

    width: float
    depth: float
    resolution: int

    def options(self, base: AnalysisOptions = AnalysisOptions()) -> AnalysisOptions:
        """`base` with this scaling's width, depth and resolution."""
        from dataclasses import replace

        return replace(base, width=self.width, depth=self.depth, resolution=self.resolution)


# (width_mult, depth_mult, resolution): torchvision efficientnet.py (`efficientnet_b1` ... builds
# `_efficientnet_conf(width_mult=..., depth_mult=...)`) and the TF reference `efficientnet_params`.
EFFICIENTNET_VARIANTS: dict[str, Scaling] = {
    "b0": Scaling(1.0, 1.0, 224),
    "b1": Scaling(1.0, 1.1, 240),
    "b2": Scaling(1.1, 1.2, 260),
    "b3": Scaling(1.2, 1.4, 300),
    "b4": Scaling(1.4, 1.8, 380),
    "b5": Scaling(1.6, 2.2, 456),
    "b6": Scaling(1.8, 2.6, 528),
    "b7": Scaling(2.0, 3.1, 600),
}


def compound(
    phi: float, base_resolution: int = 224, *, alpha: float = ALPHA, beta: float = BETA, gamma: float = GAMMA
) -> Scaling:
    """The compound-scaled multipliers for coefficient `phi` (Eq. 3): depth alpha^phi, width
    beta^phi, resolution round(base_resolution x gamma^phi)."""
    return Scaling(width=beta**phi, depth=alpha**phi, resolution=round(base_resolution * gamma**phi))
