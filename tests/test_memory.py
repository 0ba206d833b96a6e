"""Peak activation memory on small hand-made graphs with answers worked out by hand, and the
schedule search against brute force over every topological order (networkx enumerates them)."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from conftest import parse, run, spec_text

from costmodel.cost.counting import count_nodes
from costmodel.cost.memory import (
    MemoryOptions,
    _greedy_schedule,
    _kernel_graph,
    kernel_plan,
    peak_memory,
    plan_memory,
)
from costmodel.graph.build import build_graph

# Input [1, 4, 4] in fp32 is 64 bytes; a 1x1 conv to c channels makes a tensor of 64 * c bytes.
INPUT = "[1, 4, 4]"


def plan(body: str):
    text = spec_text(body).replace("[3, 32, 32]", INPUT)
    counts = count_nodes(build_graph(parse(text)))
    return counts, plan_memory(counts, onchip_capacity=0, options=MemoryOptions(cache=False))


def conv(name: str, out: int, source: str | None = None) -> str:
    inputs = f", inputs: [{source}]" if source else ""
    return f"    - {{name: {name}, op: conv2d, out: {out}, kernel: 1{inputs}}}\n"


def test_chain() -> None:
    # input 64 -> a 128 -> b 256 -> c 64: during b, a and b are live: 384
    _, memory = plan("  s:\n" + conv("a", 2) + conv("b", 4) + conv("c", 1))
    assert memory.peak_bytes == 384
    assert memory.min_peak_bytes == 384 and memory.min_peak_exact


def test_diamond() -> None:
    # a 256 feeds b 64 and c 512; d = concat(b, c) 576. During d: b + c + d = 1152.
    body = (
        "  s:\n"
        + conv("a", 4)
        + conv("b", 1, "a")
        + conv("c", 8, "a")
        + "    - {name: d, op: concat, inputs: [b, c]}\n"
    )
    _, memory = plan(body)
    assert memory.peak_bytes == 1152
    assert memory.min_peak_bytes == 1152


def test_three_way_concat_order_matters() -> None:
    # p 256 feeds three branches: b1 64, c1 64, and a1 512 -> a2 64; concat of a2, b1, c1.
    # Declared b1, c1 first: during a1, p + b1 + c1 + a1 = 896 are live. Running a1, a2 first
    # keeps b1 and c1 unborn while a1 is live: the peak is during a2, p + a1 + a2 = 832.
    body = (
        "  s:\n"
        + conv("p", 4)
        + conv("b1", 1, "p")
        + conv("c1", 1, "p")
        + conv("a1", 8, "p")
        + conv("a2", 1, "a1")
        + "    - {name: cat, op: concat, inputs: [a2, b1, c1]}\n"
    )
    _, memory = plan(body)
    assert memory.peak_bytes == 896
    assert memory.min_peak_bytes == 832 and memory.min_peak_exact


def test_views_alias_their_input_and_fusion_hides_intermediates() -> None:
    # conv 256 -> relu (fused, in registers) -> flatten (a view) -> linear 10 floats = 40 bytes
    text = spec_text(
        "  s:\n" + conv("a", 4) + "    - {op: relu}\n    - {op: flatten}\n    - {op: linear, out: 10}\n"
    ).replace("[3, 32, 32]", INPUT)
    counts = count_nodes(build_graph(parse(text)))
    memory = plan_memory(counts, 0, MemoryOptions(cache=False))
    assert memory.kernels == ("s.a", "s.linear")
    assert memory.peak_bytes == 64 + 256  # during a: the input and a's output
    unfused = plan_memory(counts, 0, MemoryOptions(fusion=False, cache=False))
    assert unfused.peak_bytes == 256 + 256  # during relu: its input and output


def _kernel_graph_of(counts):
    return _kernel_graph(counts, kernel_plan(counts, fusion=True))


def _brute_force_min_peak(counts) -> int:
    graph = _kernel_graph_of(counts)
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.order)
    for k, tensors in graph.reads.items():
        for t in tensors:
            if t in graph.producer:
                dag.add_edge(graph.producer[t], k)
    orders = itertools.islice(nx.all_topological_sorts(dag), 20000)
    return min(peak_memory(order, graph) for order in orders)


def test_exact_schedule_matches_brute_force_on_an_inception_module() -> None:
    body = (
        "  s:\n"
        + conv("stem", 4)
        + conv("b1", 2, "stem")
        + conv("b2r", 6, "stem")
        + conv("b2", 3, "b2r")
        + conv("b3r", 1, "stem")
        + conv("b3", 5, "b3r")
        + "    - {name: b4p, op: maxpool, kernel: 3, stride: 1, padding: 1, inputs: [stem]}\n"
        + conv("b4", 2, "b4p")
        + "    - {name: cat, op: concat, inputs: [b1, b2, b3, b4]}\n"
    )
    counts, memory = plan(body)
    assert memory.min_peak_exact
    assert memory.min_peak_bytes == _brute_force_min_peak(counts)
    assert memory.min_peak_bytes <= memory.peak_bytes


def test_greedy_schedule_is_a_valid_order_and_never_worse_than_declared(sd855) -> None:
    for name in ("googlenet", "densenet121", "inception_v3"):
        result = run(name, sd855)
        assert not result.min_peak_exact
        assert 0 < result.min_peak_activation_bytes <= result.peak_activation_bytes
    counts = count_nodes(
        build_graph(
            parse(
                spec_text(
                    "  s:\n"
                    + conv("p", 4)
                    + conv("b1", 1, "p")
                    + conv("a1", 8, "p")
                    + conv("a2", 1, "a1")
                    + "    - {name: cat, op: concat, inputs: [a2, b1]}\n"
                ).replace("[3, 32, 32]", INPUT)
            )
        )
    )
    graph = _kernel_graph_of(counts)
    order = _greedy_schedule(graph)
    assert sorted(order) == sorted(graph.order)
    done: set[int] = set()
    for k in order:  # every kernel runs after the producers of what it reads
        assert all(graph.producer[t] in done for t in graph.reads[k] if t in graph.producer)
        done.add(k)


@pytest.mark.parametrize("batch", [1, 4])
def test_peak_scales_with_batch(batch: int, sd855) -> None:
    one = run("mbv3_small", sd855)
    more = run("mbv3_small", sd855, batch=batch)
    assert more.peak_activation_bytes == batch * one.peak_activation_bytes


def test_fused_kernels_count_their_output_in_the_schedule_search() -> None:
    # A chain has one order, so the best schedule's peak is the declared one. Each conv is fused
    # with its relu, so a kernel's output tensor is the relu's, not the conv's.
    body = "  s:\n" + "".join(
        f"    - {{name: c{i}, op: conv2d, out: {c}, kernel: 1, act: relu}}\n" for i, c in enumerate((2, 4, 1))
    )
    counts, memory = plan(body)
    assert memory.kernels == ("s.c0", "s.c1", "s.c2")
    assert memory.peak_bytes == 384  # as test_chain: 128 + 256 live during c1
    assert memory.min_peak_bytes == 384 and memory.min_peak_exact


def test_resident_weights_leave_dram_only_when_they_fit() -> None:
    from costmodel.hw import load_profile

    tpu = load_profile("edgetpu")  # 8 MiB SRAM: half of it may hold weights
    small = run("mbv2", tpu, precision="int8")
    resident = run("mbv2", tpu, precision="int8", resident_weights=True)
    # int8: one byte per param, plus one fp32 scale per output channel of each conv and linear
    scales = 4 * sum(
        r.shape[0] if r.op == "conv2d" else r.shape[-1] for r in small.nodes if r.op in ("conv2d", "linear")
    )
    assert resident.total.weight_bytes == 3_504_872 + scales
    assert small.total.dram_bytes - resident.total.dram_bytes == resident.total.weight_bytes
    assert resident.total.onchip_bytes == small.total.onchip_bytes
    big = run("vgg16", tpu, precision="int8")  # 138 MB of weights cannot stay
    big_resident = run("vgg16", tpu, precision="int8", resident_weights=True)
    assert big_resident.total.dram_bytes == big.total.dram_bytes
