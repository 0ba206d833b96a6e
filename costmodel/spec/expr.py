"""A small, safe expression language for computed values in specs.

Specs say things like `out: exp * 2`, `groups: exp`, `when: stride == 1 and in_channels == out`,
`squeeze: make_divisible(exp // 4, 8)`. We parse with Python's `ast` (parsing only, never `eval`)
and accept a whitelist: numbers, booleans, names, + - * / // % **, comparisons, and/or/not,
`a if c else b`, and calls to the functions in FUNCTIONS. Parsed expressions are compiled to
closures once and cached, so evaluating one inside a sweep costs a few function calls.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from costmodel import limits

Scope = Mapping[str, Any]
Compiled = Callable[[Scope], Any]


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round `value` to the nearest multiple of `divisor`, never more than 10% below it.

    This is the rounding of the MobileNet family (TF-slim's `_make_divisible`, used by the
    MobileNetV2/V3 and MnasNet papers' width multipliers and by their SE squeeze widths).
    """
    if divisor <= 0:
        raise ValueError("divisor must be positive")
    floor_value = divisor if min_value is None else min_value
    rounded = max(floor_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _safe_pow(base: Any, exponent: Any) -> Any:
    if isinstance(exponent, (int, float)) and abs(exponent) > limits.MAX_POWER_EXPONENT:
        raise ValueError(f"exponent {exponent} is larger than {limits.MAX_POWER_EXPONENT}")
    return operator.pow(base, exponent)


def _arithmetic(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`fn` on real numbers only, with a bounded result: no 'a' * 10**9 (a 1 GB string), no list
    repetition, no '%d' formatting, no complex (-8) ** 0.5, no integers of millions of digits."""

    def apply(left: Any, right: Any) -> Any:
        for value in (left, right):
            if not isinstance(value, (int, float)):
                raise TypeError(f"arithmetic needs numbers, got {type(value).__name__}")
        result = fn(left, right)
        if not isinstance(result, (int, float)):
            raise ValueError(f"the result is not a real number ({type(result).__name__})")
        if isinstance(result, int) and result.bit_length() > limits.MAX_INT_BITS:
            raise ValueError(f"the result has more than {limits.MAX_INT_BITS} bits")
        return result

    return apply


def _safe_round(value: Any, digits: Any = None) -> Any:
    if isinstance(digits, int) and abs(digits) > limits.MAX_ROUND_DIGITS:
        raise ValueError(f"round to more than {limits.MAX_ROUND_DIGITS} digits")
    return round(value) if digits is None else round(value, digits)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "round": _safe_round,
    "int": int,
    "float": float,
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "make_divisible": make_divisible,
}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _arithmetic(operator.add),
    ast.Sub: _arithmetic(operator.sub),
    ast.Mult: _arithmetic(operator.mul),
    ast.Div: _arithmetic(operator.truediv),
    ast.FloorDiv: _arithmetic(operator.floordiv),
    ast.Mod: _arithmetic(operator.mod),
    ast.Pow: _arithmetic(_safe_pow),
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(Exception):
    """Raised with a message only; callers add the file position and node name."""


def _compile(node: ast.AST) -> Compiled:  # noqa: C901 - one case per syntax form reads best
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str):
            value = node.value
            return lambda scope: value
        raise ExpressionError(f"constant {node.value!r} is not allowed")
    if isinstance(node, ast.Name):
        name = node.id

        def lookup(scope: Scope) -> Any:
            try:
                return scope[name]
            except KeyError:
                raise ExpressionError(f"unknown name '{name}'") from None

        return lookup
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        fn, left, right = _BINARY[type(node.op)], _compile(node.left), _compile(node.right)
        return lambda scope: fn(left(scope), right(scope))
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda scope: -operand(scope)
        if isinstance(node.op, ast.UAdd):
            return lambda scope: +operand(scope)
        if isinstance(node.op, ast.Not):
            return lambda scope: not operand(scope)
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        # Python's meaning: the first operand that decides, not a bool (`0 or 16` is 16)
        return _and(parts) if isinstance(node.op, ast.And) else _or(parts)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        first = _compile(node.left)
        rest = [(_COMPARE[type(op)], _compile(c)) for op, c in zip(node.ops, node.comparators, strict=False)]

        def compare(scope: Scope) -> bool:
            left = first(scope)
            for fn, right_c in rest:
                right = right_c(scope)
                if not fn(left, right):
                    return False
                left = right
            return True

        return compare
    if isinstance(node, ast.IfExp):
        test, body, orelse = _compile(node.test), _compile(node.body), _compile(node.orelse)
        return lambda scope: body(scope) if test(scope) else orelse(scope)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function '{node.func.id}' (available: {', '.join(sorted(FUNCTIONS))})"
            )
        fn = FUNCTIONS[node.func.id]
        args = [_compile(a) for a in node.args]
        return lambda scope: fn(*(a(scope) for a in args))
    raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in an expression")


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Compiled:
    """Parse and compile once; raises ExpressionError on anything outside the whitelist."""
    if len(text) > limits.MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {limits.MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression '{text}': {exc.msg}") from None
    except (ValueError, MemoryError, RecursionError):
        raise ExpressionError(f"cannot parse expression '{text}'") from None
    try:
        return _compile(tree.body)
    except RecursionError:
        raise ExpressionError("expression nested too deeply") from None


@lru_cache(maxsize=4096)
def names(text: str) -> frozenset[str]:
    """The names `text` may read (every Name in it, whichever branch runs); call after it compiled."""
    return frozenset(
        node.id for node in ast.walk(ast.parse(text.strip(), mode="eval")) if isinstance(node, ast.Name)
    )


def evaluate(text: str, scope: Scope) -> Any:
    """Evaluate `text` in `scope`; any failure becomes an ExpressionError with a clear message."""
    compiled = compile_expression(text)
    try:
        return compiled(scope)
    except ExpressionError:
        raise
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in '{text}'") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise ExpressionError(f"cannot evaluate '{text}': {exc}") from None


def _and(parts: list[Callable[[Scope], Any]]) -> Callable[[Scope], Any]:
    def evaluate(scope: Scope) -> Any:
        value: Any = True
        for part in parts:
            value = part(scope)
            if not value:
                return value
        return value

    return evaluate


def _or(parts: list[Callable[[Scope], Any]]) -> Callable[[Scope], Any]:
    def evaluate(scope: Scope) -> Any:
        value: Any = False
        for part in parts:
            value = part(scope)
            if value:
                return value
        return value

    return evaluate
