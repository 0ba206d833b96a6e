"""The spec expression language: what it computes, and what it refuses."""

from __future__ import annotations

import pytest

from costmodel.spec.expr import ExpressionError, evaluate, make_divisible


@pytest.mark.parametrize(
    "text,expected",
    [
        ("exp * 2 + 1", 33),
        ("exp // 3", 5),
        ("exp / 4", 4.0),
        ("max(exp, 20)", 20),
        ("make_divisible(exp * 0.75, 8)", 16),
        ("exp if se else 0", 16),
        ("not se", False),
        ("stride == 1 and exp == 16", True),
        ("1 < exp <= 16", True),
        ("-exp", -16),
        ("2 ** 3", 8),
    ],
)
def test_arithmetic(text: str, expected: object) -> None:
    assert evaluate(text, {"exp": 16, "se": True, "stride": 1}) == expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "exp.__class__",
        "open('x')",
        "[1, 2]",
        "lambda: 1",
        "exp[0]",
        "10 ** 100000",
        "unknown_name",
        "1 / 0",
        "f'{exp}'",
        "x := 1",
    ],
)
def test_rejects_everything_else(text: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(text, {"exp": 16})


@pytest.mark.parametrize(
    "value,divisor,expected",
    [
        # torchvision's _make_divisible: nearest multiple, at least divisor, never < 90% of value
        (16 * 0.75, 8, 16),
        (24 * 0.75, 8, 24),
        (40 * 0.75, 8, 32),
        (960 * 0.75, 8, 720),
        (1280 * 0.75, 8, 960),
        (72 / 4, 8, 24),
        (100, 8, 104),
        (92, 8, 96),
        (10, 8, 16),
        (3, 8, 8),
    ],
)
def test_make_divisible(value: float, divisor: int, expected: int) -> None:
    assert make_divisible(value, divisor) == expected
    assert make_divisible(value, divisor) % divisor == 0
    assert make_divisible(value, divisor) >= 0.9 * value
