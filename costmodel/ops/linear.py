"""Fully connected layer on the last axis of a tensor ([features], [tokens, dim], [H, W, C], ...)."""

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
    OpExtra,
    OpType,
    Shape,
    bias_unless_norm,
    fixed_class,
    no_norm_act,
    register,
)


def _linear_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    return (*shape[:-1], attrs["out"])


def _linear_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    shape = inputs[0]
    fin, fout = shape[-1], out[-1]
    rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
    bias = fout if attrs["bias"] else 0
    if attrs.get("tied", False):  # the weight is another layer's (counted there) but is still read
        return OpCost(params=bias, macs=rows * fin * fout, extra=OpExtra(weights=fin * fout + bias))
    return OpCost(params=fin * fout + bias, macs=rows * fin * fout)


def _linear_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Gemm with the weight [out, in] as PyTorch stores it (transB=1); MatMul (+ Add) on the last
    axis of a tensor of higher rank."""
    fin, fout = ins[0][-1], node.attrs["out"]
    bias = None
    if node.attrs["bias"]:
        bound = 1 / math.sqrt(fin)
        bias = ex.uniform(node, "bias", (fout,), -bound, bound)
    if len(ins[0]) == 1:
        inputs = [node.inputs[0], ex.he_uniform(node, "weight", (fout, fin), 1, fin)]
        ex.add("Gemm", [*inputs, *([bias] if bias else [])], node.name, node.name, transB=1)
        return
    weight = ex.he_uniform(node, "weight", (fin, fout), 1, fin)
    product = node.name if bias is None else f"{node.name}/matmul"
    ex.add("MatMul", [node.inputs[0], weight], product, product)
    if bias is not None:
        ex.add("Add", [product, bias], node.name, node.name)


def _finalize_linear_attrs(attrs: dict[str, Any], first_copy: bool, norm: str | None) -> dict[str, Any]:
    attrs = dict(attrs)
    bias_unless_norm(attrs, norm)
    return attrs


LINEAR = register(
    OpType(
        "linear",
        "fully connected layer on the last axis (tied: the weight is shared with another layer)",
        _linear_shape,
        _linear_cost,
        fixed_class(OpClass.LINEAR),
        {
            "out": AttrSpec("int", required=True),
            "bias": AttrSpec("bool", True),
            "tied": AttrSpec("bool", False),
        },
        default_norm_act=no_norm_act,
        finalize_attrs=_finalize_linear_attrs,
        onnx=_linear_onnx,
    )
)
