"""Fusion into kernels and the dataflow between them.

Inference engines run a conv or linear layer together with the elementwise ops that follow it
(batchnorm folded or applied in the epilogue, the activation) as one kernel, so the intermediate
tensors never leave registers. Here a single-input elementwise node joins its producer's kernel
when that producer feeds nothing else; chains (conv -> bn -> act) fuse whole.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple

from costmodel.cost.counting import NodeCount
from costmodel.cost.memory.schedule import Lifetime, lifetimes

GRAPH_INPUT = -1  # the tensor id of the graph's input


class Handover(IntEnum):
    """What happens to a node's output when its kernel ends; plan_memory charges the write (and
    the readers' reads) by it."""

    NONE = 0  # not materialised: a view, or read only inside its own kernel (stays in registers)
    WRITTEN = 1  # materialised: read by other kernels or a model output, so written out
    TO_NEXT_KERNEL = 2  # materialised and read by one kernel, the very next: may stay on chip


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
    output_handover: tuple[Handover, ...]  # per node: what happens to its output
    declared_lifetimes: tuple[Lifetime, ...]  # of the materialised tensors, in declared order

    def fits(self, counts: list[NodeCount], fusion: bool) -> bool:
        return fusion == self.fusion and self.signature == _signature(counts)


def _signature(counts: list[NodeCount]) -> tuple[tuple[str, bool, bool], ...]:
    return tuple((c.name, c.is_view, c.op_class == "elementwise") for c in counts)


def kernel_plan(counts: list[NodeCount], fusion: bool = True) -> KernelPlan:
    """Which kernel each node runs in and the dataflow between kernels (see KernelPlan)."""
    inputs = _node_ids(counts)
    kernel = _kernel_of(counts, inputs, fusion)
    base = _base_tensors(counts, inputs)
    order, reads, producer = _assign_kernels(counts, inputs, kernel, base)
    outputs, materialised = _materialised_tensors(counts, inputs, base, reads, producer)
    writes: dict[int, list[int]] = {k: [] for k in order}
    for tensor in materialised:
        if tensor in producer:
            writes[producer[tensor]].append(tensor)
    position = {k: i for i, k in enumerate(order)}

    def next_kernel_reads(tensor: int, reader: int) -> bool:
        """Whether `reader` runs right after the kernel producing `tensor` (it may be on chip)."""
        return tensor in producer and position[reader] == position[producer[tensor]] + 1

    graph_input_reads = tuple(
        (i, slot)
        for i, sources in enumerate(inputs)
        for slot, source in enumerate(sources)
        if source < 0 or base[source] == GRAPH_INPUT
    )
    return KernelPlan(
        _signature(counts),
        fusion,
        tuple(counts[k].name for k in kernel),
        tuple(order),
        reads,
        {k: tuple(v) for k, v in writes.items()},
        producer,
        outputs,
        materialised,
        graph_input_reads,
        _external_reads(counts, inputs, kernel, base, producer, next_kernel_reads),
        _handovers(counts, reads, outputs, materialised, next_kernel_reads),
        lifetimes(order, reads, producer, outputs, materialised),
    )


def _tensor_read(base: list[int], source: int) -> int:
    """The tensor a node reads from input `source`: views resolved, -1 for the graph input."""
    return base[source] if source >= 0 else GRAPH_INPUT


def _assign_kernels(
    counts: list[NodeCount], inputs: list[tuple[int, ...]], kernel: list[int], base: list[int]
) -> tuple[list[int], dict[int, tuple[int, ...]], dict[int, int]]:
    """(kernels in declared order, kernel -> tensors it reads from outside itself in first-read
    order, tensor -> the kernel producing it). Views belong to no kernel."""
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
            tensor = _tensor_read(base, source)
            if producer.get(tensor) != k and tensor not in reads[k]:
                reads[k].append(tensor)
        producer[i] = k
    return order, {k: tuple(v) for k, v in reads.items()}, producer


def _materialised_tensors(
    counts: list[NodeCount],
    inputs: list[tuple[int, ...]],
    base: list[int],
    reads: dict[int, tuple[int, ...]],
    producer: dict[int, int],
) -> tuple[frozenset[int], tuple[int, ...]]:
    """(the model's outputs, the tensors that leave their kernel: read by another kernel or
    outputs). Tensors produced inside a kernel and read only there are not materialised. The
    graph's sinks (the logits, and auxiliary heads' logits when they are built) are its outputs."""
    read_anywhere = {t for ts in reads.values() for t in ts}
    consumed = {source for sources in inputs for source in sources}
    outputs = frozenset(base[i] for i in range(len(counts)) if i not in consumed)
    materialised = tuple(t for t in (GRAPH_INPUT, *producer) if t in read_anywhere or t in outputs)
    return outputs, materialised


def _external_reads(
    counts: list[NodeCount],
    inputs: list[tuple[int, ...]],
    kernel: list[int],
    base: list[int],
    producer: dict[int, int],
    next_kernel_reads: Callable[[int, int], bool],
) -> tuple[tuple[tuple[int, int, bool], ...], ...]:
    """Per node, the inputs it reads from outside its kernel: (slot, tensor, whether the tensor's
    producer is the kernel just before). An input produced inside the kernel stays in registers."""
    external: list[tuple[tuple[int, int, bool], ...]] = []
    for i, count in enumerate(counts):
        k = kernel[i]
        read = [(slot, _tensor_read(base, source)) for slot, source in enumerate(inputs[i])]
        external.append(
            ()
            if count.is_view
            else tuple(
                (slot, tensor, next_kernel_reads(tensor, k))
                for slot, tensor in read
                if producer.get(tensor) != k
            )
        )
    return tuple(external)


def _handovers(
    counts: list[NodeCount],
    reads: dict[int, tuple[int, ...]],
    outputs: frozenset[int],
    materialised: tuple[int, ...],
    next_kernel_reads: Callable[[int, int], bool],
) -> tuple[Handover, ...]:
    """Per node, what happens to its output when its kernel ends (Handover)."""
    readers: dict[int, list[int]] = {}
    for k, tensors in reads.items():
        for t in tensors:
            readers.setdefault(t, []).append(k)
    materialised_set = set(materialised)
    handover: list[Handover] = []
    for i, count in enumerate(counts):
        its_readers = readers.get(i, [])
        if count.is_view or i not in materialised_set:
            handover.append(Handover.NONE)
        elif i not in outputs and len(its_readers) == 1 and next_kernel_reads(i, its_readers[0]):
            handover.append(Handover.TO_NEXT_KERNEL)
        else:
            handover.append(Handover.WRITTEN)
    return tuple(handover)
