"""The `host` hardware profile: this machine's CPU, detected at run time (Linux).

Peaks come from what the kernel reports: the clock (/proc/cpuinfo "cpu MHz"), the widest vector
FMA the CPU has (AVX-512: 16 fp32 lanes, AVX2+FMA: 8, otherwise SSE: 4 lanes without FMA), two FMA
units per core (every x86 core since Haswell and Zen 2; Intel optimization manual), and one core,
since `costmodel measure` times onnxruntime with one intra-op thread by default. Caches come from
/sys/devices/system/cpu/cpu0/cache. DRAM bandwidth cannot be read off the system: it is an estimate
of what one core streams. Efficiencies and overhead are priors for onnxruntime's MLAS kernels, to
be calibrated with `costmodel calibrate MEASUREMENTS.csv --hw host -o myhost.yaml`.
"""

from __future__ import annotations

import platform
from pathlib import Path

from costmodel.hw.profile import HardwareProfile, MemorySpec, OnChipLevel, PrecisionSpec

FMA_UNITS_PER_CORE = 2
DEFAULT_CLOCK_HZ = 2.5e9
SINGLE_CORE_DRAM_BYTES_PER_S = 12e9


def _cpuinfo() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() not in info:
                info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def _caches() -> list[tuple[str, int]]:
    levels: list[tuple[str, int]] = []
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    for index in sorted(base.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            level = (index / "level").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction":
            continue
        multiplier = {"K": 1024, "M": 1024**2}.get(size[-1:], 1)
        number = size[:-1] if size[-1:] in "KM" else size
        if number.isdigit():
            levels.append((f"L{level}{'D' if kind == 'Data' else ''}", int(number) * multiplier))
    return levels


# Priors for onnxruntime's MLAS kernels on one core, until calibrated on this machine.
EFFICIENCY_PRIORS = {
    "conv": 0.5,
    "pointwise": 0.6,
    "depthwise": 0.1,
    "grouped": 0.2,
    "linear": 0.4,
    "elementwise": 0.2,
    "pool": 0.2,
    "data": 0.2,
}


def _clock(info: dict[str, str]) -> tuple[float, str]:
    """(clock in Hz, where it came from): /proc/cpuinfo's "cpu MHz", or an assumed 2.5 GHz."""
    try:
        return float(info["cpu MHz"]) * 1e6, f"/proc/cpuinfo: cpu MHz {info['cpu MHz']}"
    except (KeyError, ValueError):
        return DEFAULT_CLOCK_HZ, "[EST] clock unknown: 2.5 GHz assumed"


def _vector_unit(flags: set[str]) -> tuple[int, int, str]:
    """(fp32 lanes, FMA units per core, ISA name) of the widest vector FMA the CPU flags show."""
    if "avx512f" in flags:
        return 16, FMA_UNITS_PER_CORE, "AVX-512"
    if "avx2" in flags and "fma" in flags:
        return 8, FMA_UNITS_PER_CORE, "AVX2+FMA"
    return 4, 1, "SSE or NEON (no wide FMA detected)"


def _sources(peak_source: str, caches: list[tuple[str, int]]) -> dict[str, str]:
    """Where each number of the host profile comes from."""
    sources = {
        "precisions.fp32.peak_macs_per_s": peak_source,
        "precisions.fp32.energy_pj_per_mac": "Horowitz, ISSCC 2014 (45 nm): fp32 mult 3.7 + add 0.9 pJ",
        "precisions.fp32.energy_pj_per_op": "Horowitz, ISSCC 2014 (45 nm): fp32 add 0.9 pJ",
        "memory.dram_bytes_per_s": "[EST] what one core streams from DRAM (a dual-channel DDR4 "
        "system gives 38.4 GB/s peak, one core reaches about a third)",
        "memory.dram_pj_per_byte": "Horowitz, ISSCC 2014: DRAM 1.3 nJ per 64 bits",
        "memory.onchip_pj_per_byte": "Horowitz, ISSCC 2014: 1 MB cache read 100 pJ per 64 bits",
        "overhead_s_per_kernel": "[EST] onnxruntime's per-node dispatch, a few microseconds",
        "static_power_w": "[EST] share of package power of one busy server core",
        "runtime": "costmodel measure times onnxruntime; the priors are for its MLAS kernels",
    }
    for name, _ in caches:
        sources[f"memory.onchip.{name}.capacity_bytes"] = (
            "/sys/devices/system/cpu/cpu0/cache (as the kernel reports it)"
        )
    for op_class in EFFICIENCY_PRIORS:
        sources[f"efficiency.{op_class}"] = (
            "[EST] prior for onnxruntime MLAS kernels; calibrate with `costmodel calibrate ... --hw host`"
        )
    return sources


def detect_host_profile() -> HardwareProfile:
    """This machine's CPU as a hardware profile: one core, peaks derived, efficiencies priors."""
    info = _cpuinfo()
    model = info.get("model name", platform.processor() or platform.machine() or "unknown CPU")
    clock, clock_source = _clock(info)
    lanes, fma, isa = _vector_unit(set(info.get("flags", "").split()))
    peak = clock * lanes * fma
    caches = _caches() or [("L2", 512 * 1024)]
    peak_source = (
        f"[EST] {fma} FMA units x {lanes} fp32 lanes ({isa}) x "
        f"{clock / 1e9:.2f} GHz, one core ({clock_source})"
    )
    return HardwareProfile(
        name="host",
        title=f"this machine: {model}, one core",
        unit="CPU, 1 thread (onnxruntime)",
        precisions={"fp32": PrecisionSpec(peak_macs_per_s=peak, energy_pj_per_mac=4.6, energy_pj_per_op=0.9)},
        memory=MemorySpec(
            dram_bytes_per_s=SINGLE_CORE_DRAM_BYTES_PER_S,
            dram_pj_per_byte=162.5,
            onchip_pj_per_byte=12.5,
            onchip=[OnChipLevel(name=n, capacity_bytes=c) for n, c in caches],
        ),
        efficiency=dict(EFFICIENCY_PRIORS),
        overhead_s_per_kernel=5e-6,
        static_power_w=5.0,
        runtime="onnxruntime",
        sources=_sources(peak_source, caches),
        notes="Detected at run time from /proc/cpuinfo and /sys; peaks are derived, efficiencies "
        "are priors until calibrated on onnxruntime measurements of this machine.",
        file="(detected at run time)",
    )
