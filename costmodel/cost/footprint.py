"""Memory footprint of one inference: stored weights + KV cache + peak live activations, checked
against the DRAM capacity of the hardware profile (a 7B model in fp32 does not fit in 24 GB)."""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.cost.counting import NodeCount
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile


@dataclass(frozen=True)
class Footprint:
    """Bytes resident in DRAM while the model runs."""

    weight_bytes: int  # every param once, in its precision (a tied weight is stored once)
    kv_cache_bytes: int  # keys and values of every attended position, all sequences of the batch
    activation_bytes: int  # the peak of live activations

    @property
    def total_bytes(self) -> int:
        return self.weight_bytes + self.kv_cache_bytes + self.activation_bytes

    def describe(self) -> str:
        return (
            f"footprint: weights {self.weight_bytes:,} B + KV cache {self.kv_cache_bytes:,} B + "
            f"peak activations {self.activation_bytes:,} B = {self.total_bytes:,} B"
        )


def footprint(counts: list[NodeCount], peak_activation_bytes: int) -> Footprint:
    """The footprint of counted nodes whose live activations peak at `peak_activation_bytes`."""
    weights = sum([c.weight_bytes + c.stored_weight_delta for c in counts])
    return Footprint(weights, sum([c.kv_bytes for c in counts]), peak_activation_bytes)


def check_fits(used: Footprint, hw: HardwareProfile) -> None:
    """A CostModelError when the footprint exceeds the profile's DRAM capacity (if it gives one)."""
    capacity = hw.memory.dram_capacity_bytes
    if capacity is not None and used.total_bytes > capacity:
        raise CostModelError(
            ErrorCode.OPTION,
            f"the model does not fit in {hw.name}'s {capacity:,} B of DRAM: {used.describe()}; "
            "try int4 weights (--precision int4), --kv-precision fp8, or a smaller --batch or --context",
        )
