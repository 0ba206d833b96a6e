"""Fully connected layer on a [features] vector."""

from __future__ import annotations

import math
from typing import Any

from costmodel.names import OpClass
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OpCost,
    OpType,
    Shape,
    bias_unless_norm,
    fixed_class,
    no_norm_act,
    register,
    require_rank,
)


def _linear_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 1, "linear")
    return (attrs["out"],)


def _linear_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    fin, fout = inputs[0][0], out[0]
    return OpCost(params=fin * fout + (fout if attrs["bias"] else 0), macs=fin * fout)


def _linear_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Gemm with the weight [out, in] as PyTorch stores it (transB=1)."""
    fin, fout = ins[0][0], node.attrs["out"]
    inputs = [node.inputs[0], ex.he_uniform(node, "weight", (fout, fin), 1, fin)]
    if node.attrs["bias"]:
        bound = 1 / math.sqrt(fin)
        inputs.append(ex.uniform(node, "bias", (fout,), -bound, bound))
    ex.add("Gemm", inputs, node.name, node.name, transB=1)


def _finalize_linear_attrs(attrs: dict[str, Any], first_copy: bool, norm: str | None) -> dict[str, Any]:
    attrs = dict(attrs)
    bias_unless_norm(attrs, norm)
    return attrs


LINEAR = register(
    OpType(
        "linear",
        "fully connected layer on a [features] vector",
        _linear_shape,
        _linear_cost,
        fixed_class(OpClass.LINEAR),
        {"out": AttrSpec("int", required=True), "bias": AttrSpec("bool", True)},
        default_norm_act=no_norm_act,
        finalize_attrs=_finalize_linear_attrs,
        onnx=_linear_onnx,
    )
)
