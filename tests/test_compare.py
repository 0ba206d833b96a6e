"""`diff`: totals and deltas, and the alignment of two graphs' rows by name and by structure."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, parse, run
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import GROUP_BY, AnalysisResult, analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw.profile import HardwareProfile
from costmodel.present.compare import ROW_KEYS, build_diff
from costmodel.present.metrics import DIFF_TOTALS, METRICS

runner = CliRunner()

ADDITIVE = (
    "params",
    "macs",
    "ops",
    "weight_bytes",
    "act_in_bytes",
    "act_out_bytes",
    "dram_bytes",
    "latency_s",
    "energy_j",
)


# -- totals and deltas ----------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", GROUP_BY)
def test_diff_of_a_spec_with_itself_is_all_zero(group_by: str, sd855: HardwareProfile) -> None:
    a, b = run("mbv3_large", sd855), run("mbv3_large", sd855)
    diff = build_diff(a, b, group_by)
    assert all(t.delta == 0 and t.percent == 0 for t in diff.totals)
    assert {p.status for p in diff.pairs} == {"same"}
    assert all(p.match == "name" for p in diff.pairs)
    assert len(diff.pairs) == len(a.rows(group_by))
    for pair in diff.pairs:
        assert all(pair.delta(key) == 0 for key in ROW_KEYS)


def test_deltas_are_b_minus_a_of_two_separate_analyses(sd855: HardwareProfile) -> None:
    a = run("mbv3_large_original_last_stage", sd855)
    b = run("mbv3_large", sd855)
    diff = build_diff(a, b, "stage")
    for key in DIFF_TOTALS:
        t = diff.total(key)
        expected_a, expected_b = METRICS[key].total(a), METRICS[key].total(b)
        assert (t.a, t.b) == (expected_a, expected_b)
        assert t.delta == expected_b - expected_a, key
    # the README's headline: the efficient last stage saves 34,317,760 MACs (34.3M)
    assert diff.total("macs").delta == 216_589_760 - 250_907_520 == -34_317_760
    assert diff.total("params").delta == 5_483_032 - 4_983_512
    assert diff.total("latency_s").delta < 0
    # every row delta is B - A of that row; rows add up to the total delta
    for group_by in GROUP_BY:
        rows_diff = build_diff(a, b, group_by)
        for key in ADDITIVE:
            summed = sum(p.delta(key) for p in rows_diff.pairs)
            expected = METRICS[key].total(b) - METRICS[key].total(a)
            assert summed == pytest.approx(expected, rel=1e-9, abs=1e-15), (group_by, key)


def test_headline_stage_table(sd855: HardwareProfile) -> None:
    diff = build_diff(run("mbv3_large_original_last_stage", sd855), run("mbv3_large", sd855), "stage")
    status = {p.name: p.status for p in diff.pairs}
    assert status == {
        "stem": "same",
        "s1": "same",
        "s2": "same",
        "s3": "same",
        "s4": "same",
        "s5": "same",
        "head": "changed",
    }
    layers = build_diff(diff.a, diff.b, "layer")
    changed = {p.name: p.status for p in layers.pairs if p.status != "same"}
    assert changed["head.dw"] == changed["head.project"] == changed["head.conv2"] == "removed"
    assert changed["head.fc1"] == "added"
    assert "head.conv" not in changed and "head.classifier" not in changed


def test_one_spec_on_two_option_sets(sd855: HardwareProfile) -> None:
    a, b = run("mbv3_large", sd855), run("mbv3_large", sd855, width=0.75)
    diff = build_diff(a, b, "block")
    assert diff.labels == ("width 1", "width 0.75")
    assert diff.total("params").b == 3_377_576
    assert all(p.match == "name" for p in diff.pairs)
    assert diff.count("added") == diff.count("removed") == 0


# -- alignment ------------------------------------------------------------------------------------

BASE = """\
  stem:
    - {name: conv, op: conv2d, out: 16, kernel: 3, stride: 2, act: relu}
  s1:
    - {name: b1, block: inverted_residual, exp: 48, out: 24, kernel: 3, stride: 2, act: relu}
    - {name: b2, block: inverted_residual, exp: 72, out: 24, kernel: 3, act: relu}
  s2:
    - {name: b1, block: inverted_residual, exp: 72, out: 40, kernel: 5, stride: 2, act: relu}
    - {name: b2, block: inverted_residual, exp: 120, out: 40, kernel: 5, act: relu}
  head:
    - {name: conv, op: conv2d, out: 96, kernel: 1, act: relu}
    - {name: extra, op: conv2d, out: 96, kernel: 1, act: relu}
    - {name: pool, op: global_avgpool}
    - {name: flatten, op: flatten}
    - {name: fc, op: linear, out: 10}
"""
HEADER = "imports: [mobilenet]\ndefaults: {norm: batchnorm, act: none}\n"


def _analyze(body: str, hw: HardwareProfile) -> AnalysisResult:
    from conftest import spec_text

    return analyze(parse(spec_text(body, header=HEADER)), hw, AnalysisOptions())


def _statuses(diff: object) -> dict[str, str]:
    return {p.name: p.status for p in diff.pairs}  # type: ignore[attr-defined]


def test_a_renamed_stage_aligns_by_structure(sd855: HardwareProfile) -> None:
    a = _analyze(BASE, sd855)
    b = _analyze(BASE.replace("  s1:\n", "  body:\n"), sd855)
    stages = build_diff(a, b, "stage")
    assert [p.name for p in stages.pairs] == ["stem", "s1 → body", "s2", "head"]
    pair = stages.pairs[1]
    assert pair.renamed and pair.match == "structure" and pair.status == "same"
    blocks = build_diff(a, b, "block")
    assert _statuses(blocks)["s1.b1 → body.b1"] == "same"
    assert _statuses(blocks)["s1.b2 → body.b2"] == "same"
    assert blocks.count("added") == blocks.count("removed") == 0
    assert all(t.delta == 0 for t in blocks.totals)


def test_a_renamed_and_changed_stage_still_aligns(sd855: HardwareProfile) -> None:
    a = _analyze(BASE, sd855)
    b = _analyze(BASE.replace("  s1:\n", "  body:\n").replace("exp: 72, out: 24", "exp: 96, out: 24"), sd855)
    stages = build_diff(a, b, "stage")
    assert _statuses(stages)["s1 → body"] == "changed"
    blocks = _statuses(build_diff(a, b, "block"))
    assert blocks["s1.b1 → body.b1"] == "same"
    assert blocks["s1.b2 → body.b2"] == "changed"


def test_an_inserted_block_is_added(sd855: HardwareProfile) -> None:
    a = _analyze(BASE, sd855)
    inserted = BASE.replace(
        "    - {name: b2, block: inverted_residual, exp: 72, out: 24, kernel: 3, act: relu}\n",
        "    - {name: b2, block: inverted_residual, exp: 72, out: 24, kernel: 3, act: relu}\n"
        "    - {name: b3, block: inverted_residual, exp: 72, out: 24, kernel: 3, act: relu}\n",
    )
    b = _analyze(inserted, sd855)
    diff = build_diff(a, b, "block")
    names = [p.name for p in diff.pairs]
    assert names.index("s1.b2") < names.index("s1.b3") < names.index("s2.b1")
    assert _statuses(diff)["s1.b3"] == "added"
    assert diff.count("added") == 1 and diff.count("removed") == 0
    stages = _statuses(build_diff(a, b, "stage"))
    assert stages["s1"] == "changed" and stages["stem"] == "same"
    # an inserted block with a name of its own, between two others
    b2 = _analyze(
        BASE.replace(
            "    - {name: b2, block: inverted_residual, exp: 120",
            "    - {name: new, block: inverted_residual, exp: 100, out: 40, kernel: 3, act: relu}\n"
            "    - {name: b2, block: inverted_residual, exp: 120",
        ),
        sd855,
    )
    diff2 = build_diff(a, b2, "block")
    names2 = [p.name for p in diff2.pairs]
    assert names2.index("s2.b1") < names2.index("s2.new") < names2.index("s2.b2")
    assert _statuses(diff2)["s2.new"] == "added"


def test_a_removed_layer_is_removed(sd855: HardwareProfile) -> None:
    a = _analyze(BASE, sd855)
    b = _analyze(BASE.replace("    - {name: extra, op: conv2d, out: 96, kernel: 1, act: relu}\n", ""), sd855)
    for group_by in ("layer", "block"):
        diff = build_diff(a, b, group_by)
        statuses = _statuses(diff)
        assert statuses["head.extra"] == "removed"
        assert diff.count("removed") == 1 and diff.count("added") == 0
        names = [p.name for p in diff.pairs]
        assert names.index("head.conv") < names.index("head.extra") < names.index("head.pool")
    node_diff = build_diff(a, b, "node")
    assert {p.name for p in node_diff.pairs if p.status == "removed"} == {
        "head.extra",
        "head.extra.bn",
        "head.extra.act",
    }


def test_a_replaced_layer_pairs_with_its_replacement(sd855: HardwareProfile) -> None:
    """A layer renamed and changed pairs with the new one when its kind matches."""
    a = _analyze(BASE, sd855)
    b = _analyze(
        BASE.replace("{name: extra, op: conv2d, out: 96,", "{name: more, op: conv2d, out: 128,"), sd855
    )
    statuses = _statuses(build_diff(a, b, "layer"))
    assert statuses["head.extra → head.more"] == "changed"


# -- the command ----------------------------------------------------------------------------------


def test_cli_diff_table_and_json() -> None:
    args = [
        "diff",
        "archspecs/mbv3_large_original_last_stage.yaml",
        "archspecs/mbv3_large.yaml",
        "--hw",
        "snapdragon855",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for needle in ("Totals", "Per stage", "-34.3M", "-13.7%", "head", "changed", "B vs A"):
        assert needle in out, needle
    assert "\x1b[" not in out
    result = runner.invoke(app, [*args, "--format", "json", "--group-by", "layer"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    macs = next(t for t in data["totals"] if t["metric"] == "macs")
    assert (macs["a"], macs["b"], macs["delta"]) == (250_907_520, 216_589_760, -34_317_760)
    assert data["counts"]["added"] == 1 and data["counts"]["removed"] == 3


def test_cli_diff_two_profiles_and_two_option_sets(tmp_path) -> None:
    profile = (ROOT / "hardware" / "snapdragon855.yaml").read_text(encoding="utf-8")
    fast = tmp_path / "fast.yaml"
    fast.write_text(
        profile.replace("name: snapdragon855", "name: fast").replace(
            "dram_bytes_per_s: 34.1e9", "dram_bytes_per_s: 68.2e9"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["diff", "mbv3_small", "--hw", "snapdragon855", "--hw-b", str(fast), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["a"]["label"], data["b"]["label"]) == ("snapdragon855", "fast")
    totals = {t["metric"]: t for t in data["totals"]}
    assert totals["macs"]["delta"] == 0 and totals["latency_s"]["delta"] <= 0

    result = runner.invoke(app, ["diff", "mbv3_large", "--width-b", "0.75", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["b"]["options"]["width"] == 0.75
    assert {t["metric"]: t for t in data["totals"]}["params"]["b"] == 3_377_576


def test_cli_diff_errors_are_one_line() -> None:
    for args in (
        ["diff", "mbv3_small", "nope"],
        ["diff", "mbv3_small", "--hw-b", "nope"],
        ["diff", "mbv3_small", "--plot", "x.gif"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
