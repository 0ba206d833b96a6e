"""Memory model: fusion into kernels, DRAM vs on-chip traffic, and peak activation memory.

Fusion. Inference engines run a conv or linear layer together with the elementwise ops that
follow it (batchnorm folded or applied in the epilogue, the activation) as one kernel, so the
intermediate tensors never leave registers. Here a single-input elementwise node joins its
producer's kernel when that producer feeds nothing else; chains (conv -> bn -> act) fuse whole.

Traffic. Weights are read from DRAM once per batch. An activation crosses DRAM unless it stays
on chip: it does when it fits in `cache_fraction` of the largest on-chip memory and its consumer
is the very next kernel (the producer's output is still in cache). A tensor is written to DRAM
unless its only consumer is that next kernel; the model's output is always written. Views
(flatten, dropout, identity, slice) are free aliases of their input. Every byte a kernel reads or
writes passes through the caches, which is the on-chip traffic charged for energy.

Peak activation memory. Over a schedule of kernels, a tensor is live from the start of its
producer until the end of its last consumer (the graph input from the start); the peak is the
largest sum of live tensor sizes during any kernel. `min_peak_schedule` searches for the order
that minimises it: exactly (dynamic programming over sets of finished kernels) for small graphs,
greedily (run the ready kernel that leaves the least memory live) for larger ones; the declared
order is also a candidate, so the result is never worse than it.

Internally nodes, tensors and kernels are integers (a node's index in the counts; a tensor is named
by the node that produces it, -1 for the graph input; a kernel by its first node): on 100k-node
graphs, dictionaries keyed by long hierarchical names were slow enough to make the plan grow
faster than linearly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from costmodel.counting import NodeCount
from costmodel.errors import CostModelError, ErrorCode

GRAPH_INPUT = -1  # the tensor id of the graph's input
EXACT_SCHEDULE_MAX_KERNELS = 16


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
            raise CostModelError(ErrorCode.OPTION,
                                 f"cache fraction must be in (0, 1], got {self.cache_fraction}")

    def describe(self, onchip_bytes: int) -> str:
        fusion = ("conv/linear + following elementwise ops fused into one kernel" if self.fusion
                  else "no fusion: every node is its own kernel")
        if self.cache and onchip_bytes:
            cache = (f"an activation up to {self.cache_fraction:g} x {onchip_bytes:,} B on chip "
                     "passed to the next kernel stays on chip")
        else:
            cache = "every activation goes through DRAM"
        weights = "weights read from DRAM once per batch"
        if self.resident_weights:
            weights = (f"weights resident on chip if they fit in {1 - self.cache_fraction:g} x "
                       f"{onchip_bytes:,} B, else read once per batch")
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


def _node_ids(counts: list[NodeCount]) -> list[tuple[int, ...]]:
    """Each node's inputs as node indices (-1 for the graph input)."""
    index = {c.name: i for i, c in enumerate(counts)}
    return [tuple(index.get(source, GRAPH_INPUT) for source in c.inputs) for c in counts]


def _kernel_of(counts: list[NodeCount], inputs: list[tuple[int, ...]], fusion: bool) -> list[int]:
    """The kernel (its first node's index) each node runs in."""
    consumers = [0] * len(counts)
    for sources in inputs:
        for source in sources:
            if source >= 0:
                consumers[source] += 1
    kernel = list(range(len(counts)))
    if not fusion:
        return kernel
    for i, count in enumerate(counts):
        if count.is_view or count.op_class != "elementwise" or len(inputs[i]) != 1:
            continue
        producer = inputs[i][0]
        if producer >= 0 and not counts[producer].is_view and consumers[producer] == 1:
            kernel[i] = kernel[producer]
    return kernel


def _base_tensors(counts: list[NodeCount], inputs: list[tuple[int, ...]]) -> list[int]:
    """Each node's output tensor, looking through views to the tensor they alias."""
    base: list[int] = []
    for i, count in enumerate(counts):
        if count.is_view:
            source = inputs[i][0]
            base.append(base[source] if source >= 0 else GRAPH_INPUT)
        else:
            base.append(i)
    return base


@dataclass(frozen=True)
class _KernelGraph:
    order: tuple[int, ...]  # kernels in declared order
    reads: dict[int, tuple[int, ...]]  # kernel -> external tensors it reads
    writes: dict[int, tuple[int, ...]]  # kernel -> tensors it materialises
    size: dict[int, int]  # materialised tensor -> bytes
    producer: dict[int, int]  # tensor -> kernel (the graph input has none)
    outputs: frozenset[int]  # tensors that must survive to the end (the model's outputs)


def _kernel_graph(counts: list[NodeCount], inputs: list[tuple[int, ...]], kernel: list[int],
                  base: list[int]) -> _KernelGraph:
    order: list[int] = []
    reads: dict[int, list[int]] = {}
    size: dict[int, int] = {}
    producer: dict[int, int] = {}
    for i, count in enumerate(counts):
        for source, nbytes in zip(inputs[i], count.input_bytes, strict=True):
            if (base[source] if source >= 0 else GRAPH_INPUT) == GRAPH_INPUT:
                size[GRAPH_INPUT] = max(size.get(GRAPH_INPUT, 0), nbytes)
        if count.is_view:
            continue
        k = kernel[i]
        if k not in reads:
            order.append(k)
            reads[k] = []
        for source in inputs[i]:
            tensor = base[source] if source >= 0 else GRAPH_INPUT
            if producer.get(tensor) != k and tensor not in reads[k]:
                reads[k].append(tensor)
        size[i] = count.out_bytes
        producer[i] = k
    # Tensors produced inside a kernel and read only there are not materialised. The graph's
    # sinks (the logits, and auxiliary heads' logits when they are built) are its outputs.
    read_anywhere = {t for ts in reads.values() for t in ts}
    consumed = {source for sources in inputs for source in sources}
    outputs = frozenset(base[i] for i in range(len(counts)) if i not in consumed)
    size = {t: s for t, s in size.items() if t in read_anywhere or t in outputs}
    writes: dict[int, list[int]] = {k: [] for k in order}
    for tensor in size:
        if tensor in producer:
            writes[producer[tensor]].append(tensor)
    return _KernelGraph(tuple(order), {k: tuple(v) for k, v in reads.items()},
                        {k: tuple(v) for k, v in writes.items()}, size, producer, outputs)


def plan_memory(counts: list[NodeCount], onchip_capacity: int,
                options: MemoryOptions = MemoryOptions()) -> MemoryPlan:
    options.check()
    inputs = _node_ids(counts)
    kernel = _kernel_of(counts, inputs, options.fusion)
    base = _base_tensors(counts, inputs)
    graph = _kernel_graph(counts, inputs, kernel, base)
    position = {k: i for i, k in enumerate(graph.order)}
    limit = options.cache_fraction * onchip_capacity if options.cache else 0
    weights_resident = (options.resident_weights and sum(c.weight_bytes for c in counts)
                        <= (1 - options.cache_fraction) * onchip_capacity)

    readers: dict[int, list[int]] = {}
    for k, tensors in graph.reads.items():
        for t in tensors:
            readers.setdefault(t, []).append(k)

    def stays_on_chip(tensor: int, reader: int) -> bool:
        producer = graph.producer.get(tensor)
        return (producer is not None and graph.size.get(tensor, 0) <= limit
                and position[reader] == position[producer] + 1)

    traffic: list[Traffic] = []
    for i, count in enumerate(counts):
        k = kernel[i]
        name = counts[k].name
        if count.is_view:
            traffic.append(Traffic(name, 0, 0))
            continue
        onchip = count.weight_bytes
        dram = 0 if weights_resident else count.weight_bytes
        for source, nbytes in zip(inputs[i], count.input_bytes, strict=True):
            tensor = base[source] if source >= 0 else GRAPH_INPUT
            if graph.producer.get(tensor) == k:
                continue  # produced inside this kernel: stays in registers
            onchip += nbytes
            if not stays_on_chip(tensor, k):
                dram += nbytes
        if i in graph.size:  # materialised: somebody outside the kernel reads it
            onchip += count.out_bytes
            its_readers = readers.get(i, [])
            kept = (i not in graph.outputs and len(its_readers) == 1
                    and stays_on_chip(i, its_readers[0]))
            if not kept:
                dram += count.out_bytes
        traffic.append(Traffic(name, dram, onchip))

    declared_peak = peak_memory(graph.order, graph)
    best_peak, exact = min_peak_schedule(graph)
    return MemoryPlan(tuple(traffic), tuple(counts[k].name for k in graph.order), declared_peak,
                      min(best_peak, declared_peak), exact, weights_resident)


def peak_memory(schedule: Iterable[int], graph: _KernelGraph) -> int:
    """Peak live activation bytes when kernels run in `schedule` order."""
    schedule = list(schedule)
    step = {k: i for i, k in enumerate(schedule)}
    last_use: dict[int, int] = {}
    for k, tensors in graph.reads.items():
        for t in tensors:
            last_use[t] = max(last_use.get(t, -1), step[k])
    end = len(schedule)
    allocated = [0] * (end + 1)
    freed = [0] * (end + 1)  # freed after the step
    for tensor, nbytes in graph.size.items():
        start = step[graph.producer[tensor]] if tensor in graph.producer else 0
        stop = end - 1 if tensor in graph.outputs else last_use.get(tensor, start)
        allocated[start] += nbytes
        freed[stop] += nbytes
    peak = live = 0
    for i in range(end):
        live += allocated[i]
        peak = max(peak, live)
        live -= freed[i]
    return peak


def min_peak_schedule(graph: _KernelGraph) -> tuple[int, bool]:
    """(peak bytes of the best schedule found, whether the search was exhaustive)."""
    if len(graph.order) <= EXACT_SCHEDULE_MAX_KERNELS:
        return _exact_min_peak(graph), True
    return peak_memory(_greedy_schedule(graph), graph), False


def _dependencies(graph: _KernelGraph) -> dict[int, set[int]]:
    return {k: {graph.producer[t] for t in ts if t in graph.producer}
            for k, ts in graph.reads.items()}


def _greedy_schedule(graph: _KernelGraph) -> list[int]:
    deps = _dependencies(graph)
    waiting = {k: len(d) for k, d in deps.items()}
    successors: dict[int, list[int]] = {k: [] for k in graph.order}
    for k, d in deps.items():
        for producer in d:
            successors[producer].append(k)
    remaining_readers: dict[int, int] = {}
    for ts in graph.reads.values():
        for t in ts:
            remaining_readers[t] = remaining_readers.get(t, 0) + 1
    position = {k: i for i, k in enumerate(graph.order)}

    def net_change(k: int) -> tuple[int, int]:
        allocated = sum(graph.size[t] for t in graph.writes[k])
        freed = sum(graph.size.get(t, 0) for t in graph.reads[k]
                    if remaining_readers[t] == 1 and t not in graph.outputs)
        return allocated - freed, position[k]

    ready = [k for k in graph.order if not waiting[k]]
    schedule: list[int] = []
    while ready:
        chosen = min(ready, key=net_change)
        ready.remove(chosen)
        schedule.append(chosen)
        for t in graph.reads[chosen]:
            remaining_readers[t] -= 1
        for k in successors[chosen]:
            waiting[k] -= 1
            if not waiting[k]:
                ready.append(k)
    return schedule


def _exact_min_peak(graph: _KernelGraph) -> int:
    deps = _dependencies(graph)
    kernels = graph.order
    readers: dict[int, frozenset[int]] = {}
    for k, ts in graph.reads.items():
        for t in ts:
            readers[t] = readers.get(t, frozenset()) | {k}

    def live_after(done: frozenset[int]) -> int:
        total = 0
        for tensor, nbytes in graph.size.items():
            produced = tensor not in graph.producer or graph.producer[tensor] in done
            needed = tensor in graph.outputs or not readers.get(tensor, frozenset()) <= done
            if produced and needed:
                total += nbytes
        return total

    @cache
    def best(done: frozenset[int]) -> int:
        if len(done) == len(kernels):
            return 0
        live = live_after(done)
        options = []
        for k in kernels:
            if k not in done and deps[k] <= done:
                during = live + sum(graph.size[t] for t in graph.writes[k])
                options.append(max(during, best(done | {k})))
        return min(options)

    return best(frozenset())
