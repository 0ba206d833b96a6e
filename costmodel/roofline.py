"""Roofline latency and energy per node against a hardware profile.

    compute_s = (macs + ops) / (peak_macs_per_s[precision] * efficiency[op class])
    memory_s  = dram_bytes / dram_bytes_per_s
    latency_s = max(compute_s, memory_s) + overhead_s_per_kernel       (views cost nothing)
    energy_j  = macs * e_mac + ops * e_op + dram_bytes * e_dram + onchip_bytes * e_onchip
                + static_power_w * latency_s

An elementwise op occupies one MAC slot (a vector lane for one cycle). Whole-model latency is the
sum over nodes: one compute unit running kernels one after another, as TFLite on one core does.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.counting import NodeCount
from costmodel.hardware import HardwareProfile

PJ = 1e-12


@dataclass(frozen=True, slots=True)
class NodeEstimate:
    dram_bytes: int
    onchip_bytes: int
    compute_s: float
    memory_s: float
    overhead_s: float
    latency_s: float
    energy_j: float
    compute_energy_j: float  # MACs and elementwise ops
    data_energy_j: float  # DRAM and on-chip traffic
    bound: str  # "compute", "memory" or "-" (a view: no work)


def estimate_node(count: NodeCount, dram_bytes: int, onchip_bytes: int, hw: HardwareProfile,
                  precision: str) -> NodeEstimate:
    if count.is_view:
        return NodeEstimate(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "-")
    compute_precision = "int8" if precision == "int4" else precision
    prec = hw.precision(compute_precision)
    rate = prec.peak_macs_per_s * hw.efficiency[count.op_class]
    compute_s = (count.macs + count.ops) / rate
    memory_s = dram_bytes / hw.memory.dram_bytes_per_s
    overhead_s = hw.overhead_s_per_kernel
    latency_s = max(compute_s, memory_s) + overhead_s
    compute_energy = (count.macs * prec.energy_pj_per_mac + count.ops * prec.energy_pj_per_op) * PJ
    data_energy = (dram_bytes * hw.memory.dram_pj_per_byte
                   + onchip_bytes * hw.memory.onchip_pj_per_byte) * PJ
    energy = compute_energy + data_energy + hw.static_power_w * latency_s
    bound = "compute" if compute_s >= memory_s else "memory"
    return NodeEstimate(dram_bytes, onchip_bytes, compute_s, memory_s, overhead_s, latency_s,
                        energy, compute_energy, data_energy, bound)
