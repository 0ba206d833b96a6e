"""Per-node counts: params, MACs, elementwise ops and bytes, from the graph and the op registry.

Pure function of (graph, batch, precision plan): the cost rules live in ops.py; this module
applies them, scales by batch and converts element counts to bytes. Params never scale with
batch; MACs, ops and activation bytes scale exactly with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from costmodel.cost.precision import BYTES_PER_ELEMENT, PrecisionPlan, compute_precision
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import Graph
from costmodel.names import OpClass


@dataclass(slots=True)  # read-only by convention; frozen dataclasses cost 2x to build
class NodeCount:
    name: str
    op: str
    op_class: OpClass
    stage: str
    block: str
    block_kind: str
    layer: str
    shape: tuple[int, ...]
    is_view: bool
    precision: str  # of the weights
    inputs: tuple[str, ...]
    input_bytes: tuple[int, ...]  # bytes of each input tensor as this node reads it
    params: int
    macs: int
    ops: int
    weight_bytes: int
    act_in_bytes: int  # 0 for views: they read nothing
    act_out_bytes: int  # 0 for views: they write nothing
    out_bytes: int  # size of the output tensor (a view's equals its input's)
    compute: str  # the precision MACs and activations run in (PrecisionPlan.compute_of)
    kv_bytes: int = 0  # KV cache this node holds, all sequences: its size, and a step's DRAM traffic
    scratch_bytes: int = 0  # written to DRAM and read back inside the node (unfused attention)
    # Stored weight bytes less those read (an embedding reads a row per token, a tied weight is
    # stored elsewhere): weight_bytes + this is what the node's params occupy.
    stored_weight_delta: int = 0
    # MACs run this much faster: 2:4 sparse weights on a unit that declares it (cost/sparsity.py)
    mac_speedup: float = 1.0
    batch: int = 1  # the batch the counts include (the utilisation model needs work per sample)


# Bytes per activation element for each precision a node's weights are stored in. Activations are
# whole bytes in every compute precision (int4 weights compute in int8), so their byte counts are
# exact integer products; only packed int4 weights need rounding up.
_ACTIVATION_BYTES = {p: int(BYTES_PER_ELEMENT[compute_precision(p)]) for p in BYTES_PER_ELEMENT}
assert all(_ACTIVATION_BYTES[p] == BYTES_PER_ELEMENT[compute_precision(p)] for p in _ACTIVATION_BYTES)


def count_nodes(graph: Graph, batch: int = 1, plan: PrecisionPlan = PrecisionPlan()) -> list[NodeCount]:
    """One NodeCount per graph node (the input node excluded), in topological order."""
    if batch < 1:
        raise CostModelError(ErrorCode.OPTION, f"batch must be >= 1, got {batch}")
    plan.check()
    counts: list[NodeCount] = []
    elements: dict[str, int] = {}  # per node: output elements, batch included
    shapes = {node.name: node.shape for node in graph.nodes}
    uniform = plan.default if not plan.rules else None  # the common case: one precision
    compute_of = {p: plan.compute_of(p) for p in BYTES_PER_ELEMENT}
    kv_size = BYTES_PER_ELEMENT[plan.kv] if plan.kv else 0.0
    for node in graph.nodes:
        op = node.op
        out_elements = elements[node.name] = math.prod(node.shape) * batch  # topological order
        if op.name == "input":
            continue
        precision = uniform or plan.of(node.name)
        compute = compute_of[precision]
        act_size = _ACTIVATION_BYTES[compute]
        inputs, attrs = node.inputs, node.attrs
        in_shapes = [shapes[i] for i in inputs]
        cost = op.cost(in_shapes, node.shape, attrs)
        input_bytes = tuple([elements[i] * act_size for i in inputs])
        out_bytes = out_elements * act_size
        view = op.is_view
        extra = cost.extra
        weights = cost.params
        if extra is not None and (extra.weights >= 0 or extra.gathered):  # tied or looked-up weights
            weights = max(extra.weights, 0) + min(extra.gathered * batch, cost.params)
        record = NodeCount(
            node.name,
            op.name,
            op.op_class(in_shapes, attrs),
            node.stage,
            node.block,
            node.block_kind,
            node.layer,
            node.shape,
            view,
            precision,
            inputs,
            input_bytes,
            cost.params,
            cost.macs * batch,
            cost.ops * batch,
            math.ceil(weights * BYTES_PER_ELEMENT[precision]),
            0 if view else sum(input_bytes),
            0 if view else out_bytes,
            out_bytes,
            compute,
        )
        if batch != 1:
            record.batch = batch
        if extra is not None:
            record.stored_weight_delta = (
                math.ceil(cost.params * BYTES_PER_ELEMENT[precision]) - record.weight_bytes
            )
            record.kv_bytes = math.ceil(extra.kv * batch * (kv_size or act_size))
            record.scratch_bytes = extra.scratch * batch * act_size
        counts.append(record)
    return counts
