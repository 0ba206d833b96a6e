"""Numeric precision: bytes per element, and which precision each node runs in.

A model runs in one default precision; rules (glob patterns over node names, first match wins)
can keep some layers in another, e.g. `stem.*=fp32` for a first layer that quantizes badly or
`head.classifier=fp16`. int4 is a weight-only format: the weights are packed two per byte and
the MACs and activations run in int8 (as in weight-only quantized inference kernels).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from costmodel.errors import CostModelError, ErrorCode

BYTES_PER_ELEMENT: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}
PRECISIONS = tuple(BYTES_PER_ELEMENT)


def check_precision(precision: str, where: str = "precision") -> None:
    if precision not in BYTES_PER_ELEMENT:
        raise CostModelError(
            ErrorCode.OPTION, f"unknown {where} '{precision}' (expected one of: {', '.join(PRECISIONS)})"
        )


def compute_precision(precision: str) -> str:
    """The precision MACs and activations run in (int4 weights compute in int8)."""
    return "int8" if precision == "int4" else precision


@dataclass(frozen=True)
class PrecisionPlan:
    default: str = "fp32"
    rules: tuple[tuple[str, str], ...] = ()  # (glob over node names, precision)

    def check(self) -> None:
        check_precision(self.default)
        for pattern, precision in self.rules:
            check_precision(precision, f"precision for '{pattern}'")

    def of(self, node_name: str) -> str:
        for pattern, precision in self.rules:
            if fnmatchcase(node_name, pattern):
                return precision
        return self.default

    def describe(self) -> str:
        if not self.rules:
            return self.default
        return self.default + " (" + ", ".join(f"{p}={q}" for p, q in self.rules) + ")"


def parse_rule(text: str) -> tuple[str, str]:
    """'PATTERN=PRECISION' from the command line."""
    pattern, sep, precision = text.partition("=")
    if not sep or not pattern or not precision:
        raise CostModelError(
            ErrorCode.OPTION, f"expected PATTERN=PRECISION (e.g. 'stem.*=fp32'), got '{text}'"
        )
    check_precision(precision, f"precision for '{pattern}'")
    return pattern, precision
