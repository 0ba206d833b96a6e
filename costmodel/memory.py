"""Memory traffic model: which bytes of each node go to DRAM and which stay on chip.

The model here is the plain roofline's: every node reads its weights and input activations from
DRAM and writes its output to DRAM (no fusion, no cache reuse). It overstates traffic for chains
of small elementwise ops, and that is the assumption the report header states. The interface
(counts -> per-node DRAM and on-chip bytes) is where a fusion- and cache-aware model plugs in.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.counting import NodeCount

MEMORY_MODELS = ("naive",)


@dataclass(frozen=True, slots=True)
class Traffic:
    dram_bytes: int
    onchip_bytes: int


def naive_traffic(counts: list[NodeCount]) -> list[Traffic]:
    """Every tensor a node touches crosses DRAM once."""
    return [Traffic(c.weight_bytes + c.act_in_bytes + c.act_out_bytes, 0) for c in counts]


def describe(model: str) -> str:
    return {
        "naive": "naive: every node reads weights and inputs from DRAM and writes its output to DRAM",
    }[model]
