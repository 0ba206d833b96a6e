"""Numeric precision: bytes per element, and which precision each node runs in.

A model runs in one default precision; rules (glob patterns over node names, first match wins)
can keep some layers in another, e.g. `stem.*=fp32` for a first layer that quantizes badly or
`head.classifier=fp16`. int4 is a weight-only format: the weights are packed two per byte and
the MACs and activations run in int8 (as in weight-only quantized inference kernels).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

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
    # (from, to): activations and MACs of precision `from` run in `to` (a runtime's arithmetic,
    # ncnn's fp32 models in fp16); applied where no activation precision is given.
    arithmetic: tuple[tuple[str, str], ...] = ()

    def compute_of(self, weights: str) -> str:
        """The precision the MACs and activations of a node with `weights` run in."""
        if self.activation:
            return self.activation
        compute = compute_precision(weights)
        return next((to for source, to in self.arithmetic if source == compute), compute)

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
        """The precision of the first rule whose glob matches the name, else the default."""
        if not self.rules:
            return self.default
        index = self._index.first_match(node_name)
        return self.default if index is None else self.rules[index][1]

    @cached_property
    def _index(self) -> GlobIndex:
        return GlobIndex(tuple(pattern for pattern, _ in self.rules))

    def describe(self) -> str:
        text = self.default
        if self.rules:
            text += " (" + ", ".join(f"{p}={q}" for p, q in self.rules) + ")"
        if self.activation:
            text += f", activations {self.activation}"
        if self.kv:
            text += f", KV cache {self.kv}"
        if self.arithmetic and not self.activation:
            # only the runtime's rules this plan meets: an fp32 model under TFLite says nothing of
            # TFLite's fp16 rule
            used = {compute_precision(p) for p in (self.default, *(q for _, q in self.rules))}
            text += "".join(
                f", {source} computed in {to} (runtime)" for source, to in self.arithmetic if source in used
            )
        return text


_WILDCARDS = re.compile(r"[*?\[\]]")


class GlobIndex:
    """The first of many globs that matches a name, without trying every glob on every name:
    20,000 globs over 24,000 nodes were 480 million fnmatch calls. Each glob is compiled once
    (to fnmatch's own regex, so matching is exactly `fnmatchcase`) and filed under its literal
    prefix (the text before its first wildcard), or its literal suffix when the prefix is empty;
    a name is tried only against the globs filed under one of its own prefixes or suffixes, and
    the ones with neither, in the globs' order."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.match: list[Callable[[str], object]] = [re.compile(fnmatch.translate(p)).match for p in patterns]
        self.by_prefix: dict[str, list[int]] = {}
        self.by_suffix: dict[str, list[int]] = {}
        self.anywhere: list[int] = []
        for index, pattern in enumerate(patterns):
            first = _WILDCARDS.search(pattern)
            prefix = pattern if first is None else pattern[: first.start()]
            tail = _WILDCARDS.split(pattern)[-1] if "[" not in pattern and "]" not in pattern else ""
            if prefix:
                self.by_prefix.setdefault(prefix, []).append(index)
            elif tail:
                self.by_suffix.setdefault(tail, []).append(index)
            else:
                self.anywhere.append(index)
        self.prefix_lengths = sorted({len(p) for p in self.by_prefix})
        self.suffix_lengths = sorted({len(s) for s in self.by_suffix})

    def first_match(self, name: str) -> int | None:
        candidates = list(self.anywhere)
        for length in self.prefix_lengths:
            if length > len(name):
                break
            candidates += self.by_prefix.get(name[:length], ())
        for length in self.suffix_lengths:
            if length > len(name):
                break
            candidates += self.by_suffix.get(name[len(name) - length :], ())
        for index in sorted(candidates):
            if self.match[index](name):
                return index
        return None


def parse_rule(text: str) -> tuple[str, str]:
    """'PATTERN=PRECISION' from the command line."""
    pattern, sep, precision = text.partition("=")
    if not sep or not pattern or not precision:
        raise CostModelError(
            ErrorCode.OPTION, f"expected PATTERN=PRECISION (e.g. 'stem.*=fp32'), got '{text}'"
        )
    check_precision(precision, f"precision for '{pattern}'")
    return pattern, precision
