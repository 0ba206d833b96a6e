"""The op registry: every primitive op type with its attributes, shape rule, cost rule and class."""

from costmodel.ops.registry import (
    ACTIVATIONS,
    ALIASES,
    ELEMENTWISE_OPS,
    NORMS,
    OP_CLASSES,
    REGISTRY,
    AttrSpec,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    lookup,
    register,
)

__all__ = [
    "ACTIVATIONS",
    "ALIASES",
    "ELEMENTWISE_OPS",
    "NORMS",
    "OP_CLASSES",
    "REGISTRY",
    "AttrSpec",
    "OpCost",
    "OpType",
    "Shape",
    "ShapeError",
    "lookup",
    "register",
]
