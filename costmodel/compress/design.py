"""A compressed design: a graph rebuilt from another with changed nodes, its shapes inferred again.

Every compression (pruning, factorisation, sparsity) produces a new `Graph` of the same spec whose
nodes have other attributes or replace some of the original's; `rebuild` checks it the way the
builder does (every shape inferred and checked), so a compressed design is as valid as a spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import Graph, Node
from costmodel.graph.shapes import infer_shape
from costmodel.ops.registry import OpType


@dataclass(frozen=True)
class NewNode:
    """A node of a rebuilt graph before its shape is known."""

    name: str
    op: OpType
    attrs: dict[str, Any]
    inputs: tuple[str, ...]
    like: Node  # the original node it replaces or comes from: its layer, block, stage and place


def rebuild(graph: Graph, nodes: list[NewNode], output: str | None = None, label: str = "") -> Graph:
    """`graph` with `nodes` (in topological order) instead of its own; shapes inferred again.

    `label` is appended to the spec's name and title ("mbv2 pruned") so that diffs tell the two
    designs apart."""
    by_name: dict[str, Node] = {}
    built: list[Node] = []
    for new in nodes:
        like = new.like
        shape = infer_shape(new.op, [by_name[i].shape for i in new.inputs], new.attrs, like.pos, new.name)
        node = Node(
            new.name,
            new.op,
            new.attrs,
            new.inputs,
            shape,
            like.layer,
            like.block,
            like.block_kind,
            like.stage,
            like.pos,
        )
        by_name[node.name] = node
        built.append(node)
    spec = graph.spec
    if label:
        spec = spec.model_copy(update={"name": f"{spec.name} {label}", "title": f"{spec.title} ({label})"})
    return Graph(
        spec,
        graph.options,
        graph.input_shape,
        by_name,
        built,
        output or graph.output,
        graph.reads_spatial,
    )


def same_node(node: Node, **attrs: Any) -> NewNode:
    """`node` as it is, with some attributes given other values."""
    return NewNode(node.name, node.op, {**node.attrs, **attrs}, node.inputs, node)


def spec_text(graph: Graph, name: str) -> str:
    """`graph` as spec YAML named `name`, read back and checked to build the same graph (so a
    written design is valid and `analyze` gives it the same counts)."""
    from costmodel.graph.build import build_graph
    from costmodel.spec.model import parse_spec
    from costmodel.spec.writer import graph_to_spec, same_graph

    text = graph_to_spec(graph, name=name, title=graph.spec.title)
    if not same_graph(build_graph(parse_spec(text, f"{name}.yaml")), graph):
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"the written spec of {name} does not read back the same"
        )
    return text
