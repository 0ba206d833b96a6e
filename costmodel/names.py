"""The closed sets of names costmodel passes around, as enums: a typo is a type error, not a
silently empty row. Each member is also the plain string it stands for (`OpClass.CONV == "conv"`),
so JSON, CSV, YAML keys and golden files read exactly as before.
"""

from __future__ import annotations

from enum import Enum


class Name(str, Enum):
    """A string enum that prints as its value on every Python version (3.12 changed `format`)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class OpClass(Name):
    """What a hardware profile gives an efficiency for (costmodel/hw/profile.py)."""

    CONV = "conv"
    POINTWISE = "pointwise"
    DEPTHWISE = "depthwise"
    GROUPED = "grouped"
    LINEAR = "linear"
    ELEMENTWISE = "elementwise"
    POOL = "pool"
    DATA = "data"


class Bound(Name):
    """What limits a kernel on the roofline; NONE for a view (it takes no time)."""

    COMPUTE = "compute"
    MEMORY = "memory"
    NONE = "-"


class GroupBy(Name):
    """How rows of an analysis are grouped; every grouping sums the same node rows."""

    NODE = "node"
    LAYER = "layer"
    BLOCK = "block"
    STAGE = "stage"
    OP = "op"


class Status(Name):
    """A row of a diff: in both designs and equal, in both and different, only in B, only in A."""

    SAME = "same"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


OP_CLASSES: tuple[str, ...] = tuple(c.value for c in OpClass)
GROUP_BY: tuple[str, ...] = tuple(g.value for g in GroupBy)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
