"""Fully connected layer on a [features] vector."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OpCost,
    OpType,
    Shape,
    fixed_class,
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


LINEAR = register(
    OpType(
        "linear",
        "fully connected layer on a [features] vector",
        _linear_shape,
        _linear_cost,
        fixed_class(OpClass.LINEAR),
        {"out": AttrSpec("int", required=True), "bias": AttrSpec("bool", True)},
        takes_norm_act=True,
        onnx=_linear_onnx,
    )
)
