"""Mappings of the ONNX ops with weights or windows: Conv, Gemm, MatMul, BatchNormalization and the
pooling ops.

Padding: costmodel's conv and pooling take the same padding on both sides of an axis (or TF SAME,
or valid). ONNX pads may differ at the two ends; the costs depend only on the output size and the
kernel, so an axis takes the first of (begin, end, SAME) that gives ONNX's own output size. The
result is checked against onnx's shape inference, so a pad no symmetric rule reproduces is
reported, never guessed.
"""

from __future__ import annotations

from typing import Any

from costmodel.onnx.context import Context, Mapped, Result, Unsupported, attr
from costmodel.ops.registry import ShapeError
from costmodel.ops.shapes import conv_out_size, padding_totals


def _axis_padding(
    size: int, want: int | None, kernel: int, stride: int, dilation: int, ends: tuple[int, int], ceil: bool
) -> int | str | None:
    begin, end = ends
    candidates: list[int | str] = [begin] if begin == end else [begin, end, "same"]
    if want is None:
        return begin if begin == end else None
    for candidate in candidates:
        total = padding_totals(size, kernel, stride, dilation, candidate)
        try:
            if conv_out_size(size, kernel, stride, total, dilation, ceil) == want:
                return candidate
        except ShapeError:
            continue
    return None


def spatial_padding(
    ctx: Context, node: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[Any, Any] | Unsupported:
    """costmodel's padding pair for a Conv or pooling node, or why there is none."""
    auto = attr(node, "auto_pad", "NOTSET")
    if auto == "VALID":
        return ("valid", "valid")
    if auto in ("SAME_UPPER", "SAME_LOWER"):  # the total is TF SAME's; the costs do not see the split
        return ("same", "same")
    pads = list(attr(node, "pads", [0, 0, 0, 0]))
    in_shape, out_shape = ctx.shape(node.input[0]), ctx.shape(node.output[0])
    if in_shape is None or len(in_shape) != 3 or len(pads) != 4:
        return Unsupported(node.op_type, "not a 2-D [N, C, H, W] input")
    ceil = bool(attr(node, "ceil_mode", 0))
    chosen = []
    for axis in range(2):
        want = out_shape[1 + axis] if out_shape is not None and len(out_shape) == 3 else None
        padding = _axis_padding(
            in_shape[1 + axis],
            want,
            kernel[axis],
            stride[axis],
            dilation[axis],
            (pads[axis], pads[2 + axis]),
            ceil,
        )
        if padding is None:
            return Unsupported(node.op_type, f"pads {pads} that no symmetric padding reproduces")
        chosen.append(padding)
    return (chosen[0], chosen[1])


def _pair(values: Any, default: tuple[int, int]) -> tuple[int, int]:
    if values is None:
        return default
    values = list(values)
    return (int(values[0]), int(values[1])) if len(values) == 2 else default


def map_conv(ctx: Context, node: Any) -> Result:
    """Conv (2-D, constant weights) -> conv2d, groups, strides, dilations and pads kept."""
    if len(node.input) < 2 or not ctx.is_constant(node.input[1]):
        return Unsupported("Conv", "weights computed in the graph")
    weight = ctx.dims(node.input[1])
    if weight is None or len(weight) != 4:
        return Unsupported("Conv", "not a 2-D convolution")
    kernel = (weight[2], weight[3])
    stride = _pair(attr(node, "strides"), (1, 1))
    dilation = _pair(attr(node, "dilations"), (1, 1))
    padding = spatial_padding(ctx, node, kernel, stride, dilation)
    if isinstance(padding, Unsupported):
        return padding
    attrs = {
        "out": weight[0],
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": int(attr(node, "group", 1)),
        "bias": len(node.input) > 2 and node.input[2] != "",
    }
    return [Mapped("conv2d", attrs, (node.input[0],), node.output[0], (node,), node)]


def map_pool(ctx: Context, node: Any) -> Result:
    """MaxPool / AveragePool (2-D, no dilation, no indices output) -> maxpool / avgpool."""
    kernel_shape = list(attr(node, "kernel_shape", []))
    dilations = list(attr(node, "dilations", [1, 1]))
    if len(kernel_shape) != 2 or any(d != 1 for d in dilations):
        return Unsupported(node.op_type, "not a 2-D window without dilation")
    if len([o for o in node.output if o]) > 1:
        return Unsupported(node.op_type, "with an indices output")
    kernel = (int(kernel_shape[0]), int(kernel_shape[1]))
    stride = _pair(attr(node, "strides"), (1, 1))
    padding = spatial_padding(ctx, node, kernel, stride, (1, 1))
    if isinstance(padding, Unsupported):
        return padding
    op = "maxpool" if node.op_type == "MaxPool" else "avgpool"
    attrs = {
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": bool(attr(node, "ceil_mode", 0)),
    }
    return [Mapped(op, attrs, (node.input[0],), node.output[0], (node,), node)]


def map_gemm(ctx: Context, node: Any) -> Result:
    """Gemm(A, B, C) with A the activations [N, K] and B constant -> linear (transB as PyTorch)."""
    if attr(node, "transA", 0):
        return Unsupported("Gemm", "transA=1 (the batch is not the first axis)")
    if not ctx.is_constant(node.input[1]) or ctx.is_constant(node.input[0]):
        return Unsupported("Gemm", "both operands computed in the graph")
    weight = ctx.dims(node.input[1])
    if weight is None or len(weight) != 2:
        return Unsupported("Gemm", "B of unknown shape")
    out = weight[0] if attr(node, "transB", 0) else weight[1]
    bias = len(node.input) > 2 and node.input[2] != ""
    return [Mapped("linear", {"out": out, "bias": bias}, (node.input[0],), node.output[0], (node,), node)]


def _bias_add(ctx: Context, tensor: str, out: int) -> Any | None:
    """The Add of a constant [out] bias that torch.onnx writes after a MatMul, if there is one."""
    add = ctx.next_op(tensor, "Add")
    if add is None:
        return None
    others = [name for name in add.input if name != tensor]
    if len(others) != 1 or not ctx.is_constant(others[0]):
        return None
    dims = ctx.dims(others[0])
    return add if dims is not None and dims[-1:] == (out,) and all(d == 1 for d in dims[:-1]) else None


def map_matmul(ctx: Context, node: Any) -> Result:
    """MatMul of [N, K] activations by a constant [K, M] weight -> linear (with the bias Add that
    follows, when there is one)."""
    x, w = node.input[0], node.input[1]
    if ctx.is_constant(x) or not ctx.is_constant(w):
        return Unsupported("MatMul", "both operands computed in the graph (attention)")
    weight, shape = ctx.dims(w), ctx.shape(x)
    if weight is None or len(weight) != 2:
        return Unsupported("MatMul", "a weight that is not a matrix")
    if shape is None or len(shape) != 1:
        return Unsupported("MatMul", "an input of rank > 2 (per-token linear layers)")
    add = _bias_add(ctx, node.output[0], weight[1])
    if add is None:
        return [Mapped("linear", {"out": weight[1], "bias": False}, (x,), node.output[0], (node,), node)]
    return [Mapped("linear", {"out": weight[1], "bias": True}, (x,), add.output[0], (node, add), node)]


def map_batchnorm(ctx: Context, node: Any) -> Result:
    """BatchNormalization (inference) -> batchnorm: gamma and beta are its params."""
    return [Mapped("batchnorm", {}, (node.input[0],), node.output[0], (node,), node)]
