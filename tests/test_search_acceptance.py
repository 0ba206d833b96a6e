"""Issue 15's hard-constraint acceptance: a search on snapdragon855 with T = MobileNetV2's
predicted latency keeps every returned candidate at or under T and finds one whose proxy
accuracy is at least MobileNetV2's."""

from __future__ import annotations

from costmodel.cost.analysis import analyze
from costmodel.design.accuracy import zoo_proxy
from costmodel.design.engines import make_engine
from costmodel.design.run import run_search
from costmodel.design.session import SearchSettings, build_problem, pareto_set
from costmodel.design.space import load_space
from costmodel.hw.load import load_profile
from costmodel.spec.model import load_spec


def test_the_space_contains_mobilenet_v2() -> None:
    """The default candidate (each decision at the base's value, s1 with expansion 1) is mbv2."""
    space, hw = load_space("mnasnet_mbv2"), load_profile("snapdragon855")
    candidate = analyze(space.spec(space.default), hw, space.options(space.default)).totals
    mbv2 = analyze(load_spec("archspecs/mbv2.yaml"), hw).totals
    assert (candidate.params, candidate.macs, candidate.latency_s) == (mbv2.params, mbv2.macs, mbv2.latency_s)


def test_hard_constraint_search_at_mobilenet_v2_latency() -> None:
    hw = load_profile("snapdragon855")
    mbv2 = analyze(load_spec("archspecs/mbv2.yaml"), hw).totals
    target_s = mbv2.latency_s
    settings = SearchSettings(
        "mnasnet_mbv2", engine="evolution", trials=10_000, target_ms=target_s * 1e3, w="hard"
    )
    problem = build_problem(settings)
    engine = make_engine("evolution", problem.space, 0, ["minimize"] * len(problem.objectives))
    records = list(run_search(problem, engine, settings.trials))
    assert len({tuple(r["candidate"]) for r in records}) == len(records) == 10_000
    front = pareto_set(problem, records)
    assert front and all(r["latency_s"] <= target_s for r in front)
    assert all(r["feasible"] == (r["latency_s"] <= target_s) for r in records)
    best = max(front, key=lambda r: r["accuracy"])
    assert best["accuracy"] >= zoo_proxy()(mbv2.macs)
