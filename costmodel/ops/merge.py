"""Ops that merge or split branches: add, mul, concat, channel shuffle and channel slice."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.lowering import simple
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    fixed_class,
    no_cost,
    register,
)


def _add_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    first = inputs[0]
    for other in inputs[1:]:
        if other != first:
            raise ShapeError(
                f"add needs inputs of one shape, got {' and '.join(str(list(s)) for s in inputs)}"
            )
    return first


def _add_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=(len(inputs) - 1) * math.prod(out))


def _add_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Add, or Sum for more than two inputs."""
    ex.add("Add" if len(node.inputs) == 2 else "Sum", list(node.inputs), node.name, node.name)


register(
    OpType(
        "add",
        "elementwise sum of same-shape inputs (residual)",
        _add_shape,
        _add_cost,
        fixed_class(OpClass.ELEMENTWISE),
        min_inputs=2,
        max_inputs=64,
        onnx=_add_onnx,
    )
)


def _broadcast(a: Shape, b: Shape) -> Shape:
    if len(a) != len(b):
        raise ShapeError(f"mul cannot broadcast {list(a)} with {list(b)} (different ranks)")
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"mul cannot broadcast {list(a)} with {list(b)}")
        out.append(max(x, y))
    return tuple(out)


def _mul_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return _broadcast(inputs[0], inputs[1])


def _mul_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=math.prod(out))


register(
    OpType(
        "mul",
        "elementwise product with broadcasting (squeeze-and-excitation scale)",
        _mul_shape,
        _mul_cost,
        fixed_class(OpClass.ELEMENTWISE),
        min_inputs=2,
        max_inputs=2,
        onnx=simple("Mul"),  # broadcasting as numpy's
    )
)


def _concat_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    first = inputs[0]
    for other in inputs:
        if len(other) != len(first) or other[1:] != first[1:]:
            raise ShapeError(
                "concat needs inputs that differ only in channels, got "
                + ", ".join(str(list(s)) for s in inputs)
            )
    return (sum(s[0] for s in inputs), *first[1:])


register(
    OpType(
        "concat",
        "concatenation along channels",
        _concat_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        min_inputs=1,
        max_inputs=256,
        onnx=simple("Concat", axis=1),
    )
)


def _shuffle_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if inputs[0][0] % attrs["groups"]:
        raise ShapeError(f"channels {inputs[0][0]} are not divisible by groups={attrs['groups']}")
    return inputs[0]


def _channel_shuffle_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Reshape [N, g, C/g, ...] -> Transpose -> Reshape [N, C, ...]."""
    name, groups = node.name, node.attrs["groups"]
    channels, rest = ins[0][0], list(ins[0][1:])
    split = ex.add(
        "Reshape",
        [node.inputs[0], ex.ints(f"{name}/split_shape", [ex.batch, groups, channels // groups, *rest])],
        f"{name}/split",
        f"{name}/split",
    )
    perm = [0, 2, 1, *range(3, 3 + len(rest))]
    swapped = ex.add("Transpose", [split], f"{name}/transpose", f"{name}/transpose", perm=perm)
    ex.add("Reshape", [swapped, ex.ints(f"{name}/shape", [ex.batch, channels, *rest])], name, name)


register(
    OpType(
        "channel_shuffle",
        "ShuffleNet channel shuffle (a permuting copy)",
        _shuffle_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"groups": AttrSpec("int", required=True)},
        onnx=_channel_shuffle_onnx,
    )
)


def _slice_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    start, stop = attrs["start"], attrs["stop"]
    if not 0 <= start < stop <= inputs[0][0]:
        raise ShapeError(f"channel slice [{start}:{stop}] is outside 0..{inputs[0][0]}")
    return (stop - start, *inputs[0][1:])


def _slice_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Slice on axis 1 (channels)."""
    name = node.name
    ex.add(
        "Slice",
        [
            node.inputs[0],
            ex.ints(f"{name}/starts", [node.attrs["start"]]),
            ex.ints(f"{name}/ends", [node.attrs["stop"]]),
            ex.ints(f"{name}/axes", [1]),
        ],
        name,
        name,
    )


register(
    OpType(
        "slice",
        "channels [start:stop] of the input (ShuffleNet V2 channel split)",
        _slice_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"start": AttrSpec("int", 0, minimum=0), "stop": AttrSpec("int", required=True)},
        is_view=True,
        onnx=_slice_onnx,
    )
)
