"""Helpers the op families share to lower ops to ONNX (opset 17, float32, the batch in the shapes).

The lowerings only call methods of an `OnnxBuilder` (costmodel/measure/onnx_export.py): nothing
here or in the families imports onnx or numpy, so the package runs without them.
"""

from __future__ import annotations

from typing import Any

from costmodel.ops.registry import LoweredNode, OnnxBuilder, OnnxLowering, Shape
from costmodel.ops.shapes import padding_totals


def simple(op_type: str, **attrs: Any) -> OnnxLowering:
    """The lowering of an op that is one ONNX op of the same inputs (`attrs`: its attributes)."""

    def lower(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
        ex.add(op_type, list(node.inputs), node.name, node.name, **attrs)

    return lower


def onnx_pads(node: LoweredNode, in_shape: Shape, dilation: tuple[int, int]) -> list[int]:
    """ONNX pads [h_begin, w_begin, h_end, w_end]; TF SAME puts the odd pixel at the end."""
    begins, ends = [], []
    for axis in range(2):
        total = padding_totals(
            in_shape[1 + axis],
            node.attrs["kernel"][axis],
            node.attrs["stride"][axis],
            dilation[axis],
            node.attrs["padding"][axis],
        )
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends
