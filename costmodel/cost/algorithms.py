"""What a runtime does to the counts: its convolution algorithms (Winograd for dense 3x3 stride-1
convolutions) and its arithmetic precision, and the assumptions that say so.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016: F(m x m, 3 x 3)
computes an m x m output tile from an alpha x alpha input tile, alpha = m + 2, with alpha^2
multiplies per (input channel, output channel) pair instead of the direct 9 m^2 (F(2x2,3x3): 16
instead of 36, 2.25x; F(4x4,3x3): 36 instead of 144, 4x). Around the multiplies (a batched GEMM
in transform space) each tile is transformed:

    input transform  B^T d B:  beta per tile and input channel   (F(2x2,3x3): 32 additions;
                                                                  F(4x4,3x3): 13 x (6 + 6) = 156)
    output transform A^T M A:  delta per tile and output channel (F(2x2,3x3): 24 additions;
                                                                  F(4x4,3x3): 10 x (4 + 6) = 100)
    filter transform G g G^T:  once per weight, when the model is loaded: not counted per inference

(section 4 of the paper; the same numbers normalised are its Table 1's beta' and delta'.)

What this changes in a node's counts: MACs stay the direct convolution's (the count convention
does not change), and the multiply saving becomes a compute speed-up `mac_speedup` (direct MACs
over tiles x alpha^2 x C_in x C_out, so partial edge tiles count whole; multiplied with a 2:4
sparsity speed-up); the transforms' arithmetic is added to the node's elementwise `ops`. A layer
whose tiles would need more multiplies than the direct count (a map smaller than a tile) keeps GEMM,
as a runtime choosing the faster algorithm would.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from costmodel.cost.counting import NodeCount
from costmodel.cost.precision import PrecisionPlan
from costmodel.graph.build import Graph
from costmodel.hw.profile import HardwareProfile
from costmodel.hw.runtime import ConvAlgorithms, Fusion, Runtime

# Per output-tile size m: (input transform ops per tile and input channel, output transform ops
# per tile and output channel), Lavin & Gray 2016, section 4.
TRANSFORM_OPS = {2: (32, 24), 4: (156, 100)}
KERNEL = 3  # r of F(m x m, r x r): the algorithms here are for 3x3 filters


@dataclasses.dataclass(frozen=True)
class WinogradCost:
    """A Winograd convolution's multiplies and transform arithmetic, batch included."""

    tiles: int
    multiplies: int
    transform_ops: int


def winograd_cost(m: int, batch: int, c_in: int, c_out: int, height: int, width: int) -> WinogradCost:
    """F(m x m, 3 x 3) over an output map of height x width: tiles, multiplies, transform ops."""
    alpha = m + KERNEL - 1
    tiles = batch * math.ceil(height / m) * math.ceil(width / m)
    beta, delta = TRANSFORM_OPS[m]
    return WinogradCost(tiles, tiles * alpha * alpha * c_in * c_out, tiles * (c_in * beta + c_out * delta))


def apply_conv_algorithms(
    counts: list[NodeCount], graph: Graph, algorithms: ConvAlgorithms, batch: int
) -> tuple[list[NodeCount], int]:
    """`counts` with the runtime's algorithm for each dense 3x3 stride-1 convolution, and how
    many run Winograd; the same list when the runtime uses GEMM for them."""
    m = algorithms.dense_3x3_stride1.output_tile
    if not m:
        return counts, 0
    nodes = {node.name: node for node in graph.nodes if node.op.name == "conv2d"}
    shapes = {node.name: node.shape for node in graph.nodes}
    out: list[NodeCount] = []
    winograd = 0
    for count in counts:
        node = nodes.get(count.name)
        if node is None or not _eligible(node.attrs, shapes[node.inputs[0]][0], count.shape[0], algorithms):
            out.append(count)
            continue
        cost = winograd_cost(m, batch, shapes[node.inputs[0]][0], count.shape[0], *count.shape[1:3])
        if cost.multiplies >= count.macs:
            out.append(count)  # tiles larger than the map: the direct algorithm is cheaper
            continue
        winograd += 1
        out.append(
            dataclasses.replace(
                count,
                ops=count.ops + cost.transform_ops,
                mac_speedup=count.mac_speedup * count.macs / cost.multiplies,
            )
        )
    return out, winograd


def _eligible(attrs: dict[str, Any], c_in: int, c_out: int, algorithms: ConvAlgorithms) -> bool:
    return (
        attrs["groups"] == 1
        and tuple(attrs["kernel"]) == (KERNEL, KERNEL)
        and tuple(attrs["stride"]) == (1, 1)
        and tuple(attrs["dilation"]) == (1, 1)
        and min(c_in, c_out) >= algorithms.winograd_min_channels
    )


def arithmetic_of(runtime: Runtime | None, hw: HardwareProfile) -> tuple[tuple[str, str], ...]:
    """The runtime's precision substitutions the unit can run (fp32 -> fp16 where it has fp16)."""
    if runtime is None:
        return ()
    return tuple((source, to) for source, to in runtime.arithmetic.items() if to in hw.precisions)


def runtime_notes(runtime: Runtime | None, precisions: PrecisionPlan, winograd: int) -> tuple[str, ...]:
    """The assumptions a runtime adds: only what it changes (none for GEMM, fused, as declared)."""
    if runtime is None:
        return ()
    notes: list[str] = []
    if runtime.fusion == Fusion.NONE:
        notes.append(f"fusion: {runtime.name} runs one kernel per op (nothing fuses)")
    if precisions.arithmetic and not precisions.activation:
        for source, to in precisions.arithmetic:
            notes.append(
                f"precision: {runtime.name} computes {source} layers in {to} arithmetic (activations "
                f"{to}; weights read as stored)"
            )
    if winograd:
        m = runtime.conv.dense_3x3_stride1.output_tile
        notes.append(
            f"convolutions: {winograd} dense 3x3 stride-1 conv(s) run Winograd F({m}x{m},3x3) under "
            f"{runtime.name} (Lavin & Gray, CVPR 2016): MACs are the direct convolution's, time and "
            f"energy those of the {(m + 2) ** 2}/{9 * m * m} multiplies per output tile, input and "
            "output transforms added to ops"
        )
    return tuple(notes)
