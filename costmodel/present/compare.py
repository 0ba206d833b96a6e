"""Two analyses side by side: totals with deltas, and rows aligned between the two graphs.

Rows of the same grouping (layer, block, stage, op or node) are aligned in two passes:

1. by name: a row of A and a row of B with the same hierarchical name are one row (names are stable,
   so an unchanged part of a design lines up whatever changed around it). Name matches that keep the
   order of both graphs (the longest increasing run) become anchors;
2. by structure, between two anchors: the rows left over on each side are aligned by an
   order-keeping dynamic programme over their signatures. Identical content (op or block kinds,
   output shape, params, MACs) scores highest; otherwise rows pair when their kind sequences are
   similar (difflib ratio >= 0.5), e.g. a renamed stage, or a block whose expansion changed.

A pair is `same` when every number matches, else `changed`; a row only in A is `removed`, only in B
`added`. All deltas are B - A, percentages relative to A. `build_diff` is pure.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from costmodel import limits
from costmodel.cost.analysis import AnalysisResult, Row
from costmodel.errors import CostModelError, ErrorCode
from costmodel.names import GROUP_BY, Status
from costmodel.present.metrics import DIFF_TOTALS, METRICS, side_labels

Number = int | float


def _delta(a: Number, b: Number) -> Number:
    return b - a


def _percent(a: Number, b: Number) -> float | None:
    """(B - A) / A in percent; None when A is zero (0 -> 0 is 0%)."""
    if a == 0:
        return 0.0 if b == 0 else None
    return 100.0 * (b - a) / a


@dataclass(frozen=True)
class TotalDelta:
    key: str
    a: Number
    b: Number

    @property
    def delta(self) -> Number:
        return _delta(self.a, self.b)

    @property
    def percent(self) -> float | None:
        return _percent(self.a, self.b)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.key,
            "unit": METRICS[self.key].unit,
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "percent": self.percent,
        }


@dataclass(frozen=True)
class RowPair:
    """One line of an aligned diff: a row of A, of B, or both."""

    a: Row | None
    b: Row | None
    status: Status
    match: str  # "name", "structure", or "" for an added/removed row

    @property
    def name(self) -> str:
        if self.a is not None and self.b is not None and self.a.name != self.b.name:
            return f"{self.a.name} → {self.b.name}"
        row = self.a if self.a is not None else self.b
        assert row is not None
        return row.name

    @property
    def renamed(self) -> bool:
        return self.a is not None and self.b is not None and self.a.name != self.b.name

    @property
    def op(self) -> str:
        row = self.b if self.b is not None else self.a
        assert row is not None
        return row.op

    def value(self, side: str, key: str) -> Number | None:
        row = self.a if side == "a" else self.b
        getter = METRICS[key].row
        if getter is None:
            raise KeyError(f"{key} is not a per-row metric")
        return None if row is None else getter(row)

    def delta(self, key: str) -> Number:
        """B - A, a missing side counting as zero."""
        return _delta(self.value("a", key) or 0, self.value("b", key) or 0)

    def percent(self, key: str) -> float | None:
        a = self.value("a", key)
        if a is None:
            return None
        return _percent(a, self.value("b", key) or 0)

    def to_dict(self, keys: Sequence[str]) -> dict[str, Any]:
        return {
            "status": self.status,
            "match": self.match,
            "a_name": self.a.name if self.a else None,
            "b_name": self.b.name if self.b else None,
            "op": self.op,
            "a": {k: self.value("a", k) for k in keys} if self.a else None,
            "b": {k: self.value("b", k) for k in keys} if self.b else None,
            "delta": {k: self.delta(k) for k in keys},
            "percent": {k: self.percent(k) for k in keys},
        }


ROW_KEYS = (
    "params",
    "macs",
    "ops",
    "weight_bytes",
    "act_in_bytes",
    "act_out_bytes",
    "dram_bytes",
    "latency_s",
    "energy_j",
    "memory_bound_share",
)


@dataclass(frozen=True)
class DiffResult:
    a: AnalysisResult
    b: AnalysisResult
    group_by: str
    pairs: tuple[RowPair, ...]
    totals: tuple[TotalDelta, ...]

    @property
    def labels(self) -> tuple[str, str]:
        return side_labels(self.a, self.b)

    def total(self, key: str) -> TotalDelta:
        return next(t for t in self.totals if t.key == key)

    def count(self, status: Status) -> int:
        return sum(1 for p in self.pairs if p.status == status)

    def to_dict(self) -> dict[str, Any]:
        def side(r: AnalysisResult, label: str) -> dict[str, Any]:
            return {
                "label": label,
                "spec": {"name": r.spec_name, "title": r.spec_title, "file": r.spec_file},
                "hardware": {"name": r.hardware_name, "title": r.hardware_title},
                "runtime": r.runtime.to_dict(),
                "options": r.options.to_dict(),
                "precision_plan": r.precision_plan,
            }

        label_a, label_b = self.labels
        return {
            "a": side(self.a, label_a),
            "b": side(self.b, label_b),
            "group_by": self.group_by,
            "totals": [t.to_dict() for t in self.totals],
            "counts": {s: self.count(s) for s in Status},
            "rows": [p.to_dict(ROW_KEYS) for p in self.pairs],
        }


# -- alignment ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sig:
    coarse: tuple[str, ...]  # kinds: ops of a layer, block kind + ops, block kinds of a stage
    fine: tuple[Any, ...]  # coarse + shape and counts: identical content


def _signatures(result: AnalysisResult, group_by: str, rows: list[Row]) -> list[_Sig]:
    members: dict[str, list[dict[str, str]]] = {}
    for keys in result.node_keys:
        members.setdefault(keys[group_by] if group_by != "node" else "", []).append(keys)
    sigs: list[_Sig] = []
    for row in rows:
        if group_by == "node":
            coarse: tuple[str, ...] = (row.op,)
        elif group_by == "op":
            coarse = (row.name,)
        else:
            group = members.get(row.name, [])
            if group_by == "stage":
                # one entry per block use (or top-level op) of the stage
                coarse = tuple(k["block_kind"] for k in _unique_by(group, "block"))
            elif group_by == "block":
                coarse = (group[0]["block_kind"] if group else row.op, *(k["op"] for k in group))
            else:  # layer
                coarse = tuple(k["op"] for k in group)
        sigs.append(_Sig(coarse, (coarse, row.shape, row.params, row.macs, row.ops)))
    return sigs


def _unique_by(keys: list[dict[str, str]], field: str) -> list[dict[str, str]]:
    seen: set[str] = set()
    out = []
    for k in keys:
        if k[field] not in seen:
            seen.add(k[field])
            out.append(k)
    return out


def _anchors(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of (i, j) name matches increasing in both i and j (pairs sorted by i)."""
    tails: list[int] = []  # smallest j ending an increasing run of each length
    tail_at: list[int] = []  # index into pairs of that end
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[pos] = j
            tail_at[pos] = k
        back.append(tail_at[pos - 1] if pos else -1)
    out: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


class _Scorer:
    def __init__(self) -> None:
        self.cache: dict[tuple[tuple[str, ...], tuple[str, ...]], float] = {}

    def __call__(self, a: _Sig, b: _Sig) -> float:
        if a.fine == b.fine:
            return 2.0
        key = (a.coarse, b.coarse)
        if key not in self.cache:
            ratio = (
                1.0
                if a.coarse == b.coarse
                else difflib.SequenceMatcher(None, a.coarse, b.coarse, autojunk=False).ratio()
            )
            self.cache[key] = ratio if ratio >= 0.5 else 0.0
        return self.cache[key]


Step = tuple[int | None, int | None]


def _align_gap(sa: list[_Sig], sb: list[_Sig], score: _Scorer) -> list[Step]:
    """Order-keeping alignment of two lists of rows maximising the summed pair score."""
    n, m = len(sa), len(sb)
    if n == 0 or m == 0:
        return [(i, None) for i in range(n)] + [(None, j) for j in range(m)]
    if n * m > limits.MAX_DP_CELLS:
        matches = _kind_matches([s.coarse for s in sa], [s.coarse for s in sb])
    else:
        best = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            row, prev = best[i], best[i - 1]
            for j in range(1, m + 1):
                s = score(sa[i - 1], sb[j - 1])
                row[j] = max(prev[j], row[j - 1], prev[j - 1] + s if s > 0 else 0.0)
        matches = []
        i, j = n, m
        while i > 0 and j > 0:
            s = score(sa[i - 1], sb[j - 1])
            if s > 0 and best[i][j] == best[i - 1][j - 1] + s:
                matches.append((i - 1, j - 1))
                i, j = i - 1, j - 1
            elif best[i][j] == best[i - 1][j]:
                i -= 1
            else:
                j -= 1
        matches.reverse()
    return _merge(matches, n, m)


def _kind_matches(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Order-keeping matches of two long lists of row kinds: the common head and tail matched in
    one pass, difflib on what lies between. (difflib alone is quadratic on repetitive lists: two
    renamed 9,600-node chains of one op took 10 s; their head is the whole chain.)"""
    n, m = len(a), len(b)
    head = 0
    while head < min(n, m) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(n, m) - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(None, a[head : n - tail], b[head : m - tail], autojunk=False)
    middle = [
        (head + blk.a + k, head + blk.b + k) for blk in matcher.get_matching_blocks() for k in range(blk.size)
    ]
    return [(k, k) for k in range(head)] + middle + [(n - tail + k, m - tail + k) for k in range(tail)]


def _merge(matches: list[tuple[int, int]], n: int, m: int) -> list[Step]:
    """Matches plus the unmatched rows between them: removed (A) first, then added (B)."""
    steps: list[Step] = []
    i = j = 0
    for mi, mj in [*matches, (n, m)]:
        steps.extend((k, None) for k in range(i, mi))
        steps.extend((None, k) for k in range(j, mj))
        if mi < n and mj < m:
            steps.append((mi, mj))
        i, j = mi + 1, mj + 1
    return steps


def _same(a: Row, b: Row) -> bool:
    """Same op, shape and every number of the cost record (not a field list of its own)."""
    return a.op == b.op and a.shape == b.shape and a.cost == b.cost


def align(a: AnalysisResult, b: AnalysisResult, group_by: str) -> list[RowPair]:
    rows_a, rows_b = a.rows(group_by), b.rows(group_by)
    index_b = {row.name: j for j, row in enumerate(rows_b)}
    by_name = [(i, index_b[row.name]) for i, row in enumerate(rows_a) if row.name in index_b]
    anchors = _anchors(by_name)
    crossing = {i: j for i, j in by_name} if len(anchors) < len(by_name) else {}
    for i, _ in anchors:
        crossing.pop(i, None)
    crossing_b = set(crossing.values())
    sigs_a, sigs_b = _signatures(a, group_by, rows_a), _signatures(b, group_by, rows_b)
    score = _Scorer()

    steps: list[tuple[Step, str]] = []
    i0 = j0 = 0
    for ai, bj in [*anchors, (len(rows_a), len(rows_b))]:
        for i in range(i0, ai):
            if i in crossing:  # a name match out of order: keep it, at its place in A
                steps.append(((i, crossing[i]), "name"))
        gap_a = [i for i in range(i0, ai) if i not in crossing]
        gap_b = [j for j in range(j0, bj) if j not in crossing_b]
        for si, sj in _align_gap([sigs_a[i] for i in gap_a], [sigs_b[j] for j in gap_b], score):
            step = (None if si is None else gap_a[si], None if sj is None else gap_b[sj])
            steps.append((step, "structure" if si is not None and sj is not None else ""))
        if ai < len(rows_a):
            steps.append(((ai, bj), "name"))
        i0, j0 = ai + 1, bj + 1

    pairs: list[RowPair] = []
    for (ia, jb), how in steps:
        ra = rows_a[ia] if ia is not None else None
        rb = rows_b[jb] if jb is not None else None
        if ra is not None and rb is not None:
            status = Status.SAME if _same(ra, rb) else Status.CHANGED
        else:
            status = Status.REMOVED if ra is not None else Status.ADDED
        pairs.append(RowPair(ra, rb, status, how))
    return pairs


def build_diff(a: AnalysisResult, b: AnalysisResult, group_by: str = "stage") -> DiffResult:
    """Totals A, B, B - A and percent, and the rows of both aligned (see the module doc)."""
    if group_by not in GROUP_BY:
        raise CostModelError(
            ErrorCode.OPTION, f"unknown grouping '{group_by}' (expected one of: {', '.join(GROUP_BY)})"
        )
    totals = tuple(TotalDelta(key, METRICS[key].total(a), METRICS[key].total(b)) for key in DIFF_TOTALS)
    return DiffResult(a, b, group_by, tuple(align(a, b, group_by)), totals)
