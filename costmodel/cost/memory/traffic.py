"""DRAM and on-chip traffic per node, and the memory plan of a whole graph.

Weights are read from DRAM once per batch. An activation crosses DRAM unless it stays on chip: it
does when it fits in `cache_fraction` of the largest on-chip memory and its consumer is the very
next kernel (the producer's output is still in cache). A tensor is written to DRAM unless its only
consumer is that next kernel; the model's output is always written. Views (flatten, dropout,
identity, slice) are free aliases of their input. Every byte a kernel reads or writes passes
through the caches, which is the on-chip traffic charged for energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from costmodel.cost.counting import NodeCount
from costmodel.cost.memory.fusion import GRAPH_INPUT, Handover, KernelPlan, kernel_plan
from costmodel.cost.memory.schedule import _KernelGraph, _peak, min_peak_schedule
from costmodel.errors import CostModelError, ErrorCode


@dataclass(frozen=True)
class MemoryOptions:
    fusion: bool = True
    cache: bool = True
    cache_fraction: float = 0.5  # of the largest on-chip level; the rest holds weights and outputs
    # Weights stay on chip across inferences when all of them fit beside the activations' share
    # (the Edge TPU caches a compiled model in its SRAM; big GPU L2s hold small models).
    resident_weights: bool = False

    def check(self) -> None:
        if not 0 < self.cache_fraction <= 1:
            raise CostModelError(
                ErrorCode.OPTION, f"cache fraction must be in (0, 1], got {self.cache_fraction}"
            )

    def describe(self, onchip_bytes: int) -> str:
        fusion = (
            "conv/linear + following elementwise ops fused into one kernel"
            if self.fusion
            else "no fusion: every node is its own kernel"
        )
        if self.cache and onchip_bytes:
            cache = (
                f"an activation up to {self.cache_fraction:g} x {onchip_bytes:,} B on chip "
                "passed to the next kernel stays on chip"
            )
        else:
            cache = "every activation goes through DRAM"
        weights = "weights read from DRAM once per batch"
        if self.resident_weights:
            weights = (
                f"weights resident on chip if they fit in {1 - self.cache_fraction:g} x "
                f"{onchip_bytes:,} B, else read once per batch"
            )
        return f"{fusion}; {weights}; {cache}"


class Traffic(NamedTuple):
    kernel: str  # the kernel (named after its first node) this node runs in
    dram_bytes: int
    onchip_bytes: int


@dataclass(frozen=True)
class MemoryPlan:
    traffic: tuple[Traffic, ...]  # one per node, aligned with the counts
    kernels: tuple[str, ...]  # kernel names in execution order (views excluded)
    peak_bytes: int  # peak live activation bytes in the declared order
    min_peak_bytes: int  # the best order found
    min_peak_exact: bool  # True when the search was exhaustive
    weights_resident: bool = False  # the weights stayed on chip (no weight bytes from DRAM)
    kernel_plan: KernelPlan | None = None  # the fusion this plan used (a sweep reuses it)


def _kernel_graph(counts: list[NodeCount], kernels: KernelPlan) -> _KernelGraph:
    size: dict[int, int] = {}
    for tensor in kernels.materialised:
        if tensor == GRAPH_INPUT:  # as large as the largest read of it
            size[GRAPH_INPUT] = max(
                (counts[i].input_bytes[slot] for i, slot in kernels.graph_input_reads), default=0
            )
        else:
            size[tensor] = counts[tensor].out_bytes
    return _KernelGraph(kernels.order, kernels.reads, kernels.writes, size, kernels.producer, kernels.outputs)


def plan_memory(
    counts: list[NodeCount],
    onchip_capacity: int,
    options: MemoryOptions = MemoryOptions(),
    kernels: KernelPlan | None = None,
    search_schedule: bool = True,
) -> MemoryPlan:
    """Traffic per node and peak activation memory. `kernels` (from `kernel_plan`) saves working
    out the fusion again for a graph of the same structure; without `search_schedule` the best
    order is not searched for and `min_peak_bytes` is the declared order's peak."""
    options.check()
    if kernels is None or not kernels.fits(counts, options.fusion):
        kernels = kernel_plan(counts, options.fusion)
    graph = _kernel_graph(counts, kernels)
    size = graph.size
    limit = options.cache_fraction * onchip_capacity if options.cache else 0
    weights_resident = (
        options.resident_weights
        and sum(c.weight_bytes for c in counts) <= (1 - options.cache_fraction) * onchip_capacity
    )

    traffic: list[Traffic] = []
    for count, name, external, handover in zip(
        counts, kernels.kernel_names, kernels.external_reads, kernels.output_handover, strict=True
    ):
        if count.is_view:
            traffic.append(Traffic(name, 0, 0))
            continue
        onchip = count.weight_bytes
        dram = 0 if weights_resident else onchip
        if count.kv_bytes or count.scratch_bytes:  # the KV cache and unfused scores live in DRAM
            dram += count.kv_bytes + count.scratch_bytes
            onchip += count.kv_bytes + count.scratch_bytes
        input_bytes = count.input_bytes
        for slot, tensor, from_previous_kernel in external:
            nbytes = input_bytes[slot]
            onchip += nbytes
            if not (from_previous_kernel and size[tensor] <= limit):
                dram += nbytes
        if handover != Handover.NONE:  # materialised: somebody outside the kernel reads it
            onchip += count.out_bytes
            if not (handover == Handover.TO_NEXT_KERNEL and count.out_bytes <= limit):
                dram += count.out_bytes
        traffic.append(Traffic(name, dram, onchip))

    declared_peak = _peak(kernels.declared_lifetimes, size, len(graph.order))
    best_peak, exact = min_peak_schedule(graph) if search_schedule else (declared_peak, False)
    return MemoryPlan(
        tuple(traffic),
        tuple(counts[k].name for k in graph.order),
        declared_peak,
        min(best_peak, declared_peak),
        exact,
        weights_resident,
        kernels,
    )
