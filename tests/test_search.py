"""Search spaces, MnasNet's reward, accuracy sources, engines, the trials file and `costmodel search`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze
from costmodel.design.accuracy import accuracy_source, fit_proxy
from costmodel.design.engines import make_engine
from costmodel.design.evaluate import evaluate
from costmodel.design.reward import MnasReward, pareto_front
from costmodel.design.run import TrialStore, replay, run_search
from costmodel.design.session import SearchSettings, build_problem, pareto_set
from costmodel.design.space import load_space
from costmodel.errors import CostModelError
from costmodel.spec.model import load_spec

runner = CliRunner()


def test_reward_soft_and_hard_equal_the_formula_by_hand() -> None:
    soft = MnasReward.named("soft", target=0.080)
    # ACC x (LAT/T)^w, w = -0.07 either side of T.
    assert soft(0.75, 0.040) == pytest.approx(0.75 * (0.040 / 0.080) ** -0.07)
    assert soft(0.75, 0.160) == pytest.approx(0.75 * 2.0**-0.07)
    hard = MnasReward.named("hard", target=0.080)
    assert hard(0.75, 0.040) == pytest.approx(0.75)  # alpha = 0: under T latency does not count
    assert hard(0.75, 0.160) == pytest.approx(0.75 * 0.5)  # beta = -1: twice T halves the reward
    user = MnasReward.named("-0.15", target=0.010)
    assert user(70.0, 0.020) == pytest.approx(70.0 * 2.0**-0.15)
    with pytest.raises(CostModelError, match="soft, hard or a number"):
        MnasReward.named("medium", target=0.01)


def test_pareto_front_keeps_only_undominated_points() -> None:
    keys = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (1.0, 5.0), (4.0, 1.0)]
    assert pareto_front(keys) == [0, 1, 4]  # (3,3) dominated by (2,2); the tie kept once


def test_proxy_is_least_squares_on_log_macs() -> None:
    points = [("a", 100, 10.0), ("b", 10_000, 20.0), ("c", 1_000_000, 30.0)]
    fit = fit_proxy(points)  # exact line: 10 + 5 x log10 -> slope 5 / ln 10 per ln
    assert fit.slope == pytest.approx(5 / math.log(10))
    assert fit(1000) == pytest.approx(15.0)
    assert fit.r2 == pytest.approx(1.0)
    assert "proxy" in accuracy_source().describe()


def test_accuracy_from_csv_and_callable(tmp_path: Path) -> None:
    table = tmp_path / "acc.csv"
    table.write_text("name,accuracy\nx,71.5\n")
    source = accuracy_source(str(table))
    spec = load_spec("archspecs/mbv2.yaml")
    assert source.by_spec(spec, "x", 1) == 71.5 and not source.is_proxy
    with pytest.raises(CostModelError, match="no accuracy for candidate 'y'"):
        source.by_spec(spec, "y", 1)
    called = accuracy_source("math:log1p")  # receives the spec; a float-returning callable
    with pytest.raises(TypeError):
        called.by_spec(spec, "x", 1)
    with pytest.raises(CostModelError, match="cannot load"):
        accuracy_source("no_such_module_here:f")


def test_candidate_yaml_analyses_as_the_candidate(sd855, tmp_path: Path) -> None:
    space = load_space("mnasnet_mbv2")
    assert space.size == 36**7
    candidate = tuple(i % len(d.values) for i, d in enumerate(space.decisions))
    path = tmp_path / "c.yaml"
    path.write_text(space.yaml(candidate))
    in_memory = analyze(space.spec(candidate), sd855, space.options(candidate)).total
    from_file = analyze(load_spec(path), sd855).total
    assert (in_memory.params, in_memory.macs, in_memory.latency_s) == (
        from_file.params,
        from_file.macs,
        from_file.latency_s,
    )


def test_default_candidate_changes_only_the_searched_keys(sd855) -> None:
    space = load_space("mnasnet_mbv2")
    values = space.values(space.default)
    assert values["s2.b1.kernel"] == 3 and values["s2.b1.expand_ratio"] == 6 and values["s2.b1.layers"] == 0


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("name: s\nbase: mbv2\nchoices:\n  s9.b1: {kernel: [3]}\n", ":5:3", "matches no layer"),
        ("name: s\nbase: mbv2\nchoices:\n  s1.b1: {kernel: 3}\n", ":5:11", "non-empty list"),
        ("name: s\nbase: mbv2\nbogus: 1\nchoices:\n  s1.b1: {kernel: [3]}\n", ":4:1", "unknown key"),
        ("name: s\nbase: mbv2\nchoices:\n  s1.b1: {kernel: [3, 3]}\n", ":5:11", "twice"),
        (
            "name: s\nbase: mbv2\nchoices: {s1.b1: {kernel: [3]}}\nmultipliers: {height: [1]}\n",
            ":5:15",
            "unknown",
        ),
    ],
)
def test_malformed_space_is_one_located_line(tmp_path: Path, body: str, where: str, message: str) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("version: 1\n" + body)
    result = runner.invoke(app, ["search", str(path), "--trials", "1"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line, repr(line)
    assert f"{path}{where}" in line and message in line, line


def test_hard_search_keeps_latency_under_target_and_resumes(sd855, tmp_path: Path) -> None:
    target_ms = 1.3 * analyze(load_spec("archspecs/mbv2.yaml"), sd855).total.latency_s * 1e3
    settings = SearchSettings("mnasnet_mbv2", engine="evolution", trials=60, target_ms=target_ms, w="hard")
    problem = build_problem(settings)
    store = TrialStore(tmp_path / "run")
    assert store.start(settings.to_dict(), resume=False) == []
    first = list(
        run_search(
            problem, make_engine("evolution", problem.space, 0, ["minimize"] * 2), 30, batch=10, store=store
        )
    )
    stored = store.read()
    assert [r["name"] for r in stored] == [r["name"] for r in first]
    engine = make_engine("evolution", problem.space, 30, ["minimize"] * 2)
    replay(problem, engine, stored)
    rest = list(run_search(problem, engine, 60, done=len(stored), batch=10, store=store))
    everything = store.read()
    assert len(everything) == 60 and len(rest) == 30
    front = pareto_set(problem, everything)
    assert front and all(r["latency_s"] <= target_ms / 1e3 for r in front)
    for record in everything:  # the reward is the formula for every trial
        expected = record["accuracy"] * (
            1.0 if record["latency_s"] <= target_ms / 1e3 else target_ms / 1e3 / record["latency_s"]
        )
        assert record["reward"] == pytest.approx(expected)


def test_search_cli_writes_trials_and_pareto_specs(tmp_path: Path) -> None:
    out, save = tmp_path / "run", tmp_path / "pareto"
    args = [
        "search",
        "mnasnet_mbv2",
        "--trials",
        "40",
        "--engine",
        "random",
        "--out",
        str(out),
        "--save",
        str(save),
    ]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["accuracy_is_proxy"] and len(data["trials"]) == 40
    assert "accuracy: proxy" in result.stderr
    specs = sorted(save.glob("*.yaml"))
    assert specs and len(specs) == sum(t["pareto"] for t in data["trials"])
    again = runner.invoke(app, [*args[:3], "80", *args[4:], "--resume", "--format", "csv"])
    assert again.exit_code == 0, again.output
    assert len(again.stdout.strip().splitlines()) == 81
    assert len(TrialStore(out).read()) == 80
    clash = runner.invoke(app, args)
    assert clash.exit_code == 2 and "--resume" in clash.output


def test_unreachable_storage_is_one_line_exit_2() -> None:
    url = "postgresql://u:secret@127.0.0.1:9/none"
    result = runner.invoke(
        app, ["search", "mnasnet_mbv2", "--engine", "nsga2", "--trials", "2", "--storage", url]
    )
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "cannot open the study storage" in result.output
    assert "secret" not in result.output


def test_nsga2_in_memory_runs(tmp_path: Path) -> None:
    settings = SearchSettings("mnasnet_mbv2", engine="nsga2", trials=20)
    problem = build_problem(settings)
    records = list(run_search(problem, make_engine("nsga2", problem.space, 0, ["minimize"] * 2), 20, batch=8))
    assert len(records) == 20 and pareto_set(problem, records)
    assert evaluate(problem, tuple(records[0]["candidate"]))["macs"] == records[0]["macs"]
