"""Normalisation and activations: elementwise ops that inference engines fuse into the kernel
before them (costmodel/cost/memory/)."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.registry import Attrs, OpCost, OpType, Shape, ShapeError, fixed_class, register, same_shape


def _batchnorm_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if len(inputs[0]) not in (1, 3):
        raise ShapeError(f"batchnorm expects [C, H, W] or [features], got {list(inputs[0])}")
    return inputs[0]


def _batchnorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    # gamma and beta are learnable; running mean/var are buffers (torchvision's count).
    # At inference BN is a per-channel scale and shift: 2 ops per element when not folded.
    return OpCost(params=2 * out[0], ops=2 * math.prod(out))


register(
    OpType(
        "batchnorm",
        "batch normalisation (inference: per-channel scale and shift)",
        _batchnorm_shape,
        _batchnorm_cost,
        fixed_class(OpClass.ELEMENTWISE),
    )
)

# Elementwise ops per output element, as a plain C kernel would compute them.
ELEMENTWISE_OPS = {
    "relu": 1,  # max(x, 0)
    "relu6": 2,  # min(max(x, 0), 6)
    "hardsigmoid": 3,  # clamp(x + 3, 0, 6) / 6: add, clamp, multiply
    "hardswish": 4,  # x * hardsigmoid(x)
    "sigmoid": 4,  # exp, add, reciprocal, negate
    "swish": 5,  # x * sigmoid(x)
    "tanh": 5,
    "gelu": 8,  # tanh approximation
}


def _activation(name: str, ops_per_element: int) -> OpType:
    def cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
        return OpCost(ops=ops_per_element * math.prod(out))

    return OpType(
        name,
        f"{name} activation ({ops_per_element} ops per element)",
        same_shape,
        cost,
        fixed_class(OpClass.ELEMENTWISE),
    )


for _name, _ops_per_element in ELEMENTWISE_OPS.items():
    register(_activation(_name, _ops_per_element))

ACTIVATIONS = tuple(ELEMENTWISE_OPS)
NORMS = ("batchnorm",)
