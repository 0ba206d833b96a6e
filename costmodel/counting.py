"""Per-node counts: params, MACs, elementwise ops and bytes, from the graph and the op registry.

Pure function of (graph, batch, precision): the cost rules live in ops.py; this module applies
them, scales by batch and converts element counts to bytes. Params never scale with batch;
MACs, ops and activation bytes scale exactly with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph import Graph

# Bytes per element of each precision the analyzer knows. int4 packs two weights per byte.
BYTES_PER_ELEMENT: dict[str, float] = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5}


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
    params: int
    macs: int
    ops: int
    weight_bytes: int
    act_in_bytes: int
    act_out_bytes: int


def check_precision(precision: str) -> None:
    if precision not in BYTES_PER_ELEMENT:
        raise CostModelError(ErrorCode.OPTION, f"unknown precision '{precision}' "
                             f"(expected one of: {', '.join(BYTES_PER_ELEMENT)})")


def _bytes(elements: int, precision: str) -> int:
    return int(elements * BYTES_PER_ELEMENT[precision] + 0.5)


def count_nodes(graph: Graph, batch: int = 1, precision: str = "fp32") -> list[NodeCount]:
    """One NodeCount per graph node (the input node excluded), in topological order.

    Activations use the model's precision; int4 applies to weights only (activations stay int8).
    """
    if batch < 1:
        raise CostModelError(ErrorCode.OPTION, f"batch must be >= 1, got {batch}")
    check_precision(precision)
    act_precision = "int8" if precision == "int4" else precision
    counts: list[NodeCount] = []
    shapes = {node.name: node.shape for node in graph.nodes}
    for node in graph.nodes:
        if node.op.name == "input":
            continue
        in_shapes = [shapes[i] for i in node.inputs]
        cost = node.op.cost(in_shapes, node.shape, node.attrs)
        out_elements = _numel(node.shape) * batch
        in_elements = sum(_numel(s) for s in in_shapes) * batch
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
            params=cost.params,
            macs=cost.macs * batch,
            ops=cost.ops * batch,
            weight_bytes=_bytes(cost.params, precision),
            act_in_bytes=0 if view else _bytes(in_elements, act_precision),
            act_out_bytes=0 if view else _bytes(out_elements, act_precision),
        ))
    return counts


def _numel(shape: tuple[int, ...]) -> int:
    total = 1
    for d in shape:
        total *= d
    return total
