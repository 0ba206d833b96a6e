"""The op registry: every primitive op type with its attributes, shape rule, cost rule and class.

Importing this package registers every op: one module per op family.
"""

from costmodel.ops import (  # noqa: F401  (they register)
    attention,
    conv,
    linear,
    merge,
    normact,
    pool,
    tensor,
    transformer,
    views,
)
from costmodel.ops.normact import ACTIVATIONS, ELEMENTWISE_OPS, NORMS
from costmodel.ops.registry import (
    ALIASES,
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
