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

from costmodel import limits
from costmodel.cost.counting import NodeCount
from costmodel.errors import CostModelError, ErrorCode

GRAPH_INPUT = -1  # the tensor id of the graph's input


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


Lifetime = tuple[int, int, int]  # (tensor, step it is allocated at, step after which it is freed)


class KernelPlan(NamedTuple):
    """Fusion and the dataflow between kernels: which kernel each node runs in, which tensors each
    kernel reads and materialises, which hand-overs go to the very next kernel. It depends on the
    graph's structure, not on tensor sizes, so a sweep over resolutions works it out once per
    graph and passes it to `plan_memory`."""

    signature: tuple[tuple[str, bool, bool], ...]  # per node: name, is a view, is elementwise
    fusion: bool
    kernel_names: tuple[str, ...]  # per node: the kernel it runs in, named after its first node
    order: tuple[int, ...]  # kernels in declared order
    reads: dict[int, tuple[int, ...]]  # kernel -> external tensors it reads
    writes: dict[int, tuple[int, ...]]  # kernel -> tensors it materialises
    producer: dict[int, int]  # tensor -> the kernel computing it (the graph input has none)
    outputs: frozenset[int]  # tensors that must survive to the end (the model's outputs)
    materialised: tuple[int, ...]  # tensors some kernel reads from outside, or outputs
    graph_input_reads: tuple[tuple[int, int], ...]  # (node, input slot) reading the graph input
    # Per node, the inputs it reads from outside its kernel: (input slot, tensor, whether the
    # tensor's producer is the kernel just before, so that it may still be on chip).
    external_reads: tuple[tuple[tuple[int, int, bool], ...], ...]
    # Per node, its output: 0 not materialised, 1 materialised, 2 materialised and handed to one
    # reader, the next kernel (it may stay on chip).
    output_handover: tuple[int, ...]
    declared_lifetimes: tuple[Lifetime, ...]  # of the materialised tensors, in declared order

    def fits(self, counts: list[NodeCount], fusion: bool) -> bool:
        return fusion == self.fusion and self.signature == _signature(counts)


class _KernelGraph(NamedTuple):
    """A kernel plan with the size of every materialised tensor: what schedules are scored on."""

    order: tuple[int, ...]
    reads: dict[int, tuple[int, ...]]
    writes: dict[int, tuple[int, ...]]
    size: dict[int, int]  # materialised tensor -> bytes
    producer: dict[int, int]
    outputs: frozenset[int]


def _signature(counts: list[NodeCount]) -> tuple[tuple[str, bool, bool], ...]:
    return tuple((c.name, c.is_view, c.op_class == "elementwise") for c in counts)


def kernel_plan(counts: list[NodeCount], fusion: bool = True) -> KernelPlan:
    inputs = _node_ids(counts)
    kernel = _kernel_of(counts, inputs, fusion)
    base = _base_tensors(counts, inputs)
    order: list[int] = []
    reads: dict[int, list[int]] = {}
    producer: dict[int, int] = {}
    for i, count in enumerate(counts):
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
        producer[i] = k
    # Tensors produced inside a kernel and read only there are not materialised. The graph's
    # sinks (the logits, and auxiliary heads' logits when they are built) are its outputs.
    read_anywhere = {t for ts in reads.values() for t in ts}
    consumed = {source for sources in inputs for source in sources}
    outputs = frozenset(base[i] for i in range(len(counts)) if i not in consumed)
    materialised = tuple(t for t in (GRAPH_INPUT, *producer) if t in read_anywhere or t in outputs)
    writes: dict[int, list[int]] = {k: [] for k in order}
    for tensor in materialised:
        if tensor in producer:
            writes[producer[tensor]].append(tensor)

    position = {k: i for i, k in enumerate(order)}
    readers: dict[int, list[int]] = {}
    for k, tensors in reads.items():
        for t in tensors:
            readers.setdefault(t, []).append(k)

    def next_kernel_reads(tensor: int, reader: int) -> bool:
        return tensor in producer and position[reader] == position[producer[tensor]] + 1

    external: list[tuple[tuple[int, int, bool], ...]] = []
    handover: list[int] = []
    materialised_set = set(materialised)
    for i, count in enumerate(counts):
        k = kernel[i]
        read = [(slot, base[source] if source >= 0 else GRAPH_INPUT) for slot, source in enumerate(inputs[i])]
        external.append(
            ()
            if count.is_view
            else tuple(
                (slot, tensor, next_kernel_reads(tensor, k))
                for slot, tensor in read
                if producer.get(tensor) != k
            )
        )  # produced inside this kernel: stays in registers
        its_readers = readers.get(i, [])
        handover.append(
            0
            if count.is_view or i not in materialised_set
            else 2
            if (i not in outputs and len(its_readers) == 1 and next_kernel_reads(i, its_readers[0]))
            else 1
        )
    graph_input_reads = tuple(
        (i, slot)
        for i, sources in enumerate(inputs)
        for slot, source in enumerate(sources)
        if source < 0 or base[source] == GRAPH_INPUT
    )
    reads_of = {k: tuple(v) for k, v in reads.items()}
    return KernelPlan(
        _signature(counts),
        fusion,
        tuple(counts[k].name for k in kernel),
        tuple(order),
        reads_of,
        {k: tuple(v) for k, v in writes.items()},
        producer,
        outputs,
        materialised,
        graph_input_reads,
        tuple(external),
        tuple(handover),
        lifetimes(order, reads_of, producer, outputs, materialised),
    )


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
        input_bytes = count.input_bytes
        for slot, tensor, from_previous_kernel in external:
            nbytes = input_bytes[slot]
            onchip += nbytes
            if not (from_previous_kernel and size[tensor] <= limit):
                dram += nbytes
        if handover:  # materialised: somebody outside the kernel reads it
            onchip += count.out_bytes
            if not (handover == 2 and count.out_bytes <= limit):
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


def lifetimes(
    schedule: Iterable[int],
    reads: dict[int, tuple[int, ...]],
    producer: dict[int, int],
    outputs: frozenset[int],
    tensors: Iterable[int],
) -> tuple[Lifetime, ...]:
    """When each of `tensors` is live if kernels run in `schedule` order: from the step of its
    producer (the graph input from the start) to the last step that reads it (outputs: the end)."""
    schedule = list(schedule)
    step = {k: i for i, k in enumerate(schedule)}
    last_use: dict[int, int] = {}
    for k, read in reads.items():
        for t in read:
            last_use[t] = max(last_use.get(t, -1), step[k])
    end = len(schedule)
    spans: list[Lifetime] = []
    for tensor in tensors:
        start = step[producer[tensor]] if tensor in producer else 0
        spans.append((tensor, start, end - 1 if tensor in outputs else last_use.get(tensor, start)))
    return tuple(spans)


def _peak(spans: tuple[Lifetime, ...], size: dict[int, int], steps: int) -> int:
    allocated = [0] * (steps + 1)
    freed = [0] * (steps + 1)  # freed after the step
    for tensor, start, stop in spans:
        nbytes = size[tensor]
        allocated[start] += nbytes
        freed[stop] += nbytes
    peak = live = 0
    for i in range(steps):
        live += allocated[i]
        if live > peak:
            peak = live
        live -= freed[i]
    return peak


def peak_memory(schedule: Iterable[int], graph: _KernelGraph) -> int:
    """Peak live activation bytes when kernels run in `schedule` order."""
    schedule = list(schedule)
    spans = lifetimes(schedule, graph.reads, graph.producer, graph.outputs, graph.size)
    return _peak(spans, graph.size, len(schedule))


def min_peak_schedule(graph: _KernelGraph) -> tuple[int, bool]:
    """(peak bytes of the best schedule found, whether the search was exhaustive)."""
    if len(graph.order) <= limits.EXACT_SCHEDULE_MAX_KERNELS:
        return _exact_min_peak(graph), True
    return peak_memory(_greedy_schedule(graph), graph), False


def _dependencies(graph: _KernelGraph) -> dict[int, set[int]]:
    return {k: {graph.producer[t] for t in ts if t in graph.producer} for k, ts in graph.reads.items()}


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
        freed = sum(
            graph.size.get(t, 0)
            for t in graph.reads[k]
            if remaining_readers[t] == 1 and t not in graph.outputs
        )
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
