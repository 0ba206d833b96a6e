"""Roofline latency and energy per kernel (a fused group of nodes), attributed back to nodes.

Per kernel k, on one compute unit running kernels one after another (TFLite on one core):

    compute_s(k) = sum over its nodes of (macs + ops) /
                   (peak_macs_per_s[precision] * efficiency[op class] * efficiency_scale[precision]
                    * utilisation(node))          (costmodel/cost/utilisation.py; 1 without a model)
    memory_s(k)  = DRAM bytes of its nodes / dram_bytes_per_s
    latency_s(k) = max(compute_s, memory_s) + overhead_s_per_kernel       (views cost nothing)
    energy_j     = macs * e_mac + ops * e_op + dram_bytes * e_dram + onchip_bytes * e_onchip
                   + static_power_w * latency_s

An elementwise op occupies one MAC slot (a vector lane for one cycle). A kernel's latency is split
over its nodes by their own compute time (compute-bound kernel) or DRAM time (memory-bound), and the
overhead goes to the kernel's first node, so node rows always add up to the kernel and the total.

With `launch: async` (PyTorch eager: a host thread queues kernels, the device runs them as they
arrive) the overhead is the host's time per kernel and only the device's idle time shows: kernel j
is queued at j * overhead and starts at max(end of kernel j-1, j * overhead), so a launch-bound
model costs about n_kernels * overhead and a compute-bound one about the sum of its kernels.
"""

from __future__ import annotations

from costmodel.cost.counting import NodeCount
from costmodel.cost.memory import Traffic
from costmodel.cost.records import Cost
from costmodel.cost.utilisation import utilisation
from costmodel.hw.profile import HardwareProfile

PJ = 1e-12


def _node_times(
    counts: list[NodeCount], traffic: tuple[Traffic, ...] | list[Traffic], hw: HardwareProfile
) -> tuple[list[float], list[float], set[str]]:
    """Each node's own compute and DRAM time, and the kernels whose DRAM time exceeds their compute."""
    precisions = {p: hw.precision(p) for p in {c.compute for c in counts}}
    # Attainable MAC/s of each (precision, op class) a node can have, worked out once.
    rate = {
        (p, op_class): prec.peak_macs_per_s * efficiency * prec.scale
        for p, prec in precisions.items()
        for op_class, efficiency in hw.efficiency.items()
    }
    bandwidth = hw.memory.dram_bytes_per_s
    work_model = hw.utilisation  # None: every kernel reaches its class's efficiency
    compute: list[float] = []
    memory: list[float] = []
    kernel_compute: dict[str, float] = {}
    kernel_memory: dict[str, float] = {}
    for count, moved in zip(counts, traffic, strict=True):
        if count.is_view:
            compute.append(0.0)
            memory.append(0.0)
            continue
        c = (count.macs / count.mac_speedup + count.ops) / rate[count.compute, count.op_class]
        if work_model is not None:
            c /= utilisation(count, work_model)
        m = moved.dram_bytes / bandwidth
        compute.append(c)
        memory.append(m)
        kernel = moved.kernel
        kernel_compute[kernel] = kernel_compute.get(kernel, 0.0) + c
        kernel_memory[kernel] = kernel_memory.get(kernel, 0.0) + m
    memory_bound = {kernel for kernel, m in kernel_memory.items() if m > kernel_compute[kernel]}
    return compute, memory, memory_bound


def exposed_overheads(kernel_times: list[float], overhead_s: float, launch: str) -> list[float]:
    """Per kernel, in order: the launch time that adds to the latency. Serial launches add all of
    it; asynchronous ones only the device's wait for the host (module docstring)."""
    if launch != "async":
        return [overhead_s] * len(kernel_times)
    exposed: list[float] = []
    device_end = 0.0
    for j, busy in enumerate(kernel_times, start=1):
        wait = max(0.0, j * overhead_s - device_end)
        exposed.append(wait)
        device_end += wait + busy
    return exposed


def _kernel_overheads(
    counts: list[NodeCount],
    traffic: tuple[Traffic, ...] | list[Traffic],
    compute: list[float],
    memory: list[float],
    hw: HardwareProfile,
) -> dict[str, float]:
    """Each kernel's exposed launch overhead, by kernel name (kernels in the order they run)."""
    busy: dict[str, tuple[float, float]] = {}
    for count, moved, c, m in zip(counts, traffic, compute, memory, strict=True):
        if not count.is_view:
            before = busy.get(moved.kernel, (0.0, 0.0))
            busy[moved.kernel] = (before[0] + c, before[1] + m)
    times = [max(c, m) for c, m in busy.values()]
    return dict(zip(busy, exposed_overheads(times, hw.overhead_s_per_kernel, hw.launch), strict=True))


def estimate(
    counts: list[NodeCount], traffic: tuple[Traffic, ...] | list[Traffic], hw: HardwareProfile
) -> list[Cost]:
    """Each node's cost record: its counts and traffic, its compute and DRAM time, its share of
    its kernel's latency (all of it in memory_bound_s when the kernel is memory-bound) and energy."""
    compute, memory, memory_bound_kernels = _node_times(counts, traffic, hw)
    precisions = {p: hw.precision(p) for p in {c.compute for c in counts}}
    dram_j, onchip_j = hw.memory.dram_pj_per_byte * PJ, hw.memory.onchip_pj_per_byte * PJ
    static_w = hw.static_power_w
    asynchronous = hw.launch == "async"
    overheads = _kernel_overheads(counts, traffic, compute, memory, hw) if asynchronous else {}
    serial_overhead = hw.overhead_s_per_kernel
    costs: list[Cost] = []
    for count, moved, c, m in zip(counts, traffic, compute, memory, strict=True):
        if count.is_view:  # an alias: it takes no time and moves nothing
            latency = overhead = compute_energy = data_energy = static_energy = memory_bound = 0.0
        else:
            kernel_is_memory_bound = moved.kernel in memory_bound_kernels
            overhead = (
                (overheads[moved.kernel] if asynchronous else serial_overhead)
                if moved.kernel == count.name
                else 0.0
            )
            latency = (m if kernel_is_memory_bound else c) + overhead
            memory_bound = latency if kernel_is_memory_bound else 0.0
            prec = precisions[count.compute]
            compute_energy = (
                count.macs / count.mac_speedup * prec.energy_pj_per_mac + count.ops * prec.energy_pj_per_op
            ) * PJ
            data_energy = moved.dram_bytes * dram_j + moved.onchip_bytes * onchip_j
            static_energy = static_w * latency
        costs.append(
            Cost(  # positional, in field order: once per node of every analysis and sweep point
                1,
                count.params,
                count.macs,
                count.ops,
                count.weight_bytes,
                count.act_in_bytes,
                count.act_out_bytes,
                moved.dram_bytes,
                moved.onchip_bytes,
                c,
                m,
                overhead,
                latency,
                memory_bound,
                compute_energy + data_energy + static_energy,
                compute_energy,
                data_energy,
                static_energy,
            )
        )
    return costs
