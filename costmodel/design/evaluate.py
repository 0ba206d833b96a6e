"""Evaluating a candidate: its costs on every profile, its accuracy, its reward, its feasibility.

The costs are those of `costmodel analyze` on the candidate's spec (the same pipeline, with the
min-peak schedule search left out as `sweep` does: the peak is the declared order's). Each
candidate's graph is expanded once and shared by every profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from costmodel.cost.analysis import cyclic_gc_paused, plan
from costmodel.cost.options import AnalysisOptions, resolve
from costmodel.cost.records import total
from costmodel.cost.roofline import estimate
from costmodel.design.accuracy import AccuracySource
from costmodel.design.reward import COST_METRICS, Constraint, MnasReward, Objective
from costmodel.design.space import Candidate, Space, _code
from costmodel.hw.profile import HardwareProfile
from costmodel.spec.schema import Spec

INFEASIBLE_PENALTY = 1e12  # below any feasible fitness, keeping the order among infeasible ones


@dataclass(frozen=True)
class Problem:
    """What a search optimises: the space, the profiles, the accuracy source, the objectives,
    the constraints and the reward (None: no reward column is filled)."""

    space: Space
    profiles: tuple[HardwareProfile, ...]
    accuracy: AccuracySource
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    reward: MnasReward | None = None
    options: AnalysisOptions = field(default_factory=AnalysisOptions)

    @property
    def profile_names(self) -> list[str]:
        return [hw.name for hw in self.profiles]

    def metric(self, name: str) -> str:
        """A cost metric's column name (suffixed @PROFILE when there are several profiles)."""
        return name if len(self.profiles) == 1 else f"{name}@{self.profiles[0].name}"


def candidate_name(space: Space, candidate: Candidate) -> str:
    return f"{space.name}_{_code(candidate)}"


def evaluate(problem: Problem, candidate: Candidate) -> dict[str, Any]:
    """One trial's record: name, the choices, every metric, feasible (a full analysis; the
    search's `fastpath.Evaluator` gives the same records faster)."""
    space = problem.space
    spec = space.spec(candidate)
    options = space.options(candidate, problem.options)
    per_profile: list[dict[str, float | int]] = []
    reused = None
    with cyclic_gc_paused():
        for hw in problem.profiles:
            planned = plan(spec, hw, resolve(options, hw), reuse=reused, search_schedule=False)
            reused = planned
            totals = total(estimate(planned.counts, planned.memory.traffic, planned.hw))
            per_profile.append(
                {
                    "latency_s": totals.latency_s,
                    "energy_j": totals.energy_j,
                    "params": totals.params,
                    "macs": totals.macs,
                    "peak_activation_bytes": planned.memory.peak_bytes,
                    "dram_bytes": totals.dram_bytes,
                    "weight_bytes": totals.weight_bytes,
                }
            )
    return finish_record(problem, candidate, per_profile, spec)


def finish_record(
    problem: Problem, candidate: Candidate, per_profile: list[dict[str, float | int]], spec: Spec | None
) -> dict[str, Any]:
    """A trial record from the cost metrics of each profile: accuracy, reward and feasibility
    added. `spec` None: the candidate's spec is built only if the accuracy source reads it."""
    space = problem.space
    record: dict[str, Any] = {"name": candidate_name(space, candidate)}
    several = len(problem.profiles) > 1
    for hw, values in zip(problem.profiles, per_profile, strict=True):
        suffix = f"@{hw.name}" if several else ""
        record.update({f"{metric}{suffix}": values[metric] for metric in COST_METRICS})
    macs = int(per_profile[-1]["macs"])
    if spec is None:
        # The proxy reads MACs only; other sources get the candidate's spec.
        spec = space.base if problem.accuracy.is_proxy else space.spec(candidate)
    accuracy = problem.accuracy.by_spec(spec, record["name"], macs)
    record["accuracy"] = accuracy
    if problem.reward is not None:
        record["reward"] = problem.reward(accuracy, float(record[problem.reward.latency_metric]))
    else:
        record["reward"] = math.nan
    record["feasible"] = all(c.holds(record) for c in problem.constraints)
    return record


def objective_keys(problem: Problem, record: dict[str, Any]) -> tuple[float, ...]:
    """The record's objective values as keys to minimise."""
    return tuple(o.key(float(record[o.metric])) for o in problem.objectives)


def scalar_fitness(problem: Problem, record: dict[str, Any]) -> float:
    """One number to maximise for engines that need one (evolution, TPE): the reward when there is
    one, else the first objective; an infeasible record ranks below every feasible one."""
    value = float(record["reward"]) if problem.reward is not None else -objective_keys(problem, record)[0]
    return value if record["feasible"] else value - INFEASIBLE_PENALTY
