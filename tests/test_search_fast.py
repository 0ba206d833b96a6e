"""The search's stage cache (design/fastpath.py) gives the numbers of a full `analyze`, exactly."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.design.evaluate import Problem, evaluate
from costmodel.design.fastpath import Evaluator
from costmodel.design.session import SearchSettings, build_problem
from costmodel.design.space import Candidate, load_space

WIDE_SPACE = """\
version: 1
name: wide
base: mbv2
choices:
  "s[1-7].b1":
    kernel: [3, 5]
    se: [false, true]
  "s[3-4].b1":
    out_scale: [0.75, 1.25]
multipliers: {width: [0.75, 1.0], depth: [1.0, 1.2], resolution: [160, 224]}
"""


def _random_candidates(problem: Problem, count: int, seed: int) -> list[Candidate]:
    rng = random.Random(seed)
    return [tuple(rng.randrange(len(d.values)) for d in problem.space.decisions) for _ in range(count)]


def _check_against_analyze(problem: Problem, evaluator: Evaluator, candidates: list[Candidate]) -> None:
    space = problem.space
    several = len(problem.profiles) > 1
    for candidate in candidates:
        record = evaluator(candidate)
        spec, options = space.spec(candidate), space.options(candidate, problem.options)
        for hw in problem.profiles:
            result = analyze(spec, hw, options)
            suffix = f"@{hw.name}" if several else ""
            assert record[f"params{suffix}"] == result.totals.params
            assert record[f"macs{suffix}"] == result.totals.macs
            assert record[f"latency_s{suffix}"] == result.totals.latency_s  # exact, not approx
            assert record[f"energy_j{suffix}"] == result.totals.energy_j
            assert record[f"dram_bytes{suffix}"] == result.totals.dram_bytes
            assert record[f"weight_bytes{suffix}"] == result.totals.weight_bytes
            assert record[f"peak_activation_bytes{suffix}"] == result.peak_activation_bytes


def test_cached_stages_equal_a_full_analysis_on_random_mnasnet_candidates() -> None:
    problem = build_problem(SearchSettings(space="mnasnet_mbv2"))
    evaluator = Evaluator(problem)
    evaluator.warm_up()  # every stage choice seen: what follows is composed from the cache
    misses = evaluator.misses
    candidates = _random_candidates(problem, 60, seed=1)
    _check_against_analyze(problem, evaluator, candidates)
    assert evaluator.misses == misses and evaluator.hits >= 60  # all composed, none analysed
    assert all(evaluator(c) == evaluate(problem, c) for c in candidates[:20])


def test_cache_is_exact_with_multipliers_output_scales_and_two_profiles(tmp_path: Path) -> None:
    """Width, depth and resolution multipliers, output-channel choices (the input shape of the
    next stage changes) and a profile with a large on-chip memory (tensors stay on chip across
    stage borders) together with a phone."""
    (tmp_path / "wide.yaml").write_text(WIDE_SPACE)
    space = load_space(tmp_path / "wide.yaml")
    settings = SearchSettings(space=str(tmp_path / "wide.yaml"), hardware=("snapdragon855", "edgetpu"))
    problem = build_problem(settings, space)
    evaluator = Evaluator(problem)
    candidates = _random_candidates(problem, 400, seed=2)
    for candidate in candidates:  # fill the cache on many candidates
        evaluator(candidate)
    assert evaluator.hits > 0
    hits = evaluator.hits
    # Check candidates that are composed from the cache, and some that are not.
    _check_against_analyze(problem, evaluator, candidates[-40:] + _random_candidates(problem, 20, seed=3))
    assert evaluator.hits > hits


@pytest.mark.parametrize("options", [AnalysisOptions(resident_weights=True), AnalysisOptions(fusion=False)])
def test_whole_graph_options_are_exact(options: AnalysisOptions) -> None:
    """Resident weights are decided over the whole model: the cache is off. Without fusion every
    node is a kernel: the cache still applies and stays exact."""
    base = build_problem(SearchSettings(space="mnasnet_mbv2"))
    problem = Problem(base.space, base.profiles, base.accuracy, base.objectives, options=options)
    evaluator = Evaluator(problem)
    assert evaluator.enabled == (not options.resident_weights)
    candidates = _random_candidates(problem, 80, seed=4)
    for candidate in candidates:
        evaluator(candidate)
    _check_against_analyze(problem, evaluator, candidates[-10:])
