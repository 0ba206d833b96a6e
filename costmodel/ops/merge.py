"""Ops that merge or split branches: add, sub, mul, div (broadcasting), concat and slice on any
axis, channel shuffle."""

from __future__ import annotations

import math
from collections.abc import Callable

from costmodel import limits
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
    axis_index,
    broadcast,
    fixed_class,
    no_cost,
    register,
)


def _add_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return broadcast("add", inputs)


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


def _binary(name: str) -> Callable[[list[Shape], Attrs], Shape]:
    def shape(inputs: list[Shape], attrs: Attrs) -> Shape:
        return broadcast(name, inputs)

    return shape


def _mul_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=math.prod(out))


register(
    OpType(
        "mul",
        "elementwise product with broadcasting (squeeze-and-excitation scale, layer scale)",
        _binary("mul"),
        _mul_cost,
        fixed_class(OpClass.ELEMENTWISE),
        min_inputs=2,
        max_inputs=2,
        onnx=simple("Mul"),  # broadcasting as numpy's
    )
)


for _name, _onnx, _summary in (
    ("sub", "Sub", "elementwise difference with broadcasting"),
    ("div", "Div", "elementwise quotient with broadcasting"),
):
    register(
        OpType(
            _name,
            _summary,
            _binary(_name),
            _mul_cost,
            fixed_class(OpClass.ELEMENTWISE),
            min_inputs=2,
            max_inputs=2,
            onnx=simple(_onnx),
        )
    )


def _concat_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    first = inputs[0]
    axis = axis_index(attrs.get("axis", 0), len(first), "concat")
    for other in inputs:
        if len(other) != len(first) or other[:axis] + other[axis + 1 :] != first[:axis] + first[axis + 1 :]:
            what = "channels" if axis == 0 else f"axis {attrs.get('axis', 0)}"
            raise ShapeError(
                f"concat needs inputs that differ only in {what}, got "
                + ", ".join(str(list(s)) for s in inputs)
            )
    return (*first[:axis], sum(s[axis] for s in inputs), *first[axis + 1 :])


def _concat_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Concat on the spec's axis (+1 for the batch)."""
    axis = node.attrs.get("axis", 0) % len(ins[0]) + 1
    ex.add("Concat", list(node.inputs), node.name, node.name, axis=axis)


register(
    OpType(
        "concat",
        "concatenation along an axis (default 0: channels, or tokens of a [tokens, dim] tensor)",
        _concat_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"axis": AttrSpec("int", 0, minimum=-limits.MAX_RANK)},
        min_inputs=1,
        max_inputs=256,
        onnx=_concat_onnx,
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
    shape = inputs[0]
    axis = axis_index(attrs.get("axis", 0), len(shape), "slice")
    start, stop = attrs["start"], attrs["stop"]
    if not 0 <= start < stop <= shape[axis]:
        what = "channel" if axis == 0 else f"axis {attrs.get('axis', 0)}"
        raise ShapeError(f"{what} slice [{start}:{stop}] is outside 0..{shape[axis]}")
    return (*shape[:axis], stop - start, *shape[axis + 1 :])


def _slice_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Slice on the spec's axis (+1 for the batch)."""
    name = node.name
    ex.add(
        "Slice",
        [
            node.inputs[0],
            ex.ints(f"{name}/starts", [node.attrs["start"]]),
            ex.ints(f"{name}/ends", [node.attrs["stop"]]),
            ex.ints(f"{name}/axes", [node.attrs.get("axis", 0) % len(ins[0]) + 1]),
        ],
        name,
        name,
    )


register(
    OpType(
        "slice",
        "[start:stop] along an axis (default 0: ShuffleNet V2's channel split; a view)",
        _slice_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {
            "start": AttrSpec("int", 0, minimum=0),
            "stop": AttrSpec("int", required=True),
            "axis": AttrSpec("int", 0, minimum=-limits.MAX_RANK),
        },
        is_view=True,
        onnx=_slice_onnx,
    )
)
