"""Expand a validated Spec into an `nx.DiGraph` of primitive ops, inferring shapes as it goes.

Expansion and shape inference are one pass in topological order because block parameters may
depend on the shape flowing in (`in_channels`: an inverted residual has an expansion conv only when
`exp != in_channels`). Layers may only take inputs from layers declared before them, so the
declaration order is a topological order; a reference to a later layer is reported as a cycle.

The result is an `nx.DiGraph` (`Graph.digraph`, one node per primitive op, edges in data-flow
direction, each node carrying its `Node` under the "node" attribute). It is built on first use:
importing networkx costs ~0.2 s, far more than building and costing a MobileNet, so the counting
and roofline path works on the topologically ordered node list and only graph algorithms (liveness,
scheduling, alignment) pay for networkx.

Naming: a top-level layer is `STAGE.NAME`; a layer inside a block use is `USE.NAME`; the `n`-th
copy of a repeated layer is `NAME.n`; conv/linear sugar adds `NAME.bn` and `NAME.act`. Names are
stable across runs and options, so diffs and error messages can rely on them.
"""

from __future__ import annotations

from dataclasses import replace

from costmodel import ops
from costmodel.graph.expand import GraphBuilder
from costmodel.graph.model import BuildOptions, Graph, Node
from costmodel.graph.naming import Scope, check_stage_name, keyed_layers
from costmodel.graph.shapes import checked_input_shape, infer_shape
from costmodel.spec.schema import Layer, Spec

__all__ = ["BuildOptions", "Graph", "Node", "build_graph", "with_resolution"]


def build_graph(spec: Spec, options: BuildOptions = BuildOptions()) -> Graph:
    """The spec's primitive-op graph under `options`, with a shape on every node (an ONNX model's
    spec hands back its imported graph: costmodel/onnx/load.py)."""
    if spec.prebuilt is not None:
        graph: Graph = spec.prebuilt(options)
        return graph
    builder = GraphBuilder(spec, options)
    input_shape = checked_input_shape(spec, options, builder.vars)
    first_pos = spec.stages[next(iter(spec.stages))][0].pos
    builder.add_node(
        "input",
        ops.REGISTRY["input"],
        {"shape": input_shape},
        (),
        layer="input",
        block="input",
        block_kind="input",
        stage="input",
        pos=first_pos,
    )
    keyed: list[tuple[str, Layer]] = []
    stage_of: dict[str, str] = {}
    stages = {**spec.stages, **spec.aux} if options.include_aux else spec.stages
    for stage, layers in stages.items():
        check_stage_name(stage, layers)
        for key, layer in keyed_layers(layers, stage):
            keyed.append((key, layer))
            stage_of[key] = stage
    scope = Scope(
        prefix="",
        env=dict(builder.vars),
        inputs={"input": "input", "input0": "input"},
        params={},
        top_level=True,
        depth=0,
    )
    outputs = builder.expand_scope(keyed, scope, stage_of)
    last_stage = list(spec.stages)[-1]
    output = outputs[[key for key, _ in keyed if stage_of[key] == last_stage][-1]]
    return Graph(spec, options, input_shape, builder.by_name, builder.nodes, output, builder.reads_spatial)


def with_resolution(graph: Graph, resolution: int | None) -> Graph:
    """`graph` at another input resolution: the same as `build_graph` with that resolution.

    When no expression read the spatial size, the nodes and attributes are the same at every
    resolution, so only the shapes are inferred again (a width x resolution sweep expands each
    width once); otherwise the spec is expanded again.
    """
    options = replace(graph.options, resolution=resolution)
    if (
        graph.reads_spatial
        or graph.spec.prebuilt is not None
        or not all(isinstance(size, int) for size in graph.spec.input)
    ):
        return build_graph(graph.spec, options)
    input_shape = checked_input_shape(graph.spec, options)
    by_name: dict[str, Node] = {}
    nodes: list[Node] = []
    for node in graph.nodes:
        attrs = {"shape": input_shape} if node.op.name == "input" else node.attrs
        shape = infer_shape(node.op, [by_name[i].shape for i in node.inputs], attrs, node.pos, node.name)
        new = Node(
            node.name,
            node.op,
            attrs,
            node.inputs,
            shape,
            node.layer,
            node.block,
            node.block_kind,
            node.stage,
            node.pos,
        )
        by_name[node.name] = new
        nodes.append(new)
    return Graph(graph.spec, options, input_shape, by_name, nodes, graph.output, False)
