"""Memory model: fusion into kernels (fusion.py), DRAM vs on-chip traffic (traffic.py), and peak
activation memory over kernel schedules (schedule.py).

The declared order of kernels is always a candidate schedule, so the best peak reported is never
worse than the declared order's.

Internally nodes, tensors and kernels are integers (a node's index in the counts; a tensor is named
by the node that produces it, -1 for the graph input; a kernel by its first node): on 100k-node
graphs, dictionaries keyed by long hierarchical names were slow enough to make the plan grow
faster than linearly.
"""

from costmodel.cost.memory.fusion import GRAPH_INPUT, Handover, KernelPlan, kernel_plan
from costmodel.cost.memory.schedule import (
    Lifetime,
    _greedy_schedule,
    _KernelGraph,
    lifetimes,
    min_peak_schedule,
    peak_memory,
)
from costmodel.cost.memory.traffic import MemoryOptions, MemoryPlan, Traffic, _kernel_graph, plan_memory

__all__ = [
    "GRAPH_INPUT",
    "Handover",
    "KernelPlan",
    "Lifetime",
    "MemoryOptions",
    "MemoryPlan",
    "Traffic",
    "_KernelGraph",
    "_greedy_schedule",
    "_kernel_graph",
    "kernel_plan",
    "lifetimes",
    "min_peak_schedule",
    "peak_memory",
    "plan_memory",
]
