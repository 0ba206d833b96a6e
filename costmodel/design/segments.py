"""Cutting an analysed candidate into its stages, for the search's cache (design/fastpath.py).

A candidate of a search space differs from the next one in a few stages; the others expand to the
same nodes and cost the same. A stage's node costs are a function of the stage alone, what flows
into it and how its output is handed on, as long as the stages meet at a *single-tensor cut*:

- every input a stage's nodes take from outside the stage is the previous stage's last node (the
  first stage reads only the graph input), read by non-view nodes;
- no kernel spans two stages (fusion stays inside a stage);
- the model's outputs (graph sinks) all lie in the last stage;
- weights are not resident (residency is decided over all weights at once).

Then, with T_in the tensor entering a stage and T_out the one leaving it, every node of the stage
has the same traffic and cost in any candidate with the same (stage, its choices, input shape,
size of T_in, hand-over of T_out): fusion and on-chip residency are decided by producers, readers
and kernel adjacency, all inside the stage except T_in (its size is in the key; its producer is
the kernel just before the stage's first one) and T_out (its hand-over is in the key). The peak
activation memory in the declared order is the largest live sum over kernel steps; at the steps of
a stage, the live tensors are the stage's own, T_in and T_out, so each stage's largest live sum is
cached and the model's peak is their maximum. `cut` checks the conditions on a full analysis and
returns the per-stage pieces; when they do not hold it returns None and nothing is cached.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.cost.counting import NodeCount
from costmodel.cost.memory.fusion import GRAPH_INPUT, Handover, KernelPlan
from costmodel.cost.records import Cost

# The metrics of a trial that are sums over nodes, as fields of Cost.
SUMMED = ("latency_s", "energy_j", "params", "macs", "dram_bytes", "weight_bytes")


@dataclass(frozen=True)
class Segment:
    """One stage of an analysed candidate, as the cache keeps it."""

    stage: str
    out_shape: tuple[int, ...]  # the shape of T_out
    out_bytes: int  # the size of T_out
    first_kernel_only_reads_input: bool  # T_in is read by one kernel of the stage, its first one
    out_handover: Handover  # what happens to T_out
    columns: tuple[tuple[float | int, ...], ...]  # per SUMMED metric: the nodes' values in order
    peak_bytes: int  # the largest live activation sum during the stage's kernels


def _ranges(counts: list[NodeCount]) -> list[tuple[str, int, int]]:
    """(stage, first node, end) of each run of nodes of one stage, in order."""
    ranges: list[tuple[str, int, int]] = []
    for i, count in enumerate(counts):
        if ranges and ranges[-1][0] == count.stage:
            stage, lo, _ = ranges[-1]
            ranges[-1] = (stage, lo, i + 1)
        else:
            ranges.append((count.stage, i, i + 1))
    return ranges


def _live_per_step(kernels: KernelPlan, counts: list[NodeCount]) -> list[int]:
    """Live activation bytes during each kernel step of the declared order (as schedule._peak
    accumulates them: allocated at the producer's step, freed after the last reader's)."""
    size: dict[int, int] = {}
    for tensor in kernels.materialised:
        if tensor == GRAPH_INPUT:
            size[tensor] = max((counts[i].input_bytes[s] for i, s in kernels.graph_input_reads), default=0)
        else:
            size[tensor] = counts[tensor].out_bytes
    steps = len(kernels.order)
    allocated = [0] * (steps + 1)
    freed = [0] * (steps + 1)
    for tensor, start, stop in kernels.declared_lifetimes:
        allocated[start] += size[tensor]
        freed[stop] += size[tensor]
    live_during: list[int] = []
    live = 0
    for i in range(steps):
        live += allocated[i]
        live_during.append(live)
        live -= freed[i]
    return live_during


def _stage_is_cut(
    counts: list[NodeCount], index: dict[str, int], kernel_of: list[int], lo: int, hi: int, first: bool
) -> bool:
    """Whether the nodes [lo, hi) meet the rest at a single-tensor cut (see the module docstring)."""
    for i in range(lo, hi):
        if not lo <= kernel_of[i] < hi:
            return False  # a kernel spans the cut
        for source in counts[i].inputs:
            j = index.get(source, GRAPH_INPUT)
            if lo <= j < hi:
                continue
            if first:
                if j != GRAPH_INPUT:
                    return False
            elif j != lo - 1 or counts[i].is_view or counts[j].is_view:
                return False
    return not counts[hi - 1].is_view


def cut(counts: list[NodeCount], kernels: KernelPlan, costs: list[Cost]) -> list[Segment] | None:
    """The candidate's stages as Segments, or None when they do not meet at single-tensor cuts."""
    index = {c.name: i for i, c in enumerate(counts)}
    kernel_of = [index[name] for name in kernels.kernel_names]
    ranges = _ranges(counts)
    if len({stage for stage, _, _ in ranges}) != len(ranges):
        return None  # a stage in two pieces
    last_lo = ranges[-1][1]
    if any(t < last_lo for t in kernels.outputs):
        return None  # a sink before the last stage lives to the end
    live = _live_per_step(kernels, counts)
    step_peak: dict[int, int] = {}
    for step, k in enumerate(kernels.order):
        step_peak[k] = live[step]
    segments: list[Segment] = []
    for n, (stage, lo, hi) in enumerate(ranges):
        if not _stage_is_cut(counts, index, kernel_of, lo, hi, first=n == 0):
            return None
        readers = {
            kernel_of[i] for i in range(lo, hi) if lo - 1 >= 0 and counts[lo - 1].name in counts[i].inputs
        }
        first_kernel = min((k for k in kernels.order if lo <= k < hi), default=None)
        segments.append(
            Segment(
                stage,
                counts[hi - 1].shape,
                counts[hi - 1].out_bytes,
                readers == {first_kernel},
                kernels.output_handover[hi - 1],
                tuple(tuple(getattr(c, m) for c in costs[lo:hi]) for m in SUMMED),
                max((step_peak[k] for k in step_peak if lo <= k < hi), default=0),
            )
        )
    return segments


def handover_into(next_segment: Segment | None) -> Handover:
    """T_out's hand-over, from the stage that reads it (None: T_out is the model's output)."""
    if next_segment is None:
        return Handover.WRITTEN
    return Handover.TO_NEXT_KERNEL if next_segment.first_kernel_only_reads_input else Handover.WRITTEN
