"""The additive cost record and the rows built from it: sums, derived quantities, the row's keys."""

from __future__ import annotations

from functools import reduce

import pytest
from conftest import run

from costmodel.cost.records import ZERO, Cost, Row, group_row, total
from costmodel.names import Bound, GroupBy

# Hand-made records (numbers chosen so that each sum is easy to check by eye).
A = Cost(1, 10, 100, 5, 40, 20, 30, 50, 70, 1.0, 2.0, 0.5, 2.5, 2.5, 4.0, 1.0, 2.0, 1.0)
B = Cost(1, 0, 300, 7, 0, 60, 60, 20, 120, 3.0, 1.0, 0.0, 3.0, 0.0, 6.0, 3.0, 2.0, 1.0)
A_PLUS_B = Cost(2, 10, 400, 12, 40, 80, 90, 70, 190, 4.0, 3.0, 0.5, 5.5, 2.5, 10.0, 4.0, 4.0, 2.0)

# The keys of a row in JSON output, in order (tests/golden/report.json and every `--format json`).
ROW_KEYS = [
    "name",
    "op",
    "stage",
    "kernel",
    "precision",
    "nodes",
    "shape",
    "params",
    "macs",
    "ops",
    "weight_bytes",
    "act_in_bytes",
    "act_out_bytes",
    "dram_bytes",
    "onchip_bytes",
    "compute_s",
    "memory_s",
    "overhead_s",
    "latency_s",
    "memory_bound_s",
    "energy_j",
    "compute_energy_j",
    "data_energy_j",
    "static_energy_j",
    "naive_dram_bytes",
    "intensity_macs_per_byte",
    "memory_bound_share",
    "bound",
]


def test_plus_adds_field_by_field() -> None:
    assert A.plus(B) == A_PLUS_B
    assert A.plus(ZERO) == A


def test_total_is_repeated_plus() -> None:
    assert total([A, B]) == A_PLUS_B
    assert total([]) == ZERO
    assert total(iter([A, B, A])) == reduce(Cost.plus, [A, B, A])


def test_derived_quantities() -> None:
    assert A.naive_dram_bytes == 40 + 20 + 30
    assert A.intensity == 100 / 50
    assert A.memory_bound_share == 1.0
    assert A.attained_macs_per_s == 100 / 2.5
    assert ZERO.intensity == ZERO.memory_bound_share == ZERO.attained_macs_per_s == 0.0


def test_bound_is_a_bound_member() -> None:
    assert A.bound is Bound.MEMORY and A.bound == "memory"
    assert B.bound is Bound.COMPUTE and B.bound == "compute"
    assert ZERO.bound is Bound.NONE and ZERO.bound == "-"
    # a group with under half its latency memory-bound is compute-bound
    assert A_PLUS_B.bound is Bound.COMPUTE


def test_row_reads_through_to_its_record() -> None:
    row = Row("s1.conv", "conv2d", "s1", "s1.conv", "fp32", (1, 8, 4, 4), A)
    for name in Cost._fields:
        assert getattr(row, name) == getattr(A, name), name
    assert row.naive_dram_bytes == 90 and row.bound is Bound.MEMORY
    assert list(row.to_dict()) == ROW_KEYS
    assert row.to_dict()["shape"] == [1, 8, 4, 4]
    assert type(row.to_dict()["bound"]) is str


def test_group_row_sums_records_and_keeps_the_last_shape() -> None:
    rows = [Row("a", "conv2d", "s", "a", "fp32", (1, 2), A), Row("b", "relu", "s", "a", "fp32", (1, 3), B)]
    group = group_row("layer", rows, op="conv2d", stage="s")
    assert group.cost == A_PLUS_B
    identity = (group.name, group.op, group.stage, group.kernel, group.precision)
    assert identity == ("layer", "conv2d", "s", "", "")
    assert group.shape == (1, 3)


@pytest.mark.parametrize("group_by", list(GroupBy))
def test_every_grouping_sums_to_the_total_record(group_by: GroupBy, sd855) -> None:
    result = run("mbv3_small", sd855)
    rows = result.rows(group_by.value)
    summed = reduce(Cost.plus, (row.cost for row in rows), ZERO)
    assert summed.nodes == result.total.nodes == len(result.nodes)
    for name in ("params", "macs", "ops", "weight_bytes", "dram_bytes", "onchip_bytes"):
        assert getattr(summed, name) == getattr(result.total, name)  # integers: exact
    for name in ("latency_s", "memory_bound_s", "energy_j"):
        assert getattr(summed, name) == pytest.approx(getattr(result.total, name), rel=1e-12)
