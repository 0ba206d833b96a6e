"""Pooling: windowed max/average, global and adaptive average."""

from __future__ import annotations

import math
from typing import Any

from costmodel.errors import CostModelError, ErrorCode
from costmodel.names import OpClass
from costmodel.ops.lowering import onnx_pads, simple
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OnnxLowering,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    fixed_class,
    register,
    require_rank,
    stride_on_first_copy,
)
from costmodel.ops.shapes import spatial_out


def _pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "pooling")
    for pad, kernel in zip(attrs["padding"], attrs["kernel"], strict=True):
        # PyTorch refuses it ("pad should be at most half of effective kernel size"): a window
        # would cover nothing but padding
        if isinstance(pad, int) and 2 * pad > kernel:
            raise ShapeError(f"pooling padding {pad} is more than half the kernel {kernel}")
    return (shape[0], *spatial_out(shape, attrs, ceil_mode=attrs["ceil_mode"]))


def _pool_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    kh, kw = attrs["kernel"]
    return OpCost(ops=math.prod(out) * kh * kw)  # one compare or add per window element


def _ceil_mode_pads(node: LoweredNode, in_shape: Shape, pads: list[int]) -> list[int]:
    """Pads for which ONNX's ceil-mode size rule gives costmodel's (PyTorch's) output size.

    PyTorch drops a last window that would start in the end padding; onnxruntime does too, but
    the ONNX spec only says so from opset 22 (before it, shape inference counts that window).
    Trimming the end padding by less than a stride removes just that window: ceil mode lets the
    last window run past the input anyway, so the windows stay the same (an average pool that
    counts padding may divide its last window by less).
    """
    pads = list(pads)
    for axis in range(2):
        size, kernel = in_shape[1 + axis], node.attrs["kernel"][axis]
        stride, want = node.attrs["stride"][axis], node.shape[1 + axis]
        while -(-(size + pads[axis] + pads[2 + axis] - kernel) // stride) + 1 > want and pads[2 + axis] > 0:
            pads[2 + axis] -= 1
    return pads


def _pool_onnx(op_type: str) -> OnnxLowering:
    """MaxPool / AveragePool with pads and ceil_mode (an average pool counts the padding as PyTorch
    does, except with TF SAME padding, which TF excludes)."""

    def lower(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
        attrs = node.attrs
        pads = onnx_pads(node, ins[0], (1, 1))
        if attrs["ceil_mode"]:
            pads = _ceil_mode_pads(node, ins[0], pads)
        extra = {}
        if op_type == "AveragePool":  # PyTorch counts the zero padding; TF SAME does not
            extra["count_include_pad"] = 0 if "same" in attrs["padding"] else 1
        ex.add(
            op_type,
            [node.inputs[0]],
            node.name,
            node.name,
            kernel_shape=list(attrs["kernel"]),
            strides=list(attrs["stride"]),
            pads=pads,
            ceil_mode=int(attrs["ceil_mode"]),
            **extra,
        )

    return lower


def _finalize_pool_attrs(attrs: dict[str, Any], first_copy: bool, norm: str | None) -> dict[str, Any]:
    attrs = dict(attrs)
    stride_on_first_copy(attrs, first_copy)
    if attrs["stride"] is None:
        attrs["stride"] = attrs["kernel"]  # PyTorch's default: windows that do not overlap
    return attrs


_POOL_ATTRS = {
    "kernel": AttrSpec("pair", required=True),
    "stride": AttrSpec("pair", None),  # None: equal to the kernel, as in PyTorch
    "padding": AttrSpec("padding", (0, 0)),
    "ceil_mode": AttrSpec("bool", False),
}

_POOL_CLASS = fixed_class(OpClass.POOL)
register(
    OpType(
        "maxpool",
        "max pooling",
        _pool_shape,
        _pool_cost,
        _POOL_CLASS,
        _POOL_ATTRS,
        finalize_attrs=_finalize_pool_attrs,
        onnx=_pool_onnx("MaxPool"),
    )
)
register(
    OpType(
        "avgpool",
        "average pooling",
        _pool_shape,
        _pool_cost,
        _POOL_CLASS,
        _POOL_ATTRS,
        finalize_attrs=_finalize_pool_attrs,
        onnx=_pool_onnx("AveragePool"),
    )
)


def _global_pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    require_rank(inputs[0], 3, "global_avgpool")
    return (inputs[0][0], 1, 1)


def _global_pool_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=math.prod(inputs[0]))  # one add per input element


register(
    OpType(
        "global_avgpool",
        "global average pooling to [C, 1, 1]",
        _global_pool_shape,
        _global_pool_cost,
        _POOL_CLASS,
        onnx=simple("GlobalAveragePool"),
    )
)


def _adaptive_pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    require_rank(inputs[0], 3, "adaptive_avgpool")
    return (inputs[0][0], *attrs["size"])


def _adaptive_avgpool_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """AveragePool with kernel = stride = input / output (only when that divides)."""
    (_, height, width), (out_h, out_w) = ins[0], node.attrs["size"]
    if height % out_h or width % out_w:
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH,
            f"ONNX export of adaptive_avgpool needs the input size {height}x{width} "
            f"to be a multiple of the output size {out_h}x{out_w} (uneven windows "
            "have no ONNX equivalent)",
            pos=node.pos,
            node=node.name,
        )
    kernel = [height // out_h, width // out_w]
    ex.add("AveragePool", [node.inputs[0]], node.name, node.name, kernel_shape=kernel, strides=kernel)


register(
    OpType(
        "adaptive_avgpool",
        "adaptive average pooling to a fixed [h, w]",
        _adaptive_pool_shape,
        _global_pool_cost,
        _POOL_CLASS,
        {"size": AttrSpec("pair", required=True)},
        onnx=_adaptive_avgpool_onnx,
    )
)
