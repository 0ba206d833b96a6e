"""Per-node counts: params, MACs, elementwise ops and bytes, from the graph and the op registry.

Pure function of (graph, batch, precision plan): the cost rules live in ops.py; this module
applies them, scales by batch and converts element counts to bytes. Params never scale with
batch; MACs, ops and activation bytes scale exactly with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph import Graph
from costmodel.precision import BYTES_PER_ELEMENT, PrecisionPlan, compute_precision


@dataclass(frozen=True, slots=True)
class NodeCount:
    name: str
    op: str
    op_class: str
    stage: str
    block: str
    block_kind: str
    layer: str
    shape: tuple[int, ...]
    is_view: bool
    precision: str  # of the weights; MACs and activations run in compute_precision(precision)
    inputs: tuple[str, ...]
    input_bytes: tuple[int, ...]  # bytes of each input tensor as this node reads it
    params: int
    macs: int
    ops: int
    weight_bytes: int
    act_in_bytes: int  # 0 for views: they read nothing
    act_out_bytes: int  # 0 for views: they write nothing
    out_bytes: int  # size of the output tensor (a view's equals its input's)


def _bytes(elements: int, precision: str) -> int:
    return math.ceil(elements * BYTES_PER_ELEMENT[precision])


def count_nodes(graph: Graph, batch: int = 1, plan: PrecisionPlan = PrecisionPlan()
                ) -> list[NodeCount]:
    """One NodeCount per graph node (the input node excluded), in topological order."""
    if batch < 1:
        raise CostModelError(ErrorCode.OPTION, f"batch must be >= 1, got {batch}")
    plan.check()
    counts: list[NodeCount] = []
    shapes = {node.name: node.shape for node in graph.nodes}
    for node in graph.nodes:
        if node.op.name == "input":
            continue
        precision = plan.of(node.name)
        act_precision = compute_precision(precision)
        in_shapes = [shapes[i] for i in node.inputs]
        cost = node.op.cost(in_shapes, node.shape, node.attrs)
        input_bytes = tuple(_bytes(math.prod(s) * batch, act_precision) for s in in_shapes)
        out_bytes = _bytes(math.prod(node.shape) * batch, act_precision)
        view = node.op.is_view
        counts.append(NodeCount(
            name=node.name,
            op=node.op.name,
            op_class=node.op.op_class(in_shapes, node.attrs),
            stage=node.stage,
            block=node.block,
            block_kind=node.block_kind,
            layer=node.layer,
            shape=node.shape,
            is_view=view,
            precision=precision,
            inputs=node.inputs,
            input_bytes=input_bytes,
            params=cost.params,
            macs=cost.macs * batch,
            ops=cost.ops * batch,
            weight_bytes=_bytes(cost.params, precision),
            act_in_bytes=0 if view else sum(input_bytes),
            act_out_bytes=0 if view else out_bytes,
            out_bytes=out_bytes,
        ))
    return counts
