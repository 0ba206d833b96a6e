"""Pooling: windowed max/average, global and adaptive average."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.registry import Attrs, AttrSpec, OpCost, OpType, Shape, fixed_class, register, require_rank
from costmodel.ops.shapes import spatial_out


def _pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "pooling")
    return (shape[0], *spatial_out(shape, attrs, ceil_mode=attrs["ceil_mode"]))


def _pool_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    kh, kw = attrs["kernel"]
    return OpCost(ops=math.prod(out) * kh * kw)  # one compare or add per window element


_POOL_ATTRS = {
    "kernel": AttrSpec("pair", required=True),
    "stride": AttrSpec("pair", None),  # None: equal to the kernel, as in PyTorch
    "padding": AttrSpec("padding", (0, 0)),
    "ceil_mode": AttrSpec("bool", False),
}

_POOL_CLASS = fixed_class(OpClass.POOL)
register(OpType("maxpool", "max pooling", _pool_shape, _pool_cost, _POOL_CLASS, _POOL_ATTRS))
register(OpType("avgpool", "average pooling", _pool_shape, _pool_cost, _POOL_CLASS, _POOL_ATTRS))


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
    )
)


def _adaptive_pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    require_rank(inputs[0], 3, "adaptive_avgpool")
    return (inputs[0][0], *attrs["size"])


register(
    OpType(
        "adaptive_avgpool",
        "adaptive average pooling to a fixed [h, w]",
        _adaptive_pool_shape,
        _global_pool_cost,
        _POOL_CLASS,
        {"size": AttrSpec("pair", required=True)},
    )
)
