"""Structured pruning and low-rank factorisation, against specs and ratios written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import parse, spec_named
from typer.testing import CliRunner

from cli import app
from costmodel.compress.lowrank import factorize_graph, parse_factorizations
from costmodel.compress.prune import kept_channels, parse_rules, prune
from costmodel.cost.analysis import AnalysisResult, analyze, analyze_graph
from costmodel.errors import CostModelError
from costmodel.graph.build import build_graph
from costmodel.hw import HardwareProfile
from costmodel.spec.model import load_spec

# MobileNetV2 with every prunable group halved, written by hand: channels kept are c / 2 rounded
# to a multiple of 8 half up (24 -> 12 -> 16), the classifier's 1000 outputs kept. The blocks are
# spelled out so that nothing depends on the `mbconv` block's conditions.
MBV2_HALF = """
version: 1
name: mbv2_half
input: [3, 224, 224]
defaults: {norm: batchnorm, act: relu6}
blocks:
  ir:
    params: {exp: 0, out: null, stride: 1, residual: false}
    layers:  # dw: the expansion's channels, or the input's when there is none
      - {name: expand, op: conv2d, out: exp, kernel: 1, when: "exp > 0"}
      - name: dw
        op: conv2d
        out: "exp if exp > 0 else in_channels"
        groups: "exp if exp > 0 else in_channels"
        kernel: 3
        stride: stride
      - {name: project, op: conv2d, out: out, kernel: 1, act: none}
      - {name: add, op: add, inputs: [input, project], when: residual}
stages:
  stem:
    - {name: conv, op: conv2d, out: 16, kernel: 3, stride: 2}
  body:
    - {name: a1, block: ir, out: 8}
    - {name: b1, block: ir, exp: 48, out: 16, stride: 2}
    - {name: b2, block: ir, exp: 72, out: 16, residual: true}
    - {name: c1, block: ir, exp: 72, out: 16, stride: 2}
    - {name: c2, block: ir, exp: 96, out: 16, residual: true}
    - {name: c3, block: ir, exp: 96, out: 16, residual: true}
    - {name: d1, block: ir, exp: 96, out: 32, stride: 2}
    - {name: d2, block: ir, exp: 192, out: 32, residual: true}
    - {name: d3, block: ir, exp: 192, out: 32, residual: true}
    - {name: d4, block: ir, exp: 192, out: 32, residual: true}
    - {name: e1, block: ir, exp: 192, out: 48}
    - {name: e2, block: ir, exp: 288, out: 48, residual: true}
    - {name: e3, block: ir, exp: 288, out: 48, residual: true}
    - {name: f1, block: ir, exp: 288, out: 80, stride: 2}
    - {name: f2, block: ir, exp: 480, out: 80, residual: true}
    - {name: f3, block: ir, exp: 480, out: 80, residual: true}
    - {name: g1, block: ir, exp: 480, out: 160}
  head:
    - {name: conv, op: conv2d, out: 640, kernel: 1}
    - {name: pool, op: global_avgpool}
    - {name: flatten, op: flatten}
    - {name: dropout, op: dropout, p: 0.2}
    - {name: classifier, op: linear, out: 1000}
"""

KEYS = ("params", "macs", "ops", "weight_bytes", "act_in_bytes", "act_out_bytes")


def counts(result: AnalysisResult) -> dict[str, int]:
    return {key: getattr(result.total, key) for key in KEYS}


def test_half_of_every_group_of_mbv2_is_the_hand_written_spec(sd855: HardwareProfile) -> None:
    pruned = prune(build_graph(spec_named("mbv2")), parse_rules(["*=0.5"]))
    assert counts(analyze_graph(pruned, sd855)) == counts(analyze(parse(MBV2_HALF), sd855))
    assert pruned.spec.name == "mbv2 pruned"


def test_kept_channels_rounding() -> None:
    assert kept_channels(24, 0.5, 8) == 16  # 12 rounds half up to 16
    assert kept_channels(32, 0.9, 8) == 8  # never below one divisor
    assert kept_channels(58, 0.5, 1) == 29


@pytest.mark.parametrize(
    "rules",
    [["nothing.*=0.5"], ["*=0"], ["*=1"], ["*=1.5"], ["*=x"], ["noequals"], ["head.classifier=0.5"]],
)
def test_bad_prune_rules(rules: list[str]) -> None:
    with pytest.raises(CostModelError):
        prune(build_graph(spec_named("mbv2")), parse_rules(rules))


def _conv_spec(kernel: int, cin: int, cout: int) -> str:
    return (
        f"version: 1\nname: t\ninput: [{cin}, 32, 32]\nstages:\n  s:\n"
        f"    - {{name: conv, op: conv2d, out: {cout}, kernel: {kernel}, bias: false, norm: none,"
        " act: none}\n"
    )


def _macs_ratio(kernel: int, cin: int, cout: int, rule: str, sd855: HardwareProfile) -> float:
    graph = build_graph(parse(_conv_spec(kernel, cin, cout)))
    before = analyze_graph(graph, sd855).total.macs
    after = analyze_graph(factorize_graph(graph, parse_factorizations([rule])), sd855).total.macs
    return after / before


def test_depthwise_separable_ratio(sd855: HardwareProfile) -> None:
    # MobileNets (Howard et al. 2017) Sec. 3.1: cost ratio 1/N + 1/Dk^2.
    n, dk = 64, 3
    assert _macs_ratio(dk, 32, n, "s.conv=separable", sd855) == pytest.approx(1 / n + 1 / dk**2)


def test_inception_v3_factorisations(sd855: HardwareProfile) -> None:
    # Szegedy et al. CVPR 2016: 3x3 -> 3x1 + 1x3 at equal channels is (3 + 3) / 9 = 2/3: 33% saved;
    # 5x5 -> two 3x3 is (9 + 9) / 25 = 0.72: 28% saved.
    assert 1 - _macs_ratio(3, 64, 64, "s.conv=kx1", sd855) == pytest.approx(1 / 3)
    assert 1 - _macs_ratio(5, 64, 64, "s.conv=stack3", sd855) == pytest.approx(0.28)


def test_svd_and_tucker_params(sd855: HardwareProfile) -> None:
    graph = build_graph(parse(_conv_spec(3, 64, 128)))
    tucker = factorize_graph(graph, parse_factorizations(["s.conv=tucker:0.5"]))
    # 1x1 64 -> 32, 3x3 32 -> 64, 1x1 64 -> 128
    assert analyze_graph(tucker, sd855).total.params == 64 * 32 + 9 * 32 * 64 + 64 * 128
    head = build_graph(spec_named("mbv2"))
    svd = factorize_graph(head, parse_factorizations(["head.classifier=svd:100"]))
    delta = analyze_graph(head, sd855).total.params - analyze_graph(svd, sd855).total.params
    assert delta == 1280 * 1000 - (1280 * 100 + 100 * 1000)  # the bias stays on the last factor


@pytest.mark.parametrize(
    "rule",
    ["head.classifier=svd:2000", "nothing=svd", "head.classifier=kx1", "x=bogus", "head.classifier=svd:1.5"],
)
def test_bad_factorisations(rule: str) -> None:
    with pytest.raises(CostModelError):
        factorize_graph(build_graph(spec_named("mbv2")), parse_factorizations([rule]))


def test_compress_command(tmp_path: object) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["compress", "mbv2", "--show-groups"])
    assert shown.exit_code == 0 and "s2.b1.1.project" in shown.stdout
    as_json = runner.invoke(app, ["compress", "resnet50", "--show-groups", "--format", "json"])
    assert as_json.exit_code == 0 and '"s1.b.1.downsample"' in as_json.stdout
    pruned = runner.invoke(app, ["compress", "mbv2", "--prune", "s4.*=0.5", "--format", "json"])
    assert pruned.exit_code == 0 and "mbv2 pruned" in pruned.stdout
    factorised = runner.invoke(app, ["compress", "inception_v3", "--factorize", "*=kx1"])
    assert factorised.exit_code == 0
    bad = runner.invoke(app, ["compress", "mbv2", "--prune", "nothing=0.5"])
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_compress_writes_a_valid_spec(tmp_path: Path, sd855: HardwareProfile) -> None:
    runner = CliRunner()
    out = tmp_path / "mbv2_half.yaml"
    result = runner.invoke(app, ["compress", "mbv2", "--prune", "*=0.5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert counts(analyze(load_spec(out), sd855)) == counts(analyze(parse(MBV2_HALF), sd855))
    bad = tmp_path / "bad.yaml"
    assert runner.invoke(app, ["compress", "mbv2", "--prune", "x=0.5", "-o", str(bad)]).exit_code == 2
    assert not bad.exists()
