"""Mappings of the ONNX ops without weights: activations, Add/Mul, Concat/Split/Slice, global
pooling and the views (Flatten, Reshape, Squeeze, Transpose, Dropout, Identity).

A view maps onto costmodel's only when it is one costmodel has (a flatten to [N, features], or no
change at all); other reshapes and transposes belong to ops costmodel does not model yet and are
reported as unsupported.
"""

from __future__ import annotations

import math
from typing import Any

from costmodel.onnx.context import Context, Mapped, Mapper, Result, Unsupported, attr


def _one(op: str, **attrs: Any) -> Mapper:
    """The mapping of an ONNX op that is one costmodel op of its first input."""

    def run(ctx: Context, node: Any) -> Result:
        return [Mapped(op, dict(attrs), (node.input[0],), node.output[0], (node,), node)]

    return run


def _clip_bounds(ctx: Context, node: Any) -> tuple[float | None, float | None]:
    if len(node.input) > 1:  # opset 11 on: bounds are inputs
        low = ctx.scalar(node.input[1]) if len(node.input) > 1 and node.input[1] else None
        high = ctx.scalar(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        return low, high
    return attr(node, "min"), attr(node, "max")


def map_clip(ctx: Context, node: Any) -> Result:
    """Clip(0, 6) -> relu6 (how PyTorch exports ReLU6); Clip(0, none) -> relu."""
    low, high = _clip_bounds(ctx, node)
    if low == 0 and high == 6:
        return _one("relu6")(ctx, node)
    if low == 0 and (high is None or math.isinf(high)):
        return _one("relu")(ctx, node)
    return Unsupported("Clip", f"bounds ({low}, {high}) other than (0, 6)")


def map_add(ctx: Context, node: Any) -> Result:
    """Add / Sum of same-shape activations -> add (a residual)."""
    data = ctx.data_inputs(node)
    if len(data) != len(node.input):
        return Unsupported(node.op_type, "with a constant operand")
    shapes = {ctx.shape(name) for name in data}
    if len(shapes) != 1 or None in shapes:
        return Unsupported(node.op_type, "broadcasting between activations")
    return [Mapped("add", {}, data, node.output[0], (node,), node)]


def map_mul(ctx: Context, node: Any) -> Result:
    """Mul of two activations of one rank (broadcasting, e.g. squeeze-and-excitation) -> mul."""
    data = ctx.data_inputs(node)
    if len(data) != 2:
        return Unsupported("Mul", "by a constant")
    a, b = ctx.shape(data[0]), ctx.shape(data[1])
    if (
        a is None
        or b is None
        or len(a) != len(b)
        or any(x != y and 1 not in (x, y) for x, y in zip(a, b, strict=True))
    ):
        return Unsupported("Mul", "broadcasting between ranks")
    return [Mapped("mul", {}, data, node.output[0], (node,), node)]


def _channel_axis(ctx: Context, node: Any, axis: int) -> bool:
    dims = ctx.dims(node.input[0])
    return dims is not None and len(dims) in (2, 4) and axis % len(dims) == 1


def map_concat(ctx: Context, node: Any) -> Result:
    """Concat along channels (or features) of activations -> concat."""
    data = ctx.data_inputs(node)
    if len(data) != len(node.input) or not _channel_axis(ctx, node, int(attr(node, "axis", 0))):
        return Unsupported("Concat", "not along the channel axis of activations")
    return [Mapped("concat", {}, data, node.output[0], (node,), node)]


def map_split(ctx: Context, node: Any) -> Result:
    """Split along channels -> one channel slice per output (ShuffleNet V2's channel split)."""
    if not _channel_axis(ctx, node, int(attr(node, "axis", 0))):
        return Unsupported("Split", "not along the channel axis")
    mapped, start = [], 0
    for index, output in enumerate(node.output):
        shape = ctx.shape(output)
        if shape is None:
            return Unsupported("Split", "outputs of unknown shape")
        stop = start + shape[0]
        if output:
            attrs = {"start": start, "stop": stop}
            mapped.append(Mapped("slice", attrs, (node.input[0],), output, (node,), node, f"_{index}"))
        start = stop
    return mapped


def map_slice(ctx: Context, node: Any) -> Result:
    """Slice of a channel range with step 1 -> slice (the full range -> identity)."""
    shape = ctx.shape(node.input[0])
    starts, ends = ctx.ints(node.input[1]), ctx.ints(node.input[2])
    axes = ctx.ints(node.input[3]) if len(node.input) > 3 and node.input[3] else [0] if starts else None
    steps = ctx.ints(node.input[4]) if len(node.input) > 4 and node.input[4] else [1]
    if shape is None or starts is None or ends is None or axes is None or steps is None:
        return Unsupported("Slice", "computed bounds")
    rank = len(shape) + 1
    if len(starts) != 1 or axes[0] % rank != 1 or steps != [1]:
        return Unsupported("Slice", "not a channel range with step 1")
    channels = shape[0]
    start, stop = (max(0, min(v + channels if v < 0 else v, channels)) for v in (starts[0], ends[0]))
    if (start, stop) == (0, channels):
        return _one("identity")(ctx, node)
    return [Mapped("slice", {"start": start, "stop": stop}, (node.input[0],), node.output[0], (node,), node)]


def map_view(ctx: Context, node: Any) -> Result:
    """Flatten / Reshape / Squeeze / Unsqueeze / Transpose: a flatten to [N, features] or no change
    at all are costmodel views; anything else is not modelled yet."""
    before, after = ctx.shape(node.input[0]), ctx.shape(node.output[0])
    if before is None or after is None:
        return Unsupported(node.op_type, "shapes unknown after shape inference")
    if node.op_type == "Transpose":
        perm = list(attr(node, "perm", []))
        if perm == sorted(perm) and perm:
            return _one("identity")(ctx, node)
        return Unsupported("Transpose", f"perm {perm}")
    if after == before:
        return _one("identity")(ctx, node)
    if len(after) == 1 and math.prod(before) == after[0]:
        return _one("flatten")(ctx, node)
    return Unsupported(node.op_type, f"to shape {list(after)} (not a flatten)")


def map_dropout(ctx: Context, node: Any) -> Result:
    return _one("dropout", p=0.5)(ctx, node)


def map_pending(ctx: Context, node: Any) -> Result:
    """Ops in the issue's list whose costmodel op does not exist yet (transformer ops, resizing)."""
    return Unsupported(node.op_type, "no costmodel op for it yet")


def map_outside_pattern(ctx: Context, node: Any) -> Result:
    """Sub, Div, Erf: costmodel counts them only inside the patterns they form (GELU, hardswish)."""
    return Unsupported(node.op_type, "outside a recognised activation pattern")


MAPPERS: dict[str, Mapper] = {
    "Relu": _one("relu"),
    "Clip": map_clip,
    "HardSigmoid": _one("hardsigmoid"),
    "HardSwish": _one("hardswish"),
    "Sigmoid": _one("sigmoid"),
    "Tanh": _one("tanh"),
    "Gelu": _one("gelu"),
    "Add": map_add,
    "Sum": map_add,
    "Mul": map_mul,
    "Concat": map_concat,
    "Split": map_split,
    "Slice": map_slice,
    "GlobalAveragePool": _one("global_avgpool"),
    "Flatten": map_view,
    "Reshape": map_view,
    "Squeeze": map_view,
    "Unsqueeze": map_view,
    "Transpose": map_view,
    "Dropout": map_dropout,
    "Identity": _one("identity"),
    "Softmax": map_pending,
    "LayerNormalization": map_pending,
    "Resize": map_pending,
    "Pad": map_pending,
    "Sub": map_outside_pattern,
    "Div": map_outside_pattern,
    "Erf": map_outside_pattern,
}
