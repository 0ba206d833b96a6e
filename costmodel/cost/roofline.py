"""Roofline latency and energy per kernel (a fused group of nodes), attributed back to nodes.

Per kernel k, on one compute unit running kernels one after another (TFLite on one core):

    compute_s(k) = sum over its nodes of (macs + ops) /
                   (peak_macs_per_s[precision] * efficiency[op class] * efficiency_scale[precision])
    memory_s(k)  = DRAM bytes of its nodes / dram_bytes_per_s
    latency_s(k) = max(compute_s, memory_s) + overhead_s_per_kernel       (views cost nothing)
    energy_j     = macs * e_mac + ops * e_op + dram_bytes * e_dram + onchip_bytes * e_onchip
                   + static_power_w * latency_s

An elementwise op occupies one MAC slot (a vector lane for one cycle). A kernel's latency is split
over its nodes by their own compute time (compute-bound kernel) or DRAM time (memory-bound), and the
overhead goes to the kernel's first node, so node rows always add up to the kernel and the total.
"""

from __future__ import annotations

from typing import NamedTuple

from costmodel.cost.counting import NodeCount
from costmodel.cost.memory import Traffic
from costmodel.cost.precision import compute_precision
from costmodel.hw.profile import HardwareProfile

PJ = 1e-12


class NodeEstimate(NamedTuple):
    compute_s: float  # the node's own compute time at the attainable rate
    memory_s: float  # the node's own DRAM time
    overhead_s: float
    latency_s: float  # its share of its kernel's latency
    energy_j: float
    compute_energy_j: float  # MACs and elementwise ops
    data_energy_j: float  # DRAM and on-chip traffic
    static_energy_j: float
    bound: str  # of its kernel: "compute", "memory", or "-" for a view


def estimate(
    counts: list[NodeCount], traffic: tuple[Traffic, ...] | list[Traffic], hw: HardwareProfile
) -> list[NodeEstimate]:
    precisions = {p: hw.precision(compute_precision(p)) for p in {c.precision for c in counts}}
    # Attainable MAC/s of each (precision, op class) a node can have, worked out once.
    rate = {
        (p, op_class): prec.peak_macs_per_s * efficiency * prec.scale
        for p, prec in precisions.items()
        for op_class, efficiency in hw.efficiency.items()
    }
    bandwidth = hw.memory.dram_bytes_per_s
    dram_j, onchip_j = hw.memory.dram_pj_per_byte * PJ, hw.memory.onchip_pj_per_byte * PJ
    compute: list[float] = []
    memory: list[float] = []
    kernel_compute: dict[str, float] = {}
    kernel_memory: dict[str, float] = {}
    for count, moved in zip(counts, traffic, strict=True):
        if count.is_view:
            compute.append(0.0)
            memory.append(0.0)
            continue
        c = (count.macs + count.ops) / rate[count.precision, count.op_class]
        m = moved.dram_bytes / bandwidth
        compute.append(c)
        memory.append(m)
        kernel = moved.kernel
        kernel_compute[kernel] = kernel_compute.get(kernel, 0.0) + c
        kernel_memory[kernel] = kernel_memory.get(kernel, 0.0) + m

    view = NodeEstimate(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "-")
    overhead_per_kernel, static_w = hw.overhead_s_per_kernel, hw.static_power_w
    estimates: list[NodeEstimate] = []
    for count, moved, c, m in zip(counts, traffic, compute, memory, strict=True):
        if count.is_view:
            estimates.append(view)
            continue
        memory_bound = kernel_memory[moved.kernel] > kernel_compute[moved.kernel]
        overhead = overhead_per_kernel if moved.kernel == count.name else 0.0
        latency = (m if memory_bound else c) + overhead
        prec = precisions[count.precision]
        compute_energy = (count.macs * prec.energy_pj_per_mac + count.ops * prec.energy_pj_per_op) * PJ
        data_energy = moved.dram_bytes * dram_j + moved.onchip_bytes * onchip_j
        static_energy = static_w * latency
        estimates.append(
            NodeEstimate(
                c,
                m,
                overhead,
                latency,
                compute_energy + data_energy + static_energy,
                compute_energy,
                data_energy,
                static_energy,
                "memory" if memory_bound else "compute",
            )
        )
    return estimates
