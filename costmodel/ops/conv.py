"""2-D convolution: dense, pointwise, grouped and depthwise (through `groups`)."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.registry import Attrs, AttrSpec, OpCost, OpType, Shape, ShapeError, register, require_rank
from costmodel.ops.shapes import spatial_out


def _conv_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "conv2d")
    groups, out = attrs["groups"], attrs["out"]
    if shape[0] % groups:
        raise ShapeError(f"input channels {shape[0]} are not divisible by groups={groups}")
    if out % groups:
        raise ShapeError(f"output channels {out} are not divisible by groups={groups}")
    return (out, *spatial_out(shape, attrs))


def _conv_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    kh, kw = attrs["kernel"]
    cin_per_group = inputs[0][0] // attrs["groups"]
    weights = out[0] * cin_per_group * kh * kw
    bias = out[0] if attrs["bias"] else 0
    return OpCost(params=weights + bias, macs=math.prod(out) * cin_per_group * kh * kw)


def _conv_class(inputs: list[Shape], attrs: Attrs) -> OpClass:
    groups, cin = attrs["groups"], inputs[0][0]
    if groups > 1:
        return OpClass.DEPTHWISE if groups == cin else OpClass.GROUPED
    return OpClass.POINTWISE if tuple(attrs["kernel"]) == (1, 1) else OpClass.CONV


_CONV_ATTRS = {
    "out": AttrSpec("int", required=True),
    "kernel": AttrSpec("pair", required=True),
    "stride": AttrSpec("pair", (1, 1)),
    "padding": AttrSpec("padding", ("auto", "auto")),
    "dilation": AttrSpec("pair", (1, 1)),
    "groups": AttrSpec("int", 1),
    "bias": AttrSpec("bool", None),  # None: a bias only when no norm follows (PyTorch convention)
}

CONV2D = register(
    OpType(
        "conv2d",
        "2-D convolution (grouped and depthwise via groups)",
        _conv_shape,
        _conv_cost,
        _conv_class,
        _CONV_ATTRS,
        takes_norm_act=True,
    )
)
