"""Objectives, constraints and MnasNet's platform-aware reward.

MnasNet (Tan et al., CVPR 2019, Eq. 2) maximises ACC(m) x [LAT(m) / T]^w with w = alpha when
LAT(m) <= T and w = beta otherwise:
- soft: alpha = beta = -0.07 (Section 3: "doubling the latency is worth about 5% accuracy"),
- hard: alpha = 0, beta = -1 (latency above T is penalised sharply, below it does not count),
- a user value of w for both (MobileNetV3-Small's search used w = -0.15, Howard et al. ICCV 2019).

Metrics are named as the columns of a trial ('latency_s', 'macs', 'accuracy', ...); with several
hardware profiles a cost metric is 'latency_s@snapdragon855'. An objective is a metric to minimise
or maximise; a constraint is METRIC <= VALUE (or >=).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from costmodel.errors import CostModelError, ErrorCode, did_you_mean

COST_METRICS = (
    "latency_s",
    "energy_j",
    "params",
    "macs",
    "peak_activation_bytes",
    "dram_bytes",
    "weight_bytes",
)  # per hardware profile (params and MACs do not depend on it, but are kept per profile for one rule)
OTHER_METRICS = ("accuracy", "reward")


class Sense(str, Enum):
    """Whether an objective is minimised or maximised."""

    MIN = "min"
    MAX = "max"


@dataclass(frozen=True)
class Objective:
    """A metric to optimise."""

    metric: str
    sense: Sense

    def key(self, value: float) -> float:
        """A value to minimise (maximised metrics negated)."""
        return value if self.sense is Sense.MIN else -value


@dataclass(frozen=True)
class Constraint:
    """METRIC <= bound (upper) or METRIC >= bound."""

    metric: str
    bound: float
    upper: bool = True

    def holds(self, metrics: dict[str, Any]) -> bool:
        value = float(metrics[self.metric])
        return value <= self.bound if self.upper else value >= self.bound

    def __str__(self) -> str:
        return f"{self.metric} {'<=' if self.upper else '>='} {self.bound:g}"


@dataclass(frozen=True)
class MnasReward:
    """ACC x (LAT / T)^w, w = alpha when LAT <= T else beta."""

    target: float  # T, in the latency metric's unit
    alpha: float
    beta: float
    latency_metric: str = "latency_s"

    @classmethod
    def named(cls, w: str, target: float, latency_metric: str = "latency_s") -> MnasReward:
        """'soft' (alpha = beta = -0.07), 'hard' (alpha = 0, beta = -1) or a number (both)."""
        if not target > 0 or not math.isfinite(target):
            raise CostModelError(
                ErrorCode.OPTION, f"the latency target T must be a positive number, got {target}"
            )
        if w == "soft":
            return cls(target, -0.07, -0.07, latency_metric)
        if w == "hard":
            return cls(target, 0.0, -1.0, latency_metric)
        try:
            value = float(w)
        except ValueError:
            raise CostModelError(ErrorCode.OPTION, f"--w expects soft, hard or a number, got {w!r}") from None
        if not math.isfinite(value):
            raise CostModelError(ErrorCode.OPTION, f"--w expects a finite number, got {w!r}")
        return cls(target, value, value, latency_metric)

    def __call__(self, accuracy: float, latency: float) -> float:
        w = self.alpha if latency <= self.target else self.beta
        return float(accuracy * (latency / self.target) ** w)


def metric_names(profiles: list[str]) -> list[str]:
    """Every metric a trial has: costs (suffixed @PROFILE when there are several), accuracy, reward."""
    if len(profiles) == 1:
        return [*COST_METRICS, *OTHER_METRICS]
    return [f"{m}@{p}" for p in profiles for m in COST_METRICS] + list(OTHER_METRICS)


def check_metric(metric: str, profiles: list[str]) -> str:
    """`metric` if a trial has it; a bare cost metric means the first profile's."""
    names = metric_names(profiles)
    if metric in names:
        return metric
    if len(profiles) > 1 and metric in COST_METRICS:
        return f"{metric}@{profiles[0]}"
    raise CostModelError(
        ErrorCode.OPTION,
        f"unknown metric '{metric}'{did_you_mean(metric, names)} (metrics: {', '.join(names)})",
    )


def parse_objective(text: str, profiles: list[str]) -> Objective:
    """'latency_s' (minimised), 'accuracy:max', 'macs:min'."""
    metric, _, sense = text.partition(":")
    default = Sense.MAX if metric.split("@")[0] in OTHER_METRICS else Sense.MIN
    try:
        chosen = Sense(sense) if sense else default
    except ValueError:
        raise CostModelError(ErrorCode.OPTION, f"objective '{text}': expected METRIC[:min|max]") from None
    return Objective(check_metric(metric.strip(), profiles), chosen)


_CONSTRAINT = re.compile(r"\s*([A-Za-z_][\w@.-]*)\s*(<=|>=)\s*([-+0-9.eE]+)\s*\Z")


def parse_constraint(text: str, profiles: list[str]) -> Constraint:
    """'latency_s<=0.02', 'accuracy>=70'."""
    match = _CONSTRAINT.match(text)
    if match is None:
        raise CostModelError(
            ErrorCode.OPTION, f"constraint '{text}': expected METRIC<=NUMBER or METRIC>=NUMBER"
        )
    try:
        bound = float(match[3])
    except ValueError:
        raise CostModelError(ErrorCode.OPTION, f"constraint '{text}': '{match[3]}' is not a number") from None
    return Constraint(check_metric(match[1], profiles), bound, match[2] == "<=")


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """a is no worse than b in every (minimised) key and better in one."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


def pareto_front(keys: list[tuple[float, ...]]) -> list[int]:
    """Indices of the points no other point dominates (keys minimised), first occurrence of ties."""
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    front: list[int] = []
    seen: set[tuple[float, ...]] = set()
    for index in order:  # sorted: a point can only be dominated by one before it
        key = keys[index]
        if key in seen or any(dominates(keys[j], key) for j in front):
            continue
        seen.add(key)
        front.append(index)
    return sorted(front)
