"""Fully connected layer on a [features] vector."""

from __future__ import annotations

from costmodel.names import OpClass
from costmodel.ops.registry import Attrs, AttrSpec, OpCost, OpType, Shape, fixed_class, register, require_rank


def _linear_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 1, "linear")
    return (attrs["out"],)


def _linear_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    fin, fout = inputs[0][0], out[0]
    return OpCost(params=fin * fout + (fout if attrs["bias"] else 0), macs=fin * fout)


LINEAR = register(
    OpType(
        "linear",
        "fully connected layer on a [features] vector",
        _linear_shape,
        _linear_cost,
        fixed_class(OpClass.LINEAR),
        {"out": AttrSpec("int", required=True), "bias": AttrSpec("bool", True)},
        takes_norm_act=True,
    )
)
