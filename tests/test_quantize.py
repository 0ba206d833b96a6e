"""Quantisation completed (costmodel/cost/quantize.py): conversion nodes where the compute precision
changes, fp32 model boundaries of integer layers, and per-channel weight scales. Expected ops and
bytes are worked out here from the layer shapes and the stated conventions (quantize 4 ops per
element, dequantize 2, cast 1; one fp32 scale per output channel of integer conv/linear)."""

from __future__ import annotations

import pytest
from conftest import parse, spec_text

from costmodel.cost.analysis import AnalysisResult, analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.cost.quantize import conversion
from costmodel.cost.records import Row
from costmodel.hw import load_profile
from costmodel.hw.profile import HardwareProfile

# input 3x8x8; a: 3->4 3x3, b: 4->6 3x3, c: 6->5 1x1; no bias, norm or activation; 'same' padding
THREE_CONVS = """  s:
    - {name: a, op: conv2d, out: 4, kernel: 3, norm: none, act: none, bias: false}
    - {name: b, op: conv2d, out: 6, kernel: 3, norm: none, act: none, bias: false}
    - {name: c, op: conv2d, out: 5, kernel: 1, norm: none, act: none, bias: false}
"""
HW = 8 * 8  # every feature map is 8x8
PARAMS = {"s.a": 4 * 3 * 9, "s.b": 6 * 4 * 9, "s.c": 5 * 6}
CHANNELS = {"s.a": 4, "s.b": 6, "s.c": 5}


def _spec(rule: str = ""):
    header = "input: [3, 8, 8]\n" + (f"precision:\n  {rule}\n" if rule else "")
    return parse(spec_text(THREE_CONVS, header=header).replace("input: [3, 32, 32]\n", ""))


def _analyze(hw: HardwareProfile, rule: str = "", **options: object) -> AnalysisResult:
    """The three convs, with the spec's `precision:` rule `rule` (e.g. 's.b: int8')."""
    return analyze(_spec(rule), hw, AnalysisOptions(**options))  # type: ignore[arg-type]


def _rows(result: AnalysisResult) -> dict[str, Row]:
    return {row.name: row for row in result.nodes}


def test_conventions() -> None:
    assert conversion("fp32", "int8") == ("quantize", 4)  # 1/S multiply, round, + Z, clamp
    assert conversion("int8", "fp32") == ("dequantize", 2)  # - Z, x S
    assert conversion("fp32", "fp16") == ("cast", 1)
    assert conversion("fp16", "fp8") == ("quantize", 2)
    assert conversion("int8", "fp8") == ("quantize", 2 + 2)


def test_fp32_int8_fp32_counts_a_quantize_and_a_dequantize(sd855) -> None:
    result = _analyze(sd855, "s.b: int8")
    rows = _rows(result)
    assert [r.name for r in result.nodes] == ["s.a", "s.a.quantize", "s.b", "s.b.dequantize", "s.c"]
    quantize, dequantize = rows["s.a.quantize"], rows["s.b.dequantize"]
    a_out, b_out = 4 * HW, 6 * HW  # elements converted
    assert (quantize.op, quantize.precision) == ("quantize", "int8")
    assert quantize.ops == 4 * a_out and quantize.macs == quantize.params == 0
    assert (quantize.act_in_bytes, quantize.act_out_bytes) == (a_out * 4, a_out * 1)
    assert dequantize.ops == 2 * b_out
    assert (dequantize.act_in_bytes, dequantize.act_out_bytes) == (b_out * 1, b_out * 4)
    # b reads int8 and stores int8 weights with 6 fp32 scales; a and c stay fp32, no scales
    assert rows["s.b"].act_in_bytes == a_out and rows["s.b"].act_out_bytes == b_out
    assert rows["s.b"].weight_bytes == PARAMS["s.b"] + 6 * 4
    assert rows["s.a"].weight_bytes == 4 * PARAMS["s.a"] and rows["s.c"].weight_bytes == 4 * PARAMS["s.c"]
    assert rows["s.c"].act_in_bytes == b_out * 4
    assert result.total.ops == 4 * a_out + 2 * b_out
    assert result.total.weight_bytes == 4 * (PARAMS["s.a"] + PARAMS["s.c"]) + PARAMS["s.b"] + 6 * 4
    assert any("quantization: 2 " in line for line in result.assumptions)


def test_a_conversion_is_costed_by_the_roofline(sd855) -> None:
    """Plain roofline (every node its own kernel, every tensor through DRAM): the quantize's
    latency from its own ops and bytes, at int8 with the elementwise efficiency and the profile's
    spatial utilisation of its 8x8 map."""
    row = _rows(_analyze(sd855, "s.b: int8", fusion=False, cache=False))["s.a.quantize"]
    elements = 4 * HW
    dram = elements * 4 + elements
    assert row.dram_bytes == dram
    int8 = sd855.precisions["int8"]
    halo = sd855.utilisation.spatial_halo if sd855.utilisation else 0.0
    spatial = 8 * 8 / ((8 + halo) * (8 + halo))  # an 8x8 map: costmodel/cost/utilisation.py
    rate = int8.peak_macs_per_s * sd855.efficiency["elementwise"] * int8.scale * spatial
    compute = 4 * elements / rate
    memory = dram / sd855.memory.dram_bytes_per_s
    assert row.latency_s == pytest.approx(max(compute, memory) + sd855.overhead_s_per_kernel)


def test_whole_int8_changes_only_by_the_boundaries_and_the_scales(sd855) -> None:
    fp32, int8 = _analyze(sd855), _analyze(sd855, precision="int8")
    dense, quantized = _rows(fp32), _rows(int8)
    assert set(quantized) - set(dense) == {"input.quantize", "s.c.dequantize"}
    for name, row in dense.items():
        q = quantized[name]
        assert (q.params, q.macs, q.ops) == (row.params, row.macs, row.ops)
        assert q.weight_bytes == PARAMS[name] + 4 * CHANNELS[name]
        assert q.act_in_bytes * 4 == row.act_in_bytes and q.act_out_bytes * 4 == row.act_out_bytes
    inputs, outputs = 3 * HW, 5 * HW
    assert quantized["input.quantize"].ops == 4 * inputs
    assert quantized["input.quantize"].act_in_bytes == inputs * 4  # the fp32 input
    assert quantized["s.c.dequantize"].ops == 2 * outputs
    assert quantized["s.c.dequantize"].act_out_bytes == outputs * 4  # the fp32 output
    assert int8.total.ops == fp32.total.ops + 4 * inputs + 2 * outputs
    assert int8.total.macs == fp32.total.macs


def test_batch_scales_the_conversions(sd855) -> None:
    one, four = _rows(_analyze(sd855, "s.b: int8")), _rows(_analyze(sd855, "s.b: int8", batch=4))
    assert four["s.a.quantize"].ops == 4 * one["s.a.quantize"].ops
    assert four["s.b"].weight_bytes == one["s.b"].weight_bytes  # weights and scales once per batch


def test_one_conversion_serves_every_reader_of_a_precision(sd855) -> None:
    body = """  s:
    - {name: a, op: conv2d, out: 4, kernel: 3, norm: none, act: none, bias: false}
    - {name: b, op: conv2d, out: 4, kernel: 1, norm: none, act: none, bias: false}
    - {name: c, op: conv2d, out: 4, kernel: 1, norm: none, act: none, bias: false, inputs: [a]}
    - {name: sum, op: add, inputs: [b, c]}
"""
    header = "input: [3, 8, 8]\nprecision:\n  s.b: int8\n  s.c: int8\n  s.sum: int8\n"
    spec = parse(spec_text(body, header=header).replace("input: [3, 32, 32]\n", ""))
    names = [r.name for r in analyze(spec, sd855).nodes]
    assert names.count("s.a.quantize") == 1 and "s.a.quantize_2" not in names
    assert names[-1] == "s.sum.dequantize"  # the int8 output leaves in fp32


def test_a_float_model_is_unchanged_and_fp16_has_no_boundary_casts(sd855) -> None:
    names = [r.name for r in _analyze(sd855).nodes]
    assert names == ["s.a", "s.b", "s.c"]
    h100 = load_profile("h100")
    assert [r.name for r in _analyze(h100, precision="fp16").nodes] == names
    cast = _rows(_analyze(h100, "s.b: fp16"))["s.a.cast"]
    assert cast.ops == 4 * HW and cast.precision == "fp16"


def test_token_ids_are_not_quantized() -> None:
    from conftest import run

    result = run("gpt2", load_profile("h100"), precision="int8")
    conversions = [r.name for r in result.nodes if r.op in ("quantize", "dequantize", "cast")]
    assert conversions == ["head.lm_head.dequantize"]


def test_int8_sparse_weights_keep_their_scales(sd855) -> None:
    from costmodel.cost.sparsity import sparse_weight_bytes

    row = _rows(_analyze(sd855, "s.b: int8", sparsity=(("s.b", "2:4"),)))["s.b"]
    kept = PARAMS["s.b"] // 2
    assert row.weight_bytes == kept + kept * 2 // 8 + 6 * 4
    assert sparse_weight_bytes(PARAMS["s.b"], "int8", "2:4") == kept + kept * 2 // 8
