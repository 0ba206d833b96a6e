"""The pipeline end to end, and its typed, immutable result.

    Spec --build_graph--> Graph --count_nodes--> NodeCount --plan_memory--> Traffic, peak memory
         --roofline.estimate--> Cost (one additive record per node)  ==> AnalysisResult (rows + totals)

`analyze` is a pure function of (spec, hardware profile, options). Rows can be grouped by node,
layer, block, stage or op type; every grouping sums the same node records (cost/records.py), so
rows always add up to the totals.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from costmodel.cost.algorithms import apply_conv_algorithms, arithmetic_of, runtime_notes
from costmodel.cost.counting import NodeCount, count_nodes
from costmodel.cost.footprint import Footprint, check_fits, footprint
from costmodel.cost.memory import MemoryPlan, plan_memory
from costmodel.cost.options import AnalysisOptions, resolve
from costmodel.cost.precision import PrecisionPlan
from costmodel.cost.quantize import quantize
from costmodel.cost.records import Row as Row  # re-exported: Row lived here
from costmodel.cost.records import group_row
from costmodel.cost.roofline import estimate
from costmodel.cost.sparsity import apply_sparsity
from costmodel.cost.training import TrainingCost, training_cost
from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.graph.build import Graph, build_graph, with_resolution
from costmodel.hw.pairing import RuntimeUse, runtime_use, with_runtime
from costmodel.hw.profile import HardwareProfile
from costmodel.hw.runtime import load_runtime
from costmodel.names import GROUP_BY, GroupBy
from costmodel.spec.model import Spec

CONVENTIONS = (
    "params: learnable parameters (conv/linear weights and biases, BN gamma and beta), "
    "torchvision's convention",
    "MACs: multiply-accumulates of conv (incl. grouped/depthwise), linear layers and matmuls of two "
    "activations (attention's QK^T and softmax(.)V), batch included; a bias add is not a MAC; "
    "FLOPs would be 2 x MACs + ops",
    "ops: other arithmetic (activations, unfolded BN, add, mul, pooling), counted per element",
    "bytes: elements x bytes per element of the precision; intensity = MACs per DRAM byte",
    "peak activation memory: largest sum of live tensors over the kernel schedule",
)


@dataclass(frozen=True)
class AnalysisResult:
    """What `analyze` returns: what was analysed and how, one row per graph node (`nodes`), the
    total row (`total`, `totals`), and the peak activation memory and kernel count of the model.
    Immutable; rows per layer, block, stage or op come from `rows(group_by)`."""

    spec_name: str
    spec_title: str
    spec_file: str
    spec_source: str
    hardware_name: str
    hardware_title: str
    hardware_file: str
    options: AnalysisOptions
    input_shape: tuple[int, ...]
    nodes: tuple[Row, ...]
    node_keys: tuple[dict[str, str], ...]  # per node: its layer, block, stage and op
    assumptions: tuple[str, ...]
    kernels: int  # kernels launched (after fusion)
    peak_activation_bytes: int  # in the declared order
    min_peak_activation_bytes: int  # in the best order found
    min_peak_exact: bool
    precision_plan: str
    # Weights + KV cache + peak activations (not in the JSON: its KV part is in `assumptions`).
    footprint: Footprint = Footprint(0, 0, 0)
    training: TrainingCost | None = None  # one training step, with --training
    # Which runtime ran it and where the efficiencies come from (JSON `runtime`).
    runtime: RuntimeUse = RuntimeUse(None, "", True, "the profile's own efficiencies")
    total: Row = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", group_row("total", self.nodes))

    @property
    def totals(self) -> Row:
        """The whole model's row: every node's cost record summed (the same as `total`)."""
        return self.total

    def rows(self, group_by: GroupBy | str = GroupBy.LAYER) -> list[Row]:
        """Rows in graph order, one per group (by first appearance): per node, layer (conv+bn+act),
        block use, stage or op type. Every grouping sums the same node records to the totals."""
        group_by = grouping(group_by)
        if group_by == "node":
            return list(self.nodes)
        groups: dict[str, list[Row]] = {}
        kinds: dict[str, str] = {}
        for row, keys in zip(self.nodes, self.node_keys, strict=False):
            key = keys[group_by]
            if key not in groups:
                groups[key] = []
                # what a group is: a layer's first op (conv2d of conv+bn+act), a block use's block type
                kinds[key] = {"layer": row.op, "block": keys["block_kind"], "op": row.op}.get(group_by, "")
            groups[key].append(row)
        return [
            group_row(key, rows, op=kinds[key], stage="" if group_by == "op" else rows[0].stage)
            for key, rows in groups.items()
        ]

    def to_dict(self, group_by: GroupBy | str = GroupBy.LAYER) -> dict[str, Any]:
        """JSON-ready: what was analysed and how, the totals, and the rows of `group_by`
        (what `costmodel analyze --format json` prints)."""
        group_by = grouping(group_by)
        return {
            "spec": {
                "name": self.spec_name,
                "title": self.spec_title,
                "file": self.spec_file,
                "source": self.spec_source,
            },
            "hardware": {
                "name": self.hardware_name,
                "title": self.hardware_title,
                "file": self.hardware_file,
            },
            "runtime": self.runtime.to_dict(),
            "options": self.options.to_dict(),
            "precision_plan": self.precision_plan,
            "input_shape": list(self.input_shape),
            "conventions": list(CONVENTIONS),
            "assumptions": list(self.assumptions),
            "group_by": group_by,
            "kernels": self.kernels,
            "peak_activation_bytes": self.peak_activation_bytes,
            "min_peak_activation_bytes": self.min_peak_activation_bytes,
            "min_peak_exact": self.min_peak_exact,
            "totals": self.total.to_dict(),
            "rows": [row.to_dict() for row in self.rows(group_by)],
        } | ({"training": self.training.to_dict()} if self.training is not None else {})

    def to_frame(self, group_by: GroupBy | str = GroupBy.LAYER) -> Any:
        """The rows of `group_by` as a pandas DataFrame, one column per key of `Row.to_dict`.

        Needs pandas (`pip install 'costmodel[pandas]'`), imported only here."""
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise CostModelError(
                ErrorCode.OPTION, "to_frame needs pandas: pip install 'costmodel[pandas]'"
            ) from None
        return pandas.DataFrame([row.to_dict() for row in self.rows(group_by)])


def grouping(group_by: GroupBy | str) -> str:
    """The name of a grouping ('node', 'layer', 'block', 'stage', 'op'), from a GroupBy or its string."""
    if isinstance(group_by, str) and group_by in GROUP_BY:
        return str(group_by)  # a GroupBy member's str() is its value
    raise CostModelError(
        ErrorCode.OPTION,
        f"unknown grouping '{group_by}'{did_you_mean(str(group_by), GROUP_BY)} "
        f"(expected one of: {', '.join(GROUP_BY)})",
    )


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Analysis allocates hundreds of thousands of small acyclic objects on big graphs; Python's
    cyclic collector rescans them all every few thousand allocations, which made 100k-node graphs
    grow 1.5-1.8x faster than linear (benchmarks/bench_scale.py). Reference counting frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyze(
    spec: Spec,
    hw: HardwareProfile,
    options: AnalysisOptions = AnalysisOptions(),
    *,
    model_ends: tuple[bool, bool] = (True, True),
) -> AnalysisResult:
    """Params, MACs, traffic, peak memory, latency and energy of `spec` on `hw` under `options`.
    `model_ends`: whether the spec's input and output are the model's (an integer first layer
    quantizes the fp32 input, an integer last layer's output is dequantized: cost/quantize.py);
    False for a piece of a model analysed alone (a search lookup table's stage)."""
    with cyclic_gc_paused():
        return _analyze(spec, hw, options, model_ends=model_ends)


@dataclass(frozen=True)
class Plan:
    """The pipeline up to the roofline: what analysis and calibration both start from."""

    graph: Graph
    counts: list[NodeCount]
    memory: MemoryPlan
    precision_plan: PrecisionPlan
    options: AnalysisOptions  # as resolved for the profile (the default precision settled)
    hw: HardwareProfile  # the effective profile: the given one under the runtime (hw/pairing.py)
    runtime: RuntimeUse  # which runtime, and whether the (hardware, runtime) pair is calibrated
    runtime_notes: tuple[str, ...] = ()  # what the runtime changed, for the assumptions
    quantization: str = ""  # what cost/quantize.py added, in words ("" when nothing)


def plan(
    spec: Spec,
    hw: HardwareProfile,
    options: AnalysisOptions,
    *,
    reuse: Plan | None = None,
    search_schedule: bool = True,
    graph: Graph | None = None,
    model_ends: tuple[bool, bool] = (True, True),
) -> Plan:
    """Graph, per-node counts and memory plan of `spec` on `hw` under `options`.

    `reuse`: a plan of the same spec built with the same width (at any resolution, batch and
    precision); its graph is reused or re-shaped instead of expanded again and its fusion is kept
    (the results are the same, faster: what a sweep does). `search_schedule=False` skips the min-peak search.
    `graph`: the graph to cost instead of expanding `spec` (a compressed design, costmodel/compress/).
    `model_ends`: see `analyze`.
    """
    options = resolve(options, hw)
    runtime = load_runtime(options.runtime) if options.runtime is not None else None
    given, hw = hw, with_runtime(hw, runtime)
    precisions = PrecisionPlan(
        options.compute_precision,
        options.layer_precision + tuple(spec.precision.items()),
        options.act_precision,
        options.kv_precision,
        arithmetic_of(runtime, hw),
    )
    precisions.check()
    build = options.build
    if graph is not None:
        pass  # given: a transformed graph of `spec`
    elif reuse is not None and reuse.graph.spec is spec and reuse.graph.options == build:
        graph = reuse.graph  # batch and precision change costs, not the graph
    elif (
        reuse is not None
        and reuse.graph.spec is spec
        and replace(reuse.graph.options, resolution=build.resolution) == build
    ):
        graph = with_resolution(reuse.graph, build.resolution)
    else:
        graph = build_graph(spec, build)
    counts = count_nodes(graph, options.batch, precisions)
    winograd = 0
    if runtime is not None:
        counts, winograd = apply_conv_algorithms(counts, graph, runtime.conv, options.batch)
    if options.sparsity:
        speedups = {p: s.sparse_2to4_speedup for p, s in hw.precisions.items() if s.sparse_2to4_speedup}
        counts = apply_sparsity(counts, options.sparsity, speedups)
    # after sparsity: integer weights' scales join the (compressed) stored weights
    quantized = quantize(counts, graph.input_shape, model_ends)
    counts = quantized.counts
    for precision in sorted({c.compute for c in counts}):
        hw.precision(precision)
    memory = plan_memory(
        counts,
        hw.onchip_bytes,
        options.memory,
        kernels=reuse.memory.kernel_plan if reuse is not None else None,
        search_schedule=search_schedule,
    )
    notes = runtime_notes(runtime, precisions, winograd)
    use = runtime_use(given, runtime)
    return Plan(graph, counts, memory, precisions, options, hw, use, notes, quantized.describe())


def analyze_graph(
    graph: Graph, hw: HardwareProfile, options: AnalysisOptions = AnalysisOptions()
) -> AnalysisResult:
    """`analyze` of a graph built and then transformed (pruned, factorised: costmodel/compress/);
    the spec's name and title are those of `graph.spec`. Graph options in `options` are ignored."""
    with cyclic_gc_paused():
        return _analyze(graph.spec, hw, options, graph)


def _analyze(
    spec: Spec,
    hw: HardwareProfile,
    options: AnalysisOptions,
    graph: Graph | None = None,
    model_ends: tuple[bool, bool] = (True, True),
) -> AnalysisResult:
    planned = plan(spec, hw, options, graph=graph, model_ends=model_ends)
    counts, memory, hw = planned.counts, planned.memory, planned.hw
    used = footprint(counts, memory.min_peak_bytes)
    check_fits(used, hw)
    costs = estimate(counts, memory.traffic, hw)
    rows = tuple(
        [
            Row(count.name, count.op, count.stage, moved.kernel, count.precision, count.shape, cost)
            for count, moved, cost in zip(counts, memory.traffic, costs, strict=True)
        ]
    )
    return AnalysisResult(
        spec_name=spec.name,
        spec_title=spec.title,
        spec_file=spec.file,
        spec_source=spec.source,
        hardware_name=hw.name,
        hardware_title=hw.title,
        hardware_file=hw.file,
        options=planned.options,
        input_shape=(planned.options.batch, *planned.graph.input_shape),
        nodes=rows,
        node_keys=tuple([_grouping_keys(count) for count in counts]),
        assumptions=_assumptions(planned, hw) + ((used.describe(),) if used.kv_cache_bytes else ()),
        kernels=len(memory.kernels),
        peak_activation_bytes=memory.peak_bytes,
        min_peak_activation_bytes=memory.min_peak_bytes,
        min_peak_exact=memory.min_peak_exact,
        precision_plan=planned.precision_plan.describe(),
        footprint=used,
        training=training_cost(counts) if planned.options.training else None,
        runtime=planned.runtime,
    )


def _grouping_keys(count: NodeCount) -> dict[str, str]:
    """The group a node belongs to under each grouping, and its block's type."""
    return {
        "layer": count.layer,
        "block": count.block,
        "stage": count.stage,
        "op": count.op,
        "block_kind": count.block_kind,
    }


def _assumptions(planned: Plan, hw: HardwareProfile) -> tuple[str, ...]:
    """The modelling assumptions behind the numbers, in words (shown with every analysis)."""
    options, memory = planned.options, planned.memory
    resident = ""
    if options.resident_weights:
        resident = (
            " (this model's weights fit: none read from DRAM)"
            if memory.weights_resident
            else " (this model's weights do not fit: read from DRAM)"
        )
    return (
        f"memory: {options.memory.describe(hw.onchip_bytes)}{resident}",
        "latency: roofline per kernel, max(compute, DRAM) + per-kernel overhead, summed "
        "(one unit, kernels in sequence)",
        "energy: MACs and ops x energy per op of the precision + DRAM and on-chip bytes x energy "
        "per byte + static power x latency",
        *planned.runtime_notes,
        *planned.graph.notes,
        *((planned.quantization,) if planned.quantization else ()),
    )
