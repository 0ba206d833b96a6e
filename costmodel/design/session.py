"""A search from its settings to its results: the problem assembled from names (space, profiles,
objectives, constraints, reward, accuracy), the Pareto set of the trials, and the trials as
CSV/JSON. Used by `costmodel search` and by the Python API."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from costmodel.cost.options import AnalysisOptions, resolve
from costmodel.design.accuracy import accuracy_source
from costmodel.design.evaluate import Problem, objective_keys
from costmodel.design.reward import (
    Constraint,
    MnasReward,
    Objective,
    Sense,
    check_metric,
    pareto_front,
    parse_constraint,
    parse_objective,
)
from costmodel.design.space import Space, load_space
from costmodel.hw.load import load_profile


@dataclass(frozen=True)
class SearchSettings:
    """Everything that defines a search (stored in run.json; a resumed search must match)."""

    space: str
    hardware: tuple[str, ...] = ("snapdragon855",)
    engine: str = "random"
    trials: int = 1000
    seed: int = 0
    objectives: tuple[str, ...] = ()  # METRIC[:min|max]; default: accuracy:max and latency:min
    constraints: tuple[str, ...] = ()  # METRIC<=VALUE
    target_ms: float | None = None  # MnasNet's T (latency on the first profile, milliseconds)
    w: str = "soft"  # soft, hard or a number
    accuracy: str = "proxy"
    jobs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    runtime: str | None = None  # on every profile; None: each profile's own (docs/runtimes.md)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; `runtime` only when given (run.json of earlier searches has none)."""
        data = asdict(self)
        if data["runtime"] is None:
            del data["runtime"]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@dataclass(frozen=True)
class SearchOutcome:
    """A finished (or interrupted) search: what it optimised, its settings and every trial."""

    problem: Problem
    settings: SearchSettings
    records: list[dict[str, Any]]

    @property
    def pareto(self) -> list[dict[str, Any]]:
        """The feasible trials no other feasible trial dominates, best first."""
        return pareto_set(self.problem, self.records)

    def trials(self) -> list[dict[str, Any]]:
        """Every trial with its choices spelled out (label -> value) beside its metrics."""
        return [with_choices(self.problem, r) for r in self.records]


def build_problem(settings: SearchSettings, space: Space | None = None) -> Problem:
    """The problem the settings describe (files read, names checked)."""
    space = space or load_space(settings.space)
    profiles = tuple(load_profile(name) for name in settings.hardware)
    names = [hw.name for hw in profiles]
    reward = None
    constraints = [parse_constraint(text, names) for text in settings.constraints]
    latency = check_metric("latency_s", names)
    if settings.target_ms is not None:
        reward = MnasReward.named(settings.w, settings.target_ms / 1000.0, latency)
        if reward.beta == -1.0 and reward.alpha == 0.0:  # the hard objective is a constraint
            constraints.append(Constraint(latency, reward.target, upper=True))
    if settings.objectives:
        objectives = [parse_objective(text, names) for text in settings.objectives]
    elif reward is not None:
        objectives = [Objective("reward", Sense.MAX), Objective(latency, Sense.MIN)]
    else:
        objectives = [Objective("accuracy", Sense.MAX), Objective(latency, Sense.MIN)]
    options = AnalysisOptions(runtime=settings.runtime)
    for hw in profiles:  # an unknown runtime fails before any trial
        resolve(options, hw)
    return Problem(
        space,
        profiles,
        accuracy_source(settings.accuracy),
        tuple(objectives),
        tuple(constraints),
        reward,
        options,
    )


def pareto_set(problem: Problem, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The feasible records no other feasible record dominates on the objectives, best first by
    the first objective."""
    feasible = [r for r in records if r["feasible"]]
    keys = [objective_keys(problem, r) for r in feasible]
    front = [feasible[i] for i in pareto_front(keys)]
    return sorted(front, key=lambda r: objective_keys(problem, r))


def trial_columns(problem: Problem) -> list[str]:
    """The columns of a trial: name, the choices, the metrics, feasible."""
    from costmodel.design.reward import metric_names

    return [
        "name",
        *(d.label for d in problem.space.decisions),
        *metric_names(problem.profile_names),
        "feasible",
    ]


def with_choices(problem: Problem, record: dict[str, Any]) -> dict[str, Any]:
    """A record with its choices spelled out (label -> value) beside its metrics."""
    values = problem.space.values(tuple(record["candidate"]))
    return {
        "name": record["name"],
        **values,
        **{k: v for k, v in record.items() if k not in ("name", "candidate")},
    }


def trials_csv(problem: Problem, records: list[dict[str, Any]]) -> str:
    stream = io.StringIO()
    writer = csv.DictWriter(
        stream, fieldnames=trial_columns(problem), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for record in records:
        writer.writerow(with_choices(problem, record))
    return stream.getvalue()


def trials_json(problem: Problem, settings: SearchSettings, records: list[dict[str, Any]]) -> str:
    from costmodel.present.versioned import versioned

    front = {r["name"] for r in pareto_set(problem, records)}
    data = versioned(
        {
            "settings": settings.to_dict(),
            "accuracy_source": problem.accuracy.label,
            "accuracy_is_proxy": problem.accuracy.is_proxy,
            "objectives": [f"{o.metric}:{o.sense.value}" for o in problem.objectives],
            "constraints": [str(c) for c in problem.constraints],
            "trials": [with_choices(problem, r) | {"pareto": r["name"] in front} for r in records],
        }
    )
    return json.dumps(data, indent=1, default=str) + "\n"
