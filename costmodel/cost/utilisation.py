"""The share of its op class's efficiency a kernel reaches, from the work it has to spread.

A profile's efficiencies say how close to peak a *large* kernel of each op class runs. Small
feature maps, thin layers and small batches reach less (issue 14): there is not enough work to
fill every core or SM, the last wave of tiles runs part-empty, loop edges and halos weigh more on
a 7x7 map than on a 112x112 one, and short dot products do not amortise their set-up. Three
factors, each 1 when the profile leaves it out (`utilisation:` in hardware/*.yaml):

    waves    tiles / (ceil(tiles / units) * units)       tiles of the output dealt to units
             (GPU wave quantisation; on one CPU thread it is always 1)
    spatial  H W / ((H + halo) (W + halo))               per-row and per-column overhead
    reduce   K / (K + K_half)                            K = MACs per output element
    align    C / (ceil(C / a) * a)                       output channels padded to the matrix
             unit's multiple a for the node's precision (GEMM-like classes only)

utilisation = waves * spatial * reduce * align; a node's compute time is divided by it. Pure functions
of the node's counts and the profile.
"""

from __future__ import annotations

import math

from costmodel.cost.counting import NodeCount
from costmodel.hw.profile import UtilisationSpec

# Op classes whose (C, H, W) outputs are spatial maps (a linear layer's (C,) is not)
SPATIAL_CLASSES = frozenset({"conv", "pointwise", "depthwise", "grouped", "pool", "elementwise"})


def wave_factor(count: NodeCount, spec: UtilisationSpec) -> float:
    """Share of the units busy on average over the waves of tiles (1 without a tile for the class)."""
    units = spec.parallel_units
    if units == 1:
        return 1.0
    shape = count.shape
    channels = shape[0] if len(shape) == 3 else (shape[-1] if shape else 1)
    outputs = math.prod(shape) * count.batch
    gemm = spec.gemm_tile.get(count.op_class)
    if gemm is not None:
        rows = outputs // max(channels, 1)
        tiles = math.ceil(rows / gemm[0]) * math.ceil(channels / gemm[-1])
    elif count.op_class in spec.flat_tile:
        tiles = math.ceil(outputs / spec.flat_tile[count.op_class])
    else:
        return 1.0
    waves = math.ceil(tiles / units)
    return tiles / (waves * units)


def spatial_factor(count: NodeCount, halo: float) -> float:
    """HW / ((H + halo)(W + halo)) for spatial outputs; 1 otherwise."""
    shape = count.shape
    if not halo or len(shape) != 3 or count.op_class not in SPATIAL_CLASSES:
        return 1.0
    h, w = shape[1], shape[2]
    return (h * w) / ((h + halo) * (w + halo))


def reduction_factor(count: NodeCount, half: float) -> float:
    """K / (K + K_half), K the MACs per output element; 1 for nodes without MACs."""
    if not half or not count.macs:
        return 1.0
    outputs = math.prod(count.shape) * count.batch
    k = count.macs / max(outputs, 1)
    return k / (k + half)


GEMM_CLASSES = frozenset({"conv", "pointwise", "grouped", "linear"})


def align_factor(count: NodeCount, spec: UtilisationSpec) -> float:
    """C / (ceil(C / a) * a) for the output channels C of a GEMM-like node (1 otherwise)."""
    multiple = spec.channel_align.get(count.compute)
    if not multiple or count.op_class not in GEMM_CLASSES or not count.shape:
        return 1.0
    channels = count.shape[0] if len(count.shape) == 3 else count.shape[-1]
    return channels / (math.ceil(channels / multiple) * multiple)


def fixed_factor(count: NodeCount, spec: UtilisationSpec) -> float:
    """The factors the profile fixes (waves and alignment); calibration fits the others."""
    return wave_factor(count, spec) * align_factor(count, spec)


def utilisation(count: NodeCount, spec: UtilisationSpec | None) -> float:
    """The product of the three factors (module docstring); 1 when the profile has none."""
    if spec is None or count.is_view:
        return 1.0
    return (
        fixed_factor(count, spec)
        * spatial_factor(count, spec.spatial_halo)
        * reduction_factor(count, spec.reduction_half)
    )
