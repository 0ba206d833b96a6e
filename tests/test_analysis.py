"""Properties of the analysis that hold for any spec: sums, scaling, invariances."""

from __future__ import annotations

import math

import pytest
from conftest import run

from costmodel.cost.analysis import GROUP_BY, Row

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


@pytest.mark.parametrize("group_by", GROUP_BY)
@pytest.mark.parametrize("name", ["mbv3_small", "googlenet", "densenet121"])
def test_rows_add_up_to_totals(name: str, group_by: str, sd855) -> None:
    result = run(name, sd855)
    rows = result.rows(group_by)
    for key in ADDITIVE:
        summed = sum(getattr(r, key) for r in rows)
        assert summed == pytest.approx(getattr(result.total, key), rel=1e-12), key
    assert sum(r.nodes for r in rows) == result.total.nodes


def test_macs_scale_exactly_with_batch(sd855) -> None:
    one, eight = run("mbv3_small", sd855), run("mbv3_small", sd855, batch=8)
    assert eight.total.macs == 8 * one.total.macs
    assert eight.total.ops == 8 * one.total.ops
    assert eight.total.act_out_bytes == 8 * one.total.act_out_bytes
    assert eight.total.params == one.total.params
    assert eight.total.weight_bytes == one.total.weight_bytes


def test_params_do_not_change_with_resolution(sd855) -> None:
    base = run("mbv3_large", sd855)
    for resolution in (96, 160, 192, 256):
        other = run("mbv3_large", sd855, resolution=resolution)
        assert other.total.params == base.total.params
    # Doubling the side of a stride-32 net doubles every feature map's side exactly, so each conv
    # does 4x the MACs, while layers after a global pooling (SE convs, linear) do the same.
    big = run("mbv3_large", sd855, resolution=448)
    for a, b in zip(base.nodes, big.nodes, strict=True):
        assert a.name == b.name
        pooled = len(a.shape) == 1 or a.shape[1:] == (1, 1)
        assert b.macs == (a.macs if pooled else 4 * a.macs), a.name


def test_precision_changes_bytes_not_counts(sd855) -> None:
    fp32, int8 = run("mbv3_small", sd855), run("mbv3_small", sd855, precision="int8")
    assert int8.total.macs == fp32.total.macs
    # one byte per param instead of four, plus one fp32 scale per output channel of conv/linear
    channels = sum(
        r.shape[0] if r.op == "conv2d" else r.shape[-1] for r in fp32.nodes if r.op in ("conv2d", "linear")
    )
    assert int8.total.weight_bytes == fp32.total.weight_bytes // 4 + 4 * channels
    assert int8.total.latency_s < fp32.total.latency_s


def test_roofline_formula_on_one_node_without_fusion_or_cache(sd855) -> None:
    """Recompute one node's latency and energy from the profile by hand (plain roofline)."""
    result = run("mbv3_small", sd855, fusion=False, cache=False)
    node: Row = next(r for r in result.nodes if r.name == "stem.conv")
    # conv 3->16, 3x3, stride 2, 224 -> 112: MACs = 16*112*112*3*3*3
    assert node.macs == 16 * 112 * 112 * 27
    weight_bytes = 16 * 27 * 4
    act_bytes = (3 * 224 * 224 + 16 * 112 * 112) * 4
    assert node.dram_bytes == node.naive_dram_bytes == weight_bytes + act_bytes
    fp32, mem = sd855.precisions["fp32"], sd855.memory
    halo = sd855.utilisation.spatial_halo if sd855.utilisation else 0.0
    spatial = 112 * 112 / ((112 + halo) * (112 + halo))  # a 112x112 map: costmodel/cost/utilisation.py
    compute = node.macs / (fp32.peak_macs_per_s * sd855.efficiency["conv"] * fp32.scale * spatial)
    memory = (weight_bytes + act_bytes) / mem.dram_bytes_per_s
    assert node.latency_s == pytest.approx(max(compute, memory) + sd855.overhead_s_per_kernel)
    energy = (
        node.macs * fp32.energy_pj_per_mac * 1e-12
        + node.dram_bytes * mem.dram_pj_per_byte * 1e-12
        + node.onchip_bytes * mem.onchip_pj_per_byte * 1e-12
        + sd855.static_power_w * node.latency_s
    )
    assert node.energy_j == pytest.approx(energy)
    assert node.bound == ("compute" if compute > memory else "memory")
    assert result.total.dram_bytes == result.total.naive_dram_bytes
    assert result.kernels == sum(1 for r in result.nodes if r.op not in ("flatten", "dropout"))


def test_fused_stem_kernel_by_hand(sd855) -> None:
    """conv + bn + hardswish run as one kernel; its output (802,816 B) fits in half of the 3 MB
    system cache and is read by the next kernel only, so it never reaches DRAM."""
    result = run("mbv3_small", sd855)
    stem = {r.name: r for r in result.nodes if r.name.startswith("stem.")}
    assert {r.kernel for r in stem.values()} == {"stem.conv"}
    weights = (16 * 27 + 2 * 16) * 4  # conv weights + BN gamma/beta
    input_bytes = 3 * 224 * 224 * 4  # from DRAM: the image comes from outside
    assert sum(r.dram_bytes for r in stem.values()) == weights + input_bytes
    peak, eff = sd855.precisions["fp32"].peak_macs_per_s, sd855.efficiency
    halo = sd855.utilisation.spatial_halo if sd855.utilisation else 0.0
    spatial = 112 * 112 / ((112 + halo) * (112 + halo))  # every node's map is 112x112
    compute = (16 * 112 * 112 * 27) / (peak * eff["conv"] * spatial) + (2 + 4) * 16 * 112 * 112 / (
        peak * eff["elementwise"] * spatial
    )  # bn 2 + hardswish 4 ops/element
    memory = (weights + input_bytes) / sd855.memory.dram_bytes_per_s
    kernel_latency = sum(r.latency_s for r in stem.values())
    assert kernel_latency == pytest.approx(max(compute, memory) + sd855.overhead_s_per_kernel)


def test_fusion_and_cache_only_remove_traffic(sd855) -> None:
    for name in ("mbv3_large", "googlenet", "shufflenet_v2_x1_0"):
        naive = run(name, sd855, fusion=False, cache=False).total
        fused = run(name, sd855, cache=False).total
        cached = run(name, sd855).total
        assert naive.dram_bytes == naive.naive_dram_bytes
        assert cached.dram_bytes <= fused.dram_bytes < naive.dram_bytes
        assert cached.latency_s <= fused.latency_s < naive.latency_s
        assert cached.macs == naive.macs and cached.weight_bytes == naive.weight_bytes


def test_views_cost_nothing(sd855) -> None:
    result = run("mbv3_small", sd855)
    for row in result.nodes:
        if row.op in ("flatten", "dropout", "identity"):
            assert row.latency_s == 0 and row.dram_bytes == 0 and row.energy_j == 0


def test_latency_and_energy_are_finite_and_positive(sd855) -> None:
    total = run("mbv3_large", sd855).total
    assert math.isfinite(total.latency_s) and total.latency_s > 0
    assert math.isfinite(total.energy_j) and total.energy_j > 0
    assert total.compute_energy_j + total.data_energy_j < total.energy_j  # + static power


def test_graph_is_a_dag_with_one_source_and_the_declared_output() -> None:
    import networkx as nx
    from conftest import spec_named

    from costmodel.graph.build import build_graph

    for name in ("mbv3_small", "googlenet", "nasnet_a_mobile"):
        graph = build_graph(spec_named(name))
        digraph = graph.digraph
        assert isinstance(digraph, nx.DiGraph)
        assert nx.is_directed_acyclic_graph(digraph)
        assert [n for n in digraph if digraph.in_degree(n) == 0] == ["input"]
        assert digraph.number_of_nodes() == len(graph.nodes)
        assert graph.output in digraph
        assert all(digraph.has_edge(src, node.name) for node in graph.nodes for src in node.inputs)


def test_mixed_precision_rules(sd855) -> None:
    from conftest import spec_named

    from costmodel.cost.analysis import analyze
    from costmodel.cost.options import AnalysisOptions

    spec = spec_named("mbv3_small")
    options = AnalysisOptions(precision="int8", layer_precision=(("stem.*", "fp32"),))
    result = analyze(spec, sd855, options)
    rows = {r.name: r for r in result.nodes}
    assert rows["stem.conv"].precision == "fp32" and rows["s1.b1.dw"].precision == "int8"
    assert rows["stem.conv"].weight_bytes == 4 * rows["stem.conv"].params
    dw = rows["s1.b1.dw"]  # 16 channels: 16 x 3 x 3 int8 weights + 16 fp32 scales
    assert dw.params == 16 * 9 and dw.weight_bytes == dw.params + 16 * 4
    all_int8 = analyze(spec, sd855, AnalysisOptions(precision="int8"))
    # only the stem's weights change: 4 bytes instead of 1 for its 464 params, and its conv's 16
    # per-channel fp32 scales are gone (fp32 weights have none)
    assert result.total.weight_bytes - all_int8.total.weight_bytes == 3 * 464 - 16 * 4
    int4 = analyze(spec, sd855, AnalysisOptions(precision="int4"))
    # two weights a byte, plus one fp32 scale per output channel of each conv and linear
    scales = 4 * sum(
        r.shape[0] if r.op == "conv2d" else r.shape[-1] for r in int4.nodes if r.op in ("conv2d", "linear")
    )
    assert int4.total.weight_bytes == sum((r.params + 1) // 2 for r in int4.nodes) + scales
    assert int4.total.act_out_bytes == all_int8.total.act_out_bytes  # int8 activations
