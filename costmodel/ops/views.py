"""Views: ops that are free at inference (flatten, identity, dropout) and the graph's input."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.lowering import simple
from costmodel.ops.registry import Attrs, AttrSpec, OpType, Shape, fixed_class, no_cost, register, same_shape


def _flatten_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return (math.prod(inputs[0]),)


register(
    OpType(
        "flatten",
        "reshape to a [features] vector (a view)",
        _flatten_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        is_view=True,
        onnx=simple("Flatten", axis=1),
    )
)
register(
    OpType(
        "identity",
        "pass-through (a view)",
        same_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        is_view=True,
        onnx=simple("Identity"),
    )
)
register(
    OpType(
        "dropout",
        "dropout: identity at inference",
        same_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"p": AttrSpec("fraction", 0.5)},
        is_view=True,
        onnx=simple("Identity"),
    )
)


def _input_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    shape: Shape = attrs["shape"]
    return shape


# The graph's source. Not usable in specs: the builder creates one `input` node per graph from the
# spec's `input:`.
INPUT = register(
    OpType(
        "input",
        "the network input",
        _input_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        min_inputs=0,
        max_inputs=0,
        is_view=True,
    )
)
