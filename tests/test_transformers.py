"""Tensors of any rank, transformer ops and LLM inference (issue 12). Expected values come from
formulas written here, or from the reference counts in tests/reference.py."""

from __future__ import annotations

import json
import math

import pytest
from conftest import parse, run, spec_named, spec_text
from typer.testing import CliRunner

from cli import app  # noqa: E402  (conftest puts the project root on the path)
from costmodel.cost.analysis import analyze
from costmodel.cost.counting import count_nodes
from costmodel.cost.generation import generation_summary
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError
from costmodel.graph.build import build_graph
from costmodel.hw import load_profile

runner = CliRunner()


def nodes(body: str, input_shape: str = "[3, 32, 32]", header: str = "") -> list:
    text = spec_text(body, header=header).replace("[3, 32, 32]", input_shape)
    return count_nodes(build_graph(parse(text)))


def test_reshape_is_a_view_and_permute_a_copy() -> None:
    counts = nodes("  s1:\n    - {op: reshape, shape: [3, -1]}\n    - {op: permute, perm: [1, 0]}\n")
    reshape, permute = counts
    assert reshape.shape == (3, 1024) and reshape.is_view and reshape.act_out_bytes == 0
    assert permute.shape == (1024, 3) and not permute.is_view
    assert permute.act_in_bytes == permute.act_out_bytes == 3 * 1024 * 4 and permute.macs == 0


def test_linear_on_the_last_axis_and_tied_weights() -> None:
    (linear,) = nodes("  s1:\n    - {op: linear, out: 16}\n", "[10, 8]")
    assert linear.shape == (10, 16)
    assert (linear.params, linear.macs) == (8 * 16 + 16, 10 * 8 * 16)
    (tied,) = nodes("  s1:\n    - {op: linear, out: 16, bias: false, tied: true}\n", "[10, 8]")
    assert (tied.params, tied.macs, tied.weight_bytes) == (0, 10 * 8 * 16, 8 * 16 * 4)


def test_matmul_counts_macs_and_no_params() -> None:
    body = (
        "  s1:\n    - {name: a, op: reshape, shape: [4, 6, 8]}\n"
        "    - {op: matmul, inputs: [a, a], transpose_b: true}\n"
    )
    _, matmul = nodes(body, "[192]")
    assert matmul.shape == (4, 6, 6)
    assert (matmul.params, matmul.macs) == (0, 4 * 6 * 6 * 8)


def test_attention_macs_gqa_kv_cache_and_unfused_scratch() -> None:
    tokens, heads, kv_heads, head_dim, cached = 5, 8, 2, 4, 11
    body = (
        f"  s1:\n    - {{name: q, op: linear, out: {heads * head_dim}}}\n"
        f"    - {{name: k, op: linear, inputs: [input], out: {kv_heads * head_dim}}}\n"
        f"    - {{name: v, op: linear, inputs: [input], out: {kv_heads * head_dim}}}\n"
        f"    - {{op: attention, inputs: [q, k, v], heads: {heads}, kv_heads: {kv_heads}, cached: {cached},"
        " kv_cache: true, fused: false}\n"
    )
    attention = nodes(body, f"[{tokens}, 16]")[-1]
    attended = cached + tokens
    scores = heads * tokens * attended
    assert attention.shape == (tokens, heads * head_dim)
    assert attention.macs == 2 * scores * head_dim and attention.params == 0
    assert attention.kv_bytes == 2 * kv_heads * head_dim * attended * 4  # per sequence, fp32
    assert attention.scratch_bytes == 4 * scores * 4  # scores and probabilities, out and back


def test_embedding_reads_only_the_looked_up_rows() -> None:
    (embedding,) = nodes("  s1:\n    - {op: embedding, vocab: 1000, dim: 8}\n", "[7]")
    assert embedding.shape == (7, 8) and embedding.params == 8000
    assert embedding.weight_bytes == 7 * 8 * 4


def test_norms_softmax_and_params() -> None:
    ln, rms, softmax, mean = nodes(
        "  s1:\n    - {op: layernorm}\n    - {op: rmsnorm}\n    - {op: softmax}\n    - {op: mean, axis: 0}\n",
        "[6, 10]",
    )
    assert (ln.params, rms.params, softmax.params) == (20, 10, 0)
    assert softmax.op_class == ln.op_class == "elementwise" and softmax.macs == 0
    assert mean.shape == (10,)
    (param,) = nodes("  s1:\n    - {op: param, shape: [1, 4, 5]}\n")
    assert (param.shape, param.params) == ((1, 4, 5), 20)


def test_window_partition_merge_roll_and_upsample() -> None:
    body = (
        "  s1:\n    - {op: roll, shifts: [-3, -3], axes: [0, 1]}\n"
        "    - {op: window_partition, window: 7}\n"
        "    - {op: window_merge, window: 7, size: [14, 21]}\n"
    )
    roll, part, merge = nodes(body, "[14, 21, 5]")
    assert part.shape == (6, 49, 5) and merge.shape == (14, 21, 5) and roll.shape == (14, 21, 5)
    (padded,) = nodes("  s1:\n    - {op: window_partition, window: 7}\n", "[8, 8, 5]")
    assert padded.shape == (4, 49, 5)  # padded to 14 x 14
    (up,) = nodes("  s1:\n    - {op: upsample, scale: 2, mode: bilinear}\n")
    assert up.shape == (3, 64, 64) and up.ops == 7 * 3 * 64 * 64


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_a_shape_that_does_not_broadcast_names_both(op: str) -> None:
    body = f"  s1:\n    - {{name: r, op: reshape, shape: [4, 3]}}\n    - {{op: {op}, inputs: [input, r]}}\n"
    with pytest.raises(CostModelError, match=rf"{op} cannot broadcast \[12\] with \[4, 3\]"):
        nodes(body, "[12]")
    # a size of 1 stretches, and shapes align on their last axes (numpy's rule)
    ok = "  s1:\n    - {name: r, op: reshape, shape: [12, 1]}\n    - {op: " + op + ", inputs: [r, input]}\n"
    assert nodes(ok, "[12]")[-1].shape == (12, 12)


def test_matmul_and_attention_exist_so_nothing_counts_zero_silently() -> None:
    (matmul,) = nodes("  s1:\n    - {op: matmul, inputs: [input, input], transpose_b: true}\n", "[5, 8]")
    assert matmul.macs == 5 * 5 * 8
    with pytest.raises(CostModelError, match="did you mean 'matmul'"):
        parse(spec_text("  s1:\n    - {op: matmull}\n"))


def test_input_may_use_vars_and_set() -> None:
    text = "version: 1\nname: t\ninput: [n, 8]\nvars: {n: 4}\nstages:\n  s1:\n    - {op: linear, out: 2}\n"
    spec = parse(text)
    assert build_graph(spec).input_shape == (4, 8)
    from costmodel.graph.model import BuildOptions

    assert build_graph(spec, BuildOptions(vars=(("n", 9),))).input_shape == (9, 8)


# -- LLM inference ----------------------------------------------------------------------------

LLAMA = {"layers": 32, "d": 4096, "kv_heads": 32, "head_dim": 128, "vocab": 32000}


def _llama_bytes(context: int, batch: int, weight_bytes: float, kv_bytes: float) -> tuple[float, float]:
    """Weights a decode step must read (every param but the embedding table, of which one row per
    sequence) and the KV cache of all sequences, computed from the architecture."""
    params = 6_738_415_616
    table = LLAMA["vocab"] * LLAMA["d"]
    weights = (params - table + batch * LLAMA["d"]) * weight_bytes
    kv = batch * LLAMA["layers"] * 2 * LLAMA["kv_heads"] * LLAMA["head_dim"] * context * kv_bytes
    return weights, kv


def test_decode_on_h100_is_memory_bound_and_never_below_the_bytes_it_must_move() -> None:
    hw = load_profile("h100")
    bandwidth = 3.35e12  # the H100 SXM datasheet's HBM3 bandwidth, as the profile says
    for batch in (1, 16):
        options = AnalysisOptions(precision="fp16", phase="decode", context=1024, batch=batch)
        result = analyze(spec_named("llama2_7b"), hw, options)
        weights, kv = _llama_bytes(1024, batch, 2, 2)
        assert result.total.latency_s >= (weights + kv) / bandwidth
        assert result.total.dram_bytes >= weights + kv
        if batch == 1:
            # weight streaming dominates; the rest is small elementwise kernels that cannot fill
            # the 132 SMs at batch 1 (the work model: cost/utilisation.py)
            assert result.total.memory_bound_s / result.total.latency_s > 0.9
        assert result.footprint.kv_cache_bytes == kv  # per sequence: scales with the batch


def test_batch_reads_weights_once_and_the_kv_cache_per_sequence() -> None:
    hw = load_profile("h100")
    one, sixteen = (
        analyze(spec_named("gpt2"), hw, AnalysisOptions(phase="decode", context=512, batch=b))
        for b in (1, 16)
    )
    kv_one = 12 * 2 * 768 * 512 * 4
    assert one.footprint.kv_cache_bytes == kv_one and sixteen.footprint.kv_cache_bytes == 16 * kv_one
    linear_weights = [r.weight_bytes for r in one.nodes if r.op == "linear"]
    assert linear_weights == [r.weight_bytes for r in sixteen.nodes if r.op == "linear"]


def test_weight_activation_and_kv_precisions() -> None:
    hw = load_profile("h100")
    options = AnalysisOptions(
        precision="int4", act_precision="fp16", kv_precision="fp8", phase="decode", context=2048
    )
    result = analyze(spec_named("llama2_7b"), hw, options)
    _, kv = _llama_bytes(2048, 1, 0.5, 1)
    assert result.footprint.kv_cache_bytes == kv
    # int4 packs two weights a byte; every linear adds one fp32 scale per output channel
    # (cost/quantize.py): per layer q, k, v, o and down 4096 each, gate and up 11008 each; lm_head 32000.
    scales = 4 * (32 * (5 * 4096 + 2 * 11008) + 32000)
    assert result.footprint.weight_bytes == 6_738_415_616 // 2 + scales
    assert "activations fp16" in result.precision_plan and "KV cache fp8" in result.precision_plan


def test_a_model_that_does_not_fit_is_an_error() -> None:
    hw = load_profile("a100")  # 80 GB
    options = AnalysisOptions(phase="decode", context=4096, batch=64)  # fp32: 27 GB + 275 GB of KV
    with pytest.raises(CostModelError, match="does not fit in a100"):
        analyze(spec_named("llama2_7b"), hw, options)


def test_phase_needs_a_language_model() -> None:
    with pytest.raises(CostModelError, match="declaring the vars tokens, cached"):
        run("mbv2", load_profile("h100"), phase="decode")
    with pytest.raises(CostModelError, match="--context needs --phase"):
        run("gpt2", load_profile("h100"), context=10)


def test_generation_summary() -> None:
    hw = load_profile("h100")
    spec = spec_named("gpt2")
    summary = generation_summary(spec, hw, AnalysisOptions(), prompt=64, gen=4)
    prefill = analyze(spec, hw, AnalysisOptions(phase="prefill", context=64)).total.latency_s
    steps = [
        analyze(spec, hw, AnalysisOptions(phase="decode", context=c)).total.latency_s for c in (65, 66, 67)
    ]
    assert summary.ttft_s == prefill
    assert summary.tpot_s == pytest.approx(sum(steps) / 3)
    assert summary.tokens_per_s == pytest.approx(1 / summary.tpot_s)
    assert summary.total_s == pytest.approx(prefill + 3 * summary.tpot_s)
    long = generation_summary(spec, hw, AnalysisOptions(), prompt=64, gen=200)
    assert len(long.sampled_steps) == 9 and long.sampled_steps[0] == 65 and long.sampled_steps[-1] == 263
    data = json.loads(
        runner.invoke(
            app, ["generate", "gpt2", "--hw", "h100", "--prompt", "8", "--gen", "2", "--format", "json"]
        ).stdout
    )
    assert data["prompt"] == 8 and data["sampled_steps"] == [9]
    text = runner.invoke(app, ["generate", "gpt2", "--hw", "h100", "--prompt", "8", "--gen", "1"]).stdout
    assert "time to first token" in text


def test_fp8_peaks_on_hopper_only() -> None:
    assert load_profile("h100").precision("fp8").peak_macs_per_s == 989.5e12  # 1979 TFLOP/s dense
    with pytest.raises(CostModelError):
        load_profile("a100").precision("fp8")
    assert math.isclose(load_profile("h200").precision("fp8").peak_macs_per_s, 989.5e12)


@pytest.mark.parametrize(
    "name,options",
    [
        ("vit_b_16", {"resolution": 32}),
        ("convnext_tiny", {"resolution": 64}),
        ("mobilevit_s", {"resolution": 64}),
        ("swin_t", {}),
        ("gpt2", {"vars": (("tokens", 8), ("layers", 2))}),
    ],
)
def test_transformers_export_to_onnx_and_run(name: str, options: dict) -> None:
    np = pytest.importorskip("numpy")
    ort = pytest.importorskip("onnxruntime")
    from costmodel.graph.model import BuildOptions
    from costmodel.measure.onnx_export import export_onnx

    graph = build_graph(spec_named(name), BuildOptions(**options))
    model = export_onnx(graph)
    session = ort.InferenceSession(model.SerializeToString())
    (out,) = session.run(None, {"input": np.random.rand(1, *graph.input_shape).astype(np.float32)})
    assert out.shape == (1, *graph.by_name[graph.output].shape)
