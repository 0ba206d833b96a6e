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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from costmodel.counting import NodeCount
from costmodel.errors import CostModelError, ErrorCode

GRAPH_INPUT = "input"
EXACT_SCHEDULE_MAX_KERNELS = 16


@dataclass(frozen=True)
class MemoryOptions:
    fusion: bool = True
    cache: bool = True
    cache_fraction: float = 0.5  # of the largest on-chip level; the rest holds weights and outputs

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
        return f"{fusion}; weights read once per batch; {cache}"


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


def _kernel_of(counts: list[NodeCount], fusion: bool) -> dict[str, str]:
    consumers: dict[str, int] = {}
    for count in counts:
        for source in count.inputs:
            consumers[source] = consumers.get(source, 0) + 1
    by_name = {c.name: c for c in counts}
    kernel: dict[str, str] = {}
    for count in counts:
        kernel[count.name] = count.name
        if not fusion or count.is_view or count.op_class != "elementwise" or len(count.inputs) != 1:
            continue
        producer = by_name.get(count.inputs[0])
        if producer is not None and not producer.is_view and consumers[producer.name] == 1:
            kernel[count.name] = kernel[producer.name]
    return kernel


def _base_tensors(counts: list[NodeCount]) -> dict[str, str]:
    """Each node's output tensor, looking through views to the tensor they alias."""
    base = {GRAPH_INPUT: GRAPH_INPUT}
    for count in counts:
        base[count.name] = base[count.inputs[0]] if count.is_view else count.name
    return base


@dataclass(frozen=True)
class _KernelGraph:
    order: tuple[str, ...]  # kernels in declared order
    reads: dict[str, tuple[str, ...]]  # kernel -> external base tensors it reads
    size: dict[str, int]  # base tensor -> bytes
    producer: dict[str, str]  # base tensor -> kernel ('' for the graph input)
    outputs: frozenset[str]  # tensors that must survive to the end (the model output)


def _kernel_graph(counts: list[NodeCount], kernel: dict[str, str]) -> _KernelGraph:
    base = _base_tensors(counts)
    order: list[str] = []
    reads: dict[str, list[str]] = {}
    size: dict[str, int] = {}
    producer: dict[str, str] = {GRAPH_INPUT: ""}
    for count in counts:
        for source, nbytes in zip(count.inputs, count.input_bytes, strict=True):
            if base[source] == GRAPH_INPUT:
                size[GRAPH_INPUT] = max(size.get(GRAPH_INPUT, 0), nbytes)
        if count.is_view:
            continue
        k = kernel[count.name]
        if k not in reads:
            order.append(k)
            reads[k] = []
        for source in count.inputs:
            tensor = base[source]
            if producer.get(tensor) != k and tensor not in reads[k]:
                reads[k].append(tensor)
        size[count.name] = count.out_bytes
        producer[count.name] = k
    # Tensors produced inside a kernel and read only there are not materialised. The graph's
    # sinks (the logits, and auxiliary heads' logits when they are built) are its outputs.
    read_anywhere = {t for ts in reads.values() for t in ts}
    consumed = {source for count in counts for source in count.inputs}
    outputs = frozenset(base[c.name] for c in counts if c.name not in consumed)
    size = {t: s for t, s in size.items() if t in read_anywhere or t in outputs}
    return _KernelGraph(tuple(order), {k: tuple(v) for k, v in reads.items()}, size, producer,
                        outputs)


def plan_memory(counts: list[NodeCount], onchip_capacity: int,
                options: MemoryOptions = MemoryOptions()) -> MemoryPlan:
    options.check()
    kernel = _kernel_of(counts, options.fusion)
    graph = _kernel_graph(counts, kernel)
    position = {k: i for i, k in enumerate(graph.order)}
    base = _base_tensors(counts)
    limit = options.cache_fraction * onchip_capacity if options.cache else 0

    consumers: dict[str, set[str]] = {}
    for k, tensors in graph.reads.items():
        for t in tensors:
            consumers.setdefault(t, set()).add(k)

    def stays_on_chip(tensor: str, reader: str) -> bool:
        producer = graph.producer.get(tensor, "")
        return (bool(producer) and graph.size.get(tensor, 0) <= limit
                and position[reader] == position[producer] + 1)

    traffic: list[Traffic] = []
    for count in counts:
        k = kernel[count.name]
        if count.is_view:
            traffic.append(Traffic(k, 0, 0))
            continue
        dram = onchip = count.weight_bytes
        for source, nbytes in zip(count.inputs, count.input_bytes, strict=True):
            tensor = base[source]
            if graph.producer.get(tensor) == k:
                continue  # produced inside this kernel: stays in registers
            onchip += nbytes
            if not stays_on_chip(tensor, k):
                dram += nbytes
        tensor = count.name
        if tensor in graph.size:  # materialised: somebody outside the kernel reads it
            onchip += count.out_bytes
            readers = consumers.get(tensor, set())
            kept = (tensor not in graph.outputs and len(readers) == 1
                    and stays_on_chip(tensor, next(iter(readers))))
            if not kept:
                dram += count.out_bytes
        traffic.append(Traffic(k, dram, onchip))

    declared_peak = peak_memory(graph.order, graph)
    best_peak, exact = min_peak_schedule(graph)
    return MemoryPlan(tuple(traffic), graph.order, declared_peak, min(best_peak, declared_peak),
                      exact)


def peak_memory(schedule: Iterable[str], graph: _KernelGraph) -> int:
    """Peak live activation bytes when kernels run in `schedule` order."""
    schedule = list(schedule)
    step = {k: i for i, k in enumerate(schedule)}
    last_use: dict[str, int] = {}
    for k, tensors in graph.reads.items():
        for t in tensors:
            last_use[t] = max(last_use.get(t, -1), step[k])
    end = len(schedule)
    events: list[list[int]] = [[0, 0] for _ in range(end + 1)]  # [allocated at, freed after]
    live = 0
    for tensor, nbytes in graph.size.items():
        start = step[graph.producer[tensor]] if graph.producer.get(tensor) else 0
        stop = end - 1 if tensor in graph.outputs else last_use.get(tensor, start)
        events[start][0] += nbytes
        events[stop][1] += nbytes
    peak = 0
    for i in range(end):
        live += events[i][0]
        peak = max(peak, live)
        live -= events[i][1]
    return peak


def min_peak_schedule(graph: _KernelGraph) -> tuple[int, bool]:
    """(peak bytes of the best schedule found, whether the search was exhaustive)."""
    if len(graph.order) <= EXACT_SCHEDULE_MAX_KERNELS:
        return _exact_min_peak(graph), True
    return peak_memory(_greedy_schedule(graph), graph), False


def _dependencies(graph: _KernelGraph) -> dict[str, set[str]]:
    return {k: {graph.producer[t] for t in ts if graph.producer.get(t)}
            for k, ts in graph.reads.items()}


def _greedy_schedule(graph: _KernelGraph) -> list[str]:
    deps = _dependencies(graph)
    waiting = {k: len(d) for k, d in deps.items()}
    successors: dict[str, list[str]] = {k: [] for k in graph.order}
    for k, d in deps.items():
        for producer in d:
            successors[producer].append(k)
    remaining_readers: dict[str, int] = {}
    for ts in graph.reads.values():
        for t in ts:
            remaining_readers[t] = remaining_readers.get(t, 0) + 1
    position = {k: i for i, k in enumerate(graph.order)}

    def net_change(k: str) -> tuple[int, int]:
        freed = sum(graph.size.get(t, 0) for t in graph.reads[k]
                    if remaining_readers[t] == 1 and t not in graph.outputs)
        return graph.size.get(k, 0) - freed, position[k]

    ready = [k for k in graph.order if not waiting[k]]
    schedule: list[str] = []
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
    readers: dict[str, frozenset[str]] = {}
    for k, ts in graph.reads.items():
        for t in ts:
            readers[t] = readers.get(t, frozenset()) | {k}

    def live_after(done: frozenset[str]) -> int:
        total = 0
        for tensor, nbytes in graph.size.items():
            producer = graph.producer.get(tensor, "")
            produced = not producer or producer in done
            needed = tensor in graph.outputs or not readers.get(tensor, frozenset()) <= done
            if produced and needed:
                total += nbytes
        return total

    @cache
    def best(done: frozenset[str]) -> int:
        if len(done) == len(kernels):
            return 0
        live = live_after(done)
        options = []
        for k in kernels:
            if k not in done and deps[k] <= done:
                during = live + graph.size.get(k, 0)
                options.append(max(during, best(done | {k})))
        return min(options)

    return best(frozenset())
