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

BYTES_PER_ELEMENT: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1, "int4": 0.5}
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
    # The precision activations and MACs run in whatever the weights are stored in (int4 weights
    # with fp16 activations); None: compute_precision(the weights').
    activation: str | None = None
    kv: str | None = None  # of the KV cache; None: the activations'

    def check(self) -> None:
        check_precision(self.default)
        for what, precision in (("activation precision", self.activation), ("KV precision", self.kv)):
            if precision is not None:
                check_precision(precision, what)
                if precision == "int4" and what == "activation precision":
                    raise CostModelError(
                        ErrorCode.OPTION, "int4 is a weight-only format, not an activation one"
                    )
        for pattern, precision in self.rules:
            check_precision(precision, f"precision for '{pattern}'")

    def of(self, node_name: str) -> str:
        for pattern, precision in self.rules:
            if fnmatchcase(node_name, pattern):
                return precision
        return self.default

    def describe(self) -> str:
        text = self.default
        if self.rules:
            text += " (" + ", ".join(f"{p}={q}" for p, q in self.rules) + ")"
        if self.activation:
            text += f", activations {self.activation}"
        if self.kv:
            text += f", KV cache {self.kv}"
        return text


def parse_rule(text: str) -> tuple[str, str]:
    """'PATTERN=PRECISION' from the command line."""
    pattern, sep, precision = text.partition("=")
    if not sep or not pattern or not precision:
        raise CostModelError(
            ErrorCode.OPTION, f"expected PATTERN=PRECISION (e.g. 'stem.*=fp32'), got '{text}'"
        )
    check_precision(precision, f"precision for '{pattern}'")
    return pattern, precision
