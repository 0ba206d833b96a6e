"""Hardware profiles: YAML -> validated model. Every number carries a source.

A profile describes one compute unit the way the roofline needs it: peak MAC rate and energy per
MAC for each precision, DRAM bandwidth and energy per byte, on-chip memory, the fraction of peak a
kind of op actually reaches (depthwise convs run far below peak: MnasNet, NetAdapt), and a fixed
overhead per kernel launch. Units live in field names. `sources` maps each numeric field's dotted
path to where the number comes from; a test checks that none is missing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from costmodel import limits
from costmodel.cost.precision import PRECISIONS
from costmodel.errors import CostModelError, ErrorCode, did_you_mean, excerpt, unknown_name
from costmodel.names import OP_CLASSES


class _Strict(BaseModel):
    # strict: a YAML `true` or "12" where a number belongs is an error, not 1.0 or 12.0
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


# Physical ranges: a rate of 1e-300 or an energy of 1e308 would turn latencies and energies into
# divisions by zero, inf and nan; every real unit is far inside these bounds.


class PrecisionSpec(_Strict):
    peak_macs_per_s: float = Field(ge=1, le=limits.MAX_RATE)  # 1 MAC = 2 FLOP
    energy_pj_per_mac: float = Field(ge=0, le=limits.MAX_PJ)
    energy_pj_per_op: float = Field(ge=0, le=limits.MAX_PJ)  # one elementwise op (add, compare, multiply)
    # Kernels of this precision reach `efficiency_scale` x the op classes' efficiencies (e.g. int8
    # kernels of an older runtime that use far less of the int8 peak than fp32 kernels do of theirs).
    efficiency_scale: float | None = Field(default=None, ge=limits.MIN_EFFICIENCY, le=1)
    # MACs of 2:4 sparse weights run this much faster (sparse tensor cores); None: no sparse support,
    # a sparse layer only stores fewer bytes (costmodel/cost/sparsity.py).
    sparse_2to4_speedup: float | None = Field(default=None, ge=1, le=4)

    @property
    def scale(self) -> float:
        return 1.0 if self.efficiency_scale is None else self.efficiency_scale


class OnChipLevel(_Strict):
    name: str
    capacity_bytes: int = Field(gt=0)


class MemorySpec(_Strict):
    dram_bytes_per_s: float = Field(ge=1, le=limits.MAX_RATE)
    # What the unit can hold (weights + KV cache + activations are checked against it); None: unknown.
    dram_capacity_bytes: int | None = Field(default=None, gt=0, le=limits.MAX_RATE)
    dram_pj_per_byte: float = Field(ge=0, le=limits.MAX_PJ)
    onchip_pj_per_byte: float = Field(ge=0, le=limits.MAX_PJ)
    onchip: list[OnChipLevel] = []


class UtilisationSpec(_Strict):
    """How much of its op class's efficiency a kernel reaches, as a function of its work
    (costmodel/cost/utilisation.py). Absent from a profile: every kernel reaches all of it."""

    # Cores (CPU threads) or SMs a kernel is spread over; tiles are dealt to them in waves.
    parallel_units: int = Field(default=1, ge=1, le=1_000_000)
    # Per op class, the output tile one unit computes: [rows, channels] of the output viewed as a
    # (batch x positions) x channels matrix, as implicit-GEMM convolutions tile it.
    gemm_tile: dict[str, list[int]] = {}
    # Per op class, output elements per tile for kernels that tile the flat output (elementwise).
    flat_tile: dict[str, int] = {}
    # Per-row and per-column overhead of spatial kernels in output pixels (loop edges, halos,
    # vector remainders): an HxW map runs at HW / ((H + halo)(W + halo)) of the class's rate.
    spatial_halo: float = Field(default=0.0, ge=0, le=1e4)
    # Reduction length (MACs per output) at which a dot product runs at half its rate.
    reduction_half: float = Field(default=0.0, ge=0, le=1e9)
    # Per precision, the channel multiple its matrix units work in (tensor cores: 8 for fp16): a
    # GEMM-like layer's output channels are padded up to it, the padding computed for nothing.
    channel_align: dict[str, int] = {}

    @field_validator("channel_align")
    @classmethod
    def _known_precisions(cls, align: dict[str, int]) -> dict[str, int]:
        for name, multiple in align.items():
            if name not in PRECISIONS:
                raise ValueError(unknown_name("precision", name, PRECISIONS))
            if not 1 <= multiple <= 1024:
                raise ValueError(f"channel multiple of '{name}' must be 1 to 1024, got {multiple}")
        return align

    @field_validator("gemm_tile", "flat_tile")
    @classmethod
    def _known_classes(cls, tiles: dict[str, Any]) -> dict[str, Any]:
        for name, tile in tiles.items():
            if name not in OP_CLASSES:
                raise ValueError(unknown_name("op class", name, OP_CLASSES))
            sizes = tile if isinstance(tile, list) else [tile]
            if len(sizes) != (2 if isinstance(tile, list) else 1) or min(sizes) < 1:
                raise ValueError(f"tile of '{name}' must be [rows, channels] of at least 1, got {tile}")
        return tiles


SUPPORTED_VERSION = 1  # of the profile format


class HardwareProfile(_Strict):
    version: int = SUPPORTED_VERSION
    name: str
    title: str
    unit: str  # which compute unit of the chip the profile models
    precisions: dict[str, PrecisionSpec]
    memory: MemorySpec
    # fraction of peak reached per op class (ops.OP_CLASSES)
    efficiency: dict[str, Annotated[float, Field(ge=limits.MIN_EFFICIENCY, le=1)]]
    overhead_s_per_kernel: float = Field(ge=0, le=1)
    # serial: every kernel's overhead adds to the latency (one core, or a runtime that waits on
    # each kernel); async: a host thread queues kernels ahead of the device, so only the device's
    # idle time adds (cost/roofline.py)
    launch: Literal["serial", "async"] = "serial"
    static_power_w: float = Field(ge=0, le=1e6)
    utilisation: UtilisationSpec | None = None
    # The runtime (runtimes/NAME.yaml) the efficiencies above were calibrated or estimated with;
    # None: unnamed (no runtime's mechanisms apply). Its source is sources['runtime'].
    runtime: str | None = None
    # Calibrated values of (this unit, another runtime): partial profiles deep-merged into this one
    # when that runtime is chosen (costmodel/hw/pairing.py), each with its own `sources`.
    runtimes: dict[str, dict[str, Any]] = {}
    sources: dict[str, str]
    notes: str = ""
    file: str = ""

    @field_validator("version")
    @classmethod
    def _supported_version(cls, version: int) -> int:
        if version != SUPPORTED_VERSION:
            raise ValueError(f"unsupported profile version (this costmodel reads {SUPPORTED_VERSION})")
        return version

    @field_validator("sources")
    @classmethod
    def _has_sources(cls, sources: dict[str, str]) -> dict[str, str]:
        if not sources:  # every number comes from somewhere: a profile that cites nothing is a guess
            raise ValueError("a profile needs sources: where each of its numbers comes from")
        return sources

    @field_validator("precisions")
    @classmethod
    def _known_precisions(cls, precisions: dict[str, PrecisionSpec]) -> dict[str, PrecisionSpec]:
        for name in precisions:
            if name not in PRECISIONS:
                raise ValueError(
                    f"unknown precision '{excerpt(name)}'{did_you_mean(name, PRECISIONS)} "
                    f"(expected some of: {', '.join(PRECISIONS)})"
                )
        return precisions

    @model_validator(mode="after")
    def _check(self) -> HardwareProfile:
        if not self.precisions:
            raise ValueError("a profile needs at least one precision")
        return self

    @property
    def onchip_bytes(self) -> int:
        """The largest on-chip level: what a tensor must fit in to avoid DRAM."""
        return max((level.capacity_bytes for level in self.memory.onchip), default=0)

    def precision(self, name: str) -> PrecisionSpec:
        if name in self.precisions:
            return self.precisions[name]
        raise CostModelError(
            ErrorCode.OPTION,
            f"hardware '{self.name}' has no precision '{name}' (it has: {', '.join(self.precisions)})",
        )


def numeric_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every number in a profile (to check each one has a source)."""
    paths: list[str] = []
    if isinstance(value, BaseModel):  # the fields the file gave: a default left out has no source
        value = {k: getattr(value, k) for k in type(value).model_fields if k in value.model_fields_set}
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("version", "sources", "runtimes"):  # an override's numbers: its own sources
                continue
            paths += numeric_paths(item, f"{prefix}{key}.")
    elif isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        paths.append(prefix.rstrip("."))  # a tuple of numbers (a tile) is one number with one source
    elif isinstance(value, list):
        for item in value:
            name = getattr(item, "name", None)
            paths += numeric_paths(item, f"{prefix}{name}." if name else prefix)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        paths.append(prefix.rstrip("."))  # None (an optional number left out) needs no source
    return paths
