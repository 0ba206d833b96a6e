"""The search's evaluator: a candidate's costs composed from cached stages, exactly.

Candidates of a space share most stages. `Evaluator` analyses a candidate in full the first time
one of its stages (with its choices, input shape and the sizes at its borders) has not been seen,
cuts the analysis into stages (design/segments.py) and keeps each stage's node costs and peak; a
candidate whose stages are all known is composed from them without expanding or costing anything:
the sums are taken over the same per-node values in the same order as `analyze` takes them, and
the peak is the largest stage peak, so the numbers are identical to a full analysis
(tests/test_search_fast.py checks params, MACs, latency, energy and peak on random candidates).
Candidates whose stages do not meet at single-tensor cuts, or options that make the costs depend
on the whole graph (resident weights, auxiliary heads), are always analysed in full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from costmodel.cost.analysis import cyclic_gc_paused, plan
from costmodel.cost.options import resolve
from costmodel.cost.records import total
from costmodel.cost.roofline import estimate
from costmodel.design.evaluate import Problem, finish_record
from costmodel.design.segments import SUMMED, Segment, cut, handover_into
from costmodel.design.space import Candidate

# (profile index, stage, the stage's choice indices, the multiplier indices, input shape)
StageKey = tuple[int, str, tuple[int, ...], tuple[int, ...], tuple[int, ...] | None]
MAX_CACHED_STAGES = 200_000  # a bound on memory: the cache stops growing beyond it


@dataclass
class Evaluator:
    """Evaluates candidates of one problem, caching stages across candidates (see the module)."""

    problem: Problem
    stages: tuple[str, ...] = ()
    stage_decisions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    multiplier_decisions: tuple[int, ...] = ()
    enabled: bool = True
    structure: dict[StageKey, Segment] = field(default_factory=dict)
    results: dict[tuple[StageKey, int | None, int], Segment] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def __post_init__(self) -> None:
        space = self.problem.space
        self.stages = tuple(space.base.stages)
        groups = space.stage_groups()
        self.stage_decisions = {stage: groups.get(stage, ()) for stage in self.stages}
        self.multiplier_decisions = tuple(i for i, d in enumerate(space.decisions) if d.target == "*")
        options = self.problem.options
        self.enabled = self.enabled and not options.resident_weights and not options.include_aux

    def __call__(self, candidate: Candidate) -> dict[str, Any]:
        """The trial record of `candidate` (as `design.evaluate.evaluate` makes it)."""
        values = self._composed(candidate) if self.enabled else None
        if values is None:
            self.misses += 1
            return self._full(candidate)
        self.hits += 1
        return finish_record(self.problem, candidate, values, None)

    def _composed(self, candidate: Candidate) -> list[dict[str, float | int]] | None:
        multipliers = tuple(candidate[i] for i in self.multiplier_decisions)
        per_profile = []
        for p in range(len(self.problem.profiles)):
            segments = self._segments(p, candidate, multipliers)
            if segments is None:
                return None
            columns = [sum(chain.from_iterable(s.columns[m] for s in segments)) for m in range(len(SUMMED))]
            values: dict[str, float | int] = dict(zip(SUMMED, columns, strict=True))
            values["peak_activation_bytes"] = max(s.peak_bytes for s in segments)
            per_profile.append(values)
        return per_profile

    def _segments(self, p: int, candidate: Candidate, multipliers: tuple[int, ...]) -> list[Segment] | None:
        keys: list[StageKey] = []
        shapes: list[Segment] = []
        shape: tuple[int, ...] | None = None
        for stage in self.stages:
            key = (p, stage, tuple(candidate[i] for i in self.stage_decisions[stage]), multipliers, shape)
            known = self.structure.get(key)
            if known is None:
                return None
            keys.append(key)
            shapes.append(known)
            shape = known.out_shape
        segments = []
        for n, key in enumerate(keys):
            in_bytes = shapes[n - 1].out_bytes if n else None
            handover = handover_into(shapes[n + 1] if n + 1 < len(shapes) else None)
            found = self.results.get((key, in_bytes, handover))
            if found is None:
                return None
            segments.append(found)
        return segments

    def _full(self, candidate: Candidate) -> dict[str, Any]:
        """A full analysis on every profile (the reference path), its stages cached."""
        problem = self.problem
        space = problem.space
        spec = space.spec(candidate)
        options = space.options(candidate, problem.options)
        multipliers = tuple(candidate[i] for i in self.multiplier_decisions)
        per_profile: list[dict[str, float | int]] = []
        reused = None
        with cyclic_gc_paused():
            for p, hw in enumerate(problem.profiles):
                planned = plan(spec, hw, resolve(options, hw), reuse=reused, search_schedule=False)
                reused = planned
                costs = estimate(planned.counts, planned.memory.traffic, planned.hw)
                totals = total(costs)
                values: dict[str, float | int] = {m: getattr(totals, m) for m in SUMMED}
                values["peak_activation_bytes"] = planned.memory.peak_bytes
                per_profile.append(values)
                if self.enabled and planned.memory.kernel_plan is not None:
                    self._store(
                        p, candidate, multipliers, cut(planned.counts, planned.memory.kernel_plan, costs)
                    )
        return finish_record(problem, candidate, per_profile, spec)

    def _store(
        self, p: int, candidate: Candidate, multipliers: tuple[int, ...], segments: list[Segment] | None
    ) -> None:
        if segments is None or [s.stage for s in segments] != list(self.stages):
            return
        if len(self.results) >= MAX_CACHED_STAGES:
            return
        shape: tuple[int, ...] | None = None
        for n, segment in enumerate(segments):
            following = segments[n + 1] if n + 1 < len(segments) else None
            if segment.out_handover != handover_into(following):
                return  # a hand-over the composition would not predict: cache nothing
        for n, segment in enumerate(segments):
            stage = segment.stage
            key = (p, stage, tuple(candidate[i] for i in self.stage_decisions[stage]), multipliers, shape)
            self.structure.setdefault(key, segment)
            in_bytes = segments[n - 1].out_bytes if n else None
            self.results.setdefault((key, in_bytes, segment.out_handover), segment)
            shape = segment.out_shape

    def warm_up(self, part: int = 0, parts: int = 1) -> None:
        """Analyse a few candidates that between them hold every combination of each stage's
        choices (candidate k gives every stage its k-th combination, modulo their count), so that
        the search starts with every stage known; with `parts`, only the candidates k of this
        `part` (k mod parts), the workers of a search sharing the rest (`known`, `learn`)."""
        if not self.enabled:
            return
        space = self.problem.space
        groups = list(space.stage_groups().values())
        radices = [[len(space.decisions[i].values) for i in group] for group in groups]
        chosen = [0] * len(space.decisions)
        for k in range(part, max((math.prod(r) for r in radices), default=0), parts):
            for group, radix in zip(groups, radices, strict=True):
                value = k % math.prod(radix)
                for i, n in zip(reversed(group), reversed(radix), strict=True):
                    value, chosen[i] = divmod(value, n)
            self(tuple(chosen))

    def known(self) -> tuple[dict[StageKey, Segment], dict[tuple[StageKey, int | None, int], Segment]]:
        """The cached stages (to hand to another process's evaluator)."""
        return self.structure, self.results

    def learn(
        self, known: tuple[dict[StageKey, Segment], dict[tuple[StageKey, int | None, int], Segment]]
    ) -> None:
        """Take in stages another evaluator of the same problem cached (`known`)."""
        structure, results = known
        for key, segment in structure.items():
            self.structure.setdefault(key, segment)
        for result_key, segment in results.items():
            if len(self.results) < MAX_CACHED_STAGES:
                self.results.setdefault(result_key, segment)
