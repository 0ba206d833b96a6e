"""Scores of predicted against measured latencies (validate-latency, calibrate, held-out fits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from costmodel.errors import CostModelError, ErrorCode


def need_scipy() -> Any:
    try:
        import numpy  # noqa: F401 - scipy's dependency, imported here to fail in one place
        import scipy.optimize
        import scipy.stats
    except ImportError:
        raise CostModelError(
            ErrorCode.OPTION, "calibration needs scipy: pip install 'costmodel[calibrate]'"
        ) from None
    return scipy


@dataclass(frozen=True)
class Scores:
    n: int
    mape: float  # mean absolute percentage error, in percent
    within_10: float  # share of predictions within +-10%, in percent
    within_25: float
    spearman: float


def scores(predicted: Sequence[float], measured: Sequence[float]) -> Scores:
    scipy = need_scipy()
    errors = [abs(p - m) / m for p, m in zip(predicted, measured, strict=True)]
    n = len(errors)
    # Rank correlation needs at least 3 points and two distinct values on each side; otherwise it
    # is undefined, reported as nan (shown "n/a") rather than scipy's warning and nan.
    defined = n > 2 and len(set(predicted)) > 1 and len(set(measured)) > 1
    spearman = float(scipy.stats.spearmanr(predicted, measured).statistic) if defined else float("nan")
    tolerance = 1e-9  # 1.1 vs 1.0 is within 10%, floating point notwithstanding
    return Scores(
        n,
        100 * sum(errors) / n,
        100 * sum(e <= 0.10 + tolerance for e in errors) / n,
        100 * sum(e <= 0.25 + tolerance for e in errors) / n,
        spearman,
    )
