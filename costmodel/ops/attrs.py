"""Parsing op attribute values from a spec: one small function per attribute kind (ops.AttrSpec).

A raw value is what the YAML holds (a number, a list, or an expression string); `evaluate` turns
an expression into a value in the layer's scope. Failures raise AttrError with the message only;
the graph builder adds the place and node name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from costmodel import limits
from costmodel.errors import ErrorCode
from costmodel.ops.registry import AttrSpec

PADDING_MODES = ("auto", "same", "valid")
Evaluate = Callable[[Any], Any]


class AttrError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _bad(key: str, expected: str, got: Any) -> AttrError:
    return AttrError(ErrorCode.BAD_VALUE, f"'{key}' expects {expected}, got {got!r}")


def _integer(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> int:
    value = evaluate(raw)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(key, "an integer", value)
    if isinstance(value, float):
        if not value.is_integer():
            raise _bad(key, "an integer", value)
        value = int(value)
    if value < spec.minimum:
        raise _bad(key, f"an integer >= {spec.minimum}", value)
    maximum = getattr(limits, spec.limit)  # read at call time: tests may lower a limit
    if value > maximum:
        raise AttrError(ErrorCode.LIMIT, f"'{key}' = {value} is larger than the limit {maximum}")
    return int(value)


def _pair(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> tuple[int, int]:
    value = raw if isinstance(raw, list) else evaluate(raw)
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise _bad(key, "an integer or [h, w]", value)
        return (_integer(key, spec, value[0], evaluate), _integer(key, spec, value[1], evaluate))
    single = _integer(key, spec, value, evaluate)
    return (single, single)


def _bool(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> bool:
    value = evaluate(raw)
    if not isinstance(value, bool):
        raise _bad(key, "true or false", value)
    return value


def _float(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> float:
    value = evaluate(raw)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(key, "a number", value)
    return float(value)


def _fraction(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> float:
    value = _float(key, spec, raw, evaluate)
    if not 0 <= value < 1:  # dropout's p: 1 would drop everything, PyTorch refuses p > 1 and p < 0
        raise _bad(key, "a number from 0 up to (not including) 1", value)
    return value


def _one_padding(key: str, raw: Any, evaluate: Evaluate) -> int | str:
    value = raw if raw in PADDING_MODES else evaluate(raw)
    if value in PADDING_MODES:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limits.MAX_PADDING:
        raise _bad(key, "an integer >= 0, [h, w], 'auto', 'same' or 'valid'", value)
    return value


def _padding(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> tuple[Any, Any]:
    if isinstance(raw, list):
        if len(raw) != 2:
            raise _bad(key, "an integer, [h, w], 'auto', 'same' or 'valid'", raw)
        return (_one_padding(key, raw[0], evaluate), _one_padding(key, raw[1], evaluate))
    single = _one_padding(key, raw, evaluate)
    return (single, single)


def _ints(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> tuple[int, ...]:
    """A list of integers (a shape, a permutation, shifts); each item may be an expression."""
    value = raw if isinstance(raw, list) else evaluate(raw)
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= limits.MAX_RANK:
        raise _bad(key, f"a list of 1 to {limits.MAX_RANK} integers", value)
    return tuple(_integer(key, spec, item, evaluate) for item in value)


def _text(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> str:
    if raw not in spec.choices:
        raise _bad(key, "one of " + ", ".join(spec.choices), raw)
    return str(raw)


_PARSERS: dict[str, Callable[[str, AttrSpec, Any, Evaluate], Any]] = {
    "int": _integer,
    "pair": _pair,
    "bool": _bool,
    "float": _float,
    "fraction": _fraction,
    "padding": _padding,
    "ints": _ints,
    "choice": _text,
}


def parse_attr(key: str, spec: AttrSpec, raw: Any, evaluate: Evaluate) -> Any:
    """The attribute's value in the form the op's rules expect (ints, (h, w) tuples, ...)."""
    return _PARSERS[spec.kind](key, spec, raw, evaluate)
