"""The one additive cost record, and the rows of an analysis built from it.

A `Cost` holds every number of a node that adds up: counts (params, MACs, ops), bytes, times and
energies. The cost of a group of nodes (a layer, block, stage, the whole model) is the `total` of
its nodes' records, field by field, so the record's fields are named once, here, and never again by
grouping, totals or sweeps. Ratios (intensity, shares) and the bound are derived from a record,
never summed.

A `Row` is a record with what identifies it (name, op, stage, kernel, precision, output shape);
its public attributes (`row.params`, `row.latency_s`, `row.bound`, ...) read through to the record.
Both are named tuples: immutable, and several times cheaper to build than frozen dataclasses (an
analysis builds one of each per node).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import add
from typing import Any, NamedTuple

from costmodel.names import Bound


class Cost(NamedTuple):
    """The additive numbers of one node, or their sum over several. Counts include the batch."""

    nodes: int  # graph nodes summed into this record (1 for a node)
    params: int
    macs: int
    ops: int
    weight_bytes: int
    act_in_bytes: int
    act_out_bytes: int
    dram_bytes: int
    onchip_bytes: int
    compute_s: float
    memory_s: float
    overhead_s: float
    latency_s: float
    memory_bound_s: float  # latency of the nodes in this record that are memory-bound
    energy_j: float
    compute_energy_j: float
    data_energy_j: float
    static_energy_j: float

    def plus(self, other: Cost) -> Cost:
        """The field-by-field sum of two records (`total` sums many at once, faster)."""
        return Cost(*map(add, self, other))

    @property
    def naive_dram_bytes(self) -> int:
        """DRAM bytes if every tensor a node touches went through DRAM (no fusion, no cache)."""
        return self.weight_bytes + self.act_in_bytes + self.act_out_bytes

    @property
    def memory_bound_share(self) -> float:
        """Share of the latency spent in memory-bound kernels."""
        return self.memory_bound_s / self.latency_s if self.latency_s else 0.0

    @property
    def intensity(self) -> float:
        """Arithmetic intensity in MACs per DRAM byte (0 when nothing moves)."""
        return self.macs / self.dram_bytes if self.dram_bytes else 0.0

    @property
    def attained_macs_per_s(self) -> float:
        """MACs per second of latency: the height on a roofline plot (0 when it takes no time)."""
        return self.macs / self.latency_s if self.latency_s else 0.0

    @property
    def bound(self) -> Bound:
        """MEMORY when memory-bound kernels take most of the latency, NONE when it takes no time."""
        if self.latency_s == 0:
            return Bound.NONE
        return Bound.MEMORY if 2 * self.memory_bound_s > self.latency_s else Bound.COMPUTE


ZERO = Cost(0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def total(records: Iterable[Cost]) -> Cost:
    """The field-by-field sum of `records` (ZERO for none), summed in the order given."""
    columns = tuple(map(sum, zip(*records, strict=True)))
    return Cost._make(columns) if columns else ZERO


class Row(NamedTuple):
    """One node, or the sum over a group of nodes: a `Cost` and what it is the cost of."""

    name: str
    op: str  # the node's op; a group's kind (a layer's first op, a block's type), "" for a stage
    stage: str
    kernel: str  # the fused kernel a node runs in ("" for a group)
    precision: str  # "" for a group
    shape: tuple[int, ...]  # the output shape (a group's: its last node's)
    cost: Cost

    # The record's fields and derived quantities, as attributes of the row.
    @property
    def nodes(self) -> int:
        return self.cost.nodes

    @property
    def params(self) -> int:
        return self.cost.params

    @property
    def macs(self) -> int:
        return self.cost.macs

    @property
    def ops(self) -> int:
        return self.cost.ops

    @property
    def weight_bytes(self) -> int:
        return self.cost.weight_bytes

    @property
    def act_in_bytes(self) -> int:
        return self.cost.act_in_bytes

    @property
    def act_out_bytes(self) -> int:
        return self.cost.act_out_bytes

    @property
    def dram_bytes(self) -> int:
        return self.cost.dram_bytes

    @property
    def onchip_bytes(self) -> int:
        return self.cost.onchip_bytes

    @property
    def compute_s(self) -> float:
        return self.cost.compute_s

    @property
    def memory_s(self) -> float:
        return self.cost.memory_s

    @property
    def overhead_s(self) -> float:
        return self.cost.overhead_s

    @property
    def latency_s(self) -> float:
        return self.cost.latency_s

    @property
    def memory_bound_s(self) -> float:
        return self.cost.memory_bound_s

    @property
    def energy_j(self) -> float:
        return self.cost.energy_j

    @property
    def compute_energy_j(self) -> float:
        return self.cost.compute_energy_j

    @property
    def data_energy_j(self) -> float:
        return self.cost.data_energy_j

    @property
    def static_energy_j(self) -> float:
        return self.cost.static_energy_j

    @property
    def naive_dram_bytes(self) -> int:
        return self.cost.naive_dram_bytes

    @property
    def memory_bound_share(self) -> float:
        return self.cost.memory_bound_share

    @property
    def intensity(self) -> float:
        return self.cost.intensity

    @property
    def attained_macs_per_s(self) -> float:
        return self.cost.attained_macs_per_s

    @property
    def bound(self) -> Bound:
        return self.cost.bound

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: identity, the record's fields, then the derived quantities (a stable key order)."""
        cost = self.cost
        out: dict[str, Any] = {
            "name": self.name,
            "op": self.op,
            "stage": self.stage,
            "kernel": self.kernel,
            "precision": self.precision,
            "nodes": cost.nodes,
            "shape": list(self.shape),
        }
        out.update(zip(_AFTER_SHAPE, cost[1:], strict=True))
        out["naive_dram_bytes"] = cost.naive_dram_bytes
        out["intensity_macs_per_byte"] = cost.intensity
        out["memory_bound_share"] = cost.memory_bound_share
        out["bound"] = cost.bound.value
        return out


_AFTER_SHAPE = Cost._fields[1:]  # a row's dict shows `nodes` before the shape, the rest after


def group_row(name: str, rows: Iterable[Row], op: str = "", stage: str = "") -> Row:
    """The row of a group: its nodes' records summed, the shape of its last node."""
    rows = list(rows)
    shape = rows[-1].shape if rows else ()
    return Row(name, op, stage, "", "", shape, total([row.cost for row in rows]))
