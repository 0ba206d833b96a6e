"""The primitive-op graph a spec expands to: its nodes, and the options that shape it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from costmodel.errors import SourcePos
from costmodel.ops.registry import OpType, Shape
from costmodel.spec.schema import Spec

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class BuildOptions:
    """What-if knobs that change the graph itself (batch and precision only change costs)."""

    width: float = 1.0
    resolution: int | None = None  # square input side; None keeps the spec's input
    include_aux: bool = False  # build the spec's training-only auxiliary heads too
    vars: tuple[tuple[str, Any], ...] = ()  # spec vars given other values (--set NAME=VALUE)
    phase: str | None = None  # a language model's prefill or decode step (graph/variables.py)
    context: int | None = None  # positions attended: prefill length, or the decode step's context
    depth: float = 1.0  # block-use repeats scaled by ceil(repeat * depth) (EfficientNet)
    allow_unsupported: bool = False  # ONNX ops with no costmodel op count as zero instead of failing


@dataclass(slots=True)
class Node:
    """One primitive op of the graph, with its output shape and where the spec declared it."""

    name: str
    op: OpType
    attrs: dict[str, Any]
    inputs: tuple[str, ...]
    shape: Shape
    layer: str  # the spec layer that declared it (conv, bn and act of one layer share it)
    block: str  # the top-level layer use it belongs to
    block_kind: str  # what that use is: a block type or an op type
    stage: str
    pos: SourcePos


@dataclass
class Graph:
    """A spec's primitive ops in topological order, with the options they were built under."""

    spec: Spec
    options: BuildOptions
    input_shape: Shape
    by_name: dict[str, Node]
    nodes: list[Node] = field(default_factory=list)  # topological order
    output: str = ""
    # Whether any expression read the spatial size (in_h, in_w). If none did, the nodes and their
    # attributes cannot depend on the resolution, and `with_resolution` only re-infers shapes.
    reads_spatial: bool = True
    # What the analysis must say about how the graph was made (an ONNX model's ops counted as zero).
    notes: tuple[str, ...] = ()

    def node(self, name: str) -> Node:
        return self.by_name[name]

    @cached_property
    def digraph(self) -> nx.DiGraph[str]:
        """The graph as an nx.DiGraph (built once, on first use)."""
        import networkx as nx

        digraph: nx.DiGraph[str] = nx.DiGraph()
        for node in self.nodes:
            digraph.add_node(node.name, node=node)
            for source in node.inputs:
                digraph.add_edge(source, node.name)
        return digraph
