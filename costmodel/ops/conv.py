"""2-D convolution: dense, pointwise, grouped and depthwise (through `groups`)."""

from __future__ import annotations

import math
from typing import Any

from costmodel.names import OpClass
from costmodel.ops.lowering import onnx_pads
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    bias_unless_norm,
    register,
    require_rank,
    spec_norm_act,
    stride_on_first_copy,
)
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


def _conv_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Conv with explicit pads from the padding rule (TF SAME: the odd pixel at the end); He-uniform
    weights [out, in / groups, kh, kw] and PyTorch's default bias init."""
    attrs = node.attrs
    groups, (kh, kw) = attrs["groups"], attrs["kernel"]
    cin_per_group = ins[0][0] // groups
    fan_in = cin_per_group * kh * kw
    inputs = [node.inputs[0], ex.he_uniform(node, "weight", (attrs["out"], cin_per_group, kh, kw), 2, fan_in)]
    if attrs["bias"]:
        bound = 1 / math.sqrt(fan_in)
        inputs.append(ex.uniform(node, "bias", (attrs["out"],), -bound, bound))
    ex.add(
        "Conv",
        inputs,
        node.name,
        node.name,
        kernel_shape=[kh, kw],
        strides=list(attrs["stride"]),
        pads=onnx_pads(node, ins[0], attrs["dilation"]),
        dilations=list(attrs["dilation"]),
        group=groups,
    )


def _finalize_conv_attrs(attrs: dict[str, Any], first_copy: bool, norm: str | None) -> dict[str, Any]:
    attrs = dict(attrs)
    stride_on_first_copy(attrs, first_copy)
    bias_unless_norm(attrs, norm)
    return attrs


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
        default_norm_act=spec_norm_act,
        finalize_attrs=_finalize_conv_attrs,
        onnx=_conv_onnx,
    )
)
