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

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from costmodel import limits, ops
from costmodel.errors import CostModelError, ErrorCode, SourcePos, did_you_mean
from costmodel.ops.attrs import AttrError, parse_attr
from costmodel.ops.registry import OpType, Shape, ShapeError
from costmodel.spec import expr
from costmodel.spec.model import NONE_WORDS, BlockDef, Layer, Spec

if TYPE_CHECKING:
    import networkx as nx

# 250k nodes is 100x NASNet-A Large and is reached in ~2 s with ~100 MB; 1M took 8 s and 360 MB
# to reject (benchmarks/bench_scale.py measures 100k-node graphs).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPATIAL_NAMES = frozenset({"in_h", "in_w"})  # see _shape_vars


@dataclass(frozen=True)
class BuildOptions:
    """What-if knobs that change the graph itself (batch and precision only change costs)."""

    width: float = 1.0
    resolution: int | None = None  # square input side; None keeps the spec's input
    include_aux: bool = False  # build the spec's training-only auxiliary heads too


@dataclass(slots=True)
class Node:
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
    spec: Spec
    options: BuildOptions
    input_shape: Shape
    by_name: dict[str, Node]
    nodes: list[Node] = field(default_factory=list)  # topological order
    output: str = ""
    # Whether any expression read the spatial size (in_h, in_w). If none did, the nodes and their
    # attributes cannot depend on the resolution, and `with_resolution` only re-infers shapes.
    reads_spatial: bool = True

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


@dataclass
class _Scope:
    """Names visible while expanding one list of layers (a spec's stages or a block body)."""

    prefix: str
    env: dict[str, Any]
    inputs: dict[str, str]  # 'input', 'input0', 'input1', ... -> node name
    params: dict[str, Any]  # block params (for string substitution); empty at top level
    top_level: bool
    depth: int
    stage: str = ""  # inside a block: the stage and top-level use it belongs to
    block: str = ""
    block_kind: str = ""


class _Builder:
    def __init__(self, spec: Spec, options: BuildOptions) -> None:
        self.spec = spec
        self.options = options
        self.by_name: dict[str, Node] = {}
        self.keyed_blocks: dict[str, list[tuple[str, Layer]]] = {}
        self.nodes: list[Node] = []
        self.vars: dict[str, Any] = {**spec.vars, "width": options.width}
        self.divisor = int(spec.vars.get("width_divisor", 8))
        self.visits = 0
        self.reads_spatial = False

    # -- nodes --------------------------------------------------------------------------------

    def add_node(
        self,
        name: str,
        op: OpType,
        attrs: dict[str, Any],
        inputs: tuple[str, ...],
        *,
        layer: str,
        block: str,
        block_kind: str,
        stage: str,
        pos: SourcePos,
    ) -> str:
        if name in self.by_name:
            raise CostModelError(ErrorCode.BAD_VALUE, f"two nodes are named '{name}'", pos=pos, node=name)
        if len(self.nodes) >= limits.MAX_NODES:
            raise CostModelError(
                ErrorCode.LIMIT, f"the graph has more than {limits.MAX_NODES} nodes", pos=pos, node=name
            )
        if not op.min_inputs <= len(inputs) <= op.max_inputs:
            want = (
                str(op.min_inputs)
                if op.min_inputs == op.max_inputs
                else f"{op.min_inputs} to {op.max_inputs}"
            )
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"op '{op.name}' takes {want} inputs, got {len(inputs)}",
                pos=pos,
                node=name,
            )
        shape = _infer_shape(op, [self.by_name[i].shape for i in inputs], attrs, pos, name)
        node = Node(name, op, attrs, inputs, shape, layer, block, block_kind, stage, pos)
        self.by_name[name] = node
        self.nodes.append(node)
        return name

    def keyed_block_layers(self, name: str, block: BlockDef) -> list[tuple[str, Layer]]:
        """A block's layers with their local names, worked out once per build."""
        if name not in self.keyed_blocks:
            self.keyed_blocks[name] = _keyed_layers(block.layers)
        return self.keyed_blocks[name]

    def shape_of(self, name: str) -> Shape:
        return self.by_name[name].shape

    # -- values -------------------------------------------------------------------------------

    def evaluate(self, raw: Any, env: dict[str, Any], pos: SourcePos, node: str) -> Any:
        if isinstance(raw, str):
            try:
                value = expr.evaluate(raw, env)
            except expr.ExpressionError as exc:
                raise CostModelError(ErrorCode.EXPRESSION, str(exc), pos=pos, node=node) from None
            if not self.reads_spatial and not _SPATIAL_NAMES.isdisjoint(expr.names(raw)):
                self.reads_spatial = True
            return value
        return raw

    def word(self, raw: str | None, default: str, scope: _Scope) -> str | None:
        """A norm/act name, substituting block parameters; None for 'none'."""
        value: Any = default if raw is None else raw
        if isinstance(value, str) and value in scope.params:
            value = scope.env[value]
        if value is None or value is False or str(value).lower() in NONE_WORDS:
            return None
        return ops.ALIASES.get(str(value), str(value))

    def scale_channels(self, channels: Any, pos: SourcePos, node: str) -> Any:
        if self.options.width == 1.0 or not isinstance(channels, int) or isinstance(channels, bool):
            return channels
        scaled = expr.make_divisible(channels * self.options.width, self.divisor)
        if scaled > limits.MAX_CHANNELS:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"{channels} channels x width "
                f"{self.options.width:g} = {scaled} is larger than the limit "
                f"{limits.MAX_CHANNELS}",
                pos=pos,
                node=node,
            )
        return scaled

    # -- layers -------------------------------------------------------------------------------

    def expand_scope(
        self, layers: list[tuple[str, Layer]], scope: _Scope, stage_of: dict[str, str]
    ) -> dict[str, str]:
        """Expand (key, layer) pairs in order; returns key -> output node of each layer."""
        outputs: dict[str, str] = {}
        declared = {key for key, _ in layers}
        previous = scope.inputs["input"]
        for key, layer in layers:
            node_name = scope.prefix + key
            self.visits += 1
            if self.visits > limits.MAX_LAYER_VISITS:  # blocks that use each other under `when:`
                raise CostModelError(
                    ErrorCode.LIMIT,
                    f"the spec expands to more than {limits.MAX_LAYER_VISITS} layers",
                    pos=layer.pos,
                    node=node_name,
                )
            refs = layer.inputs if layer.inputs is not None else None
            if refs is not None and not refs:
                raise CostModelError(ErrorCode.BAD_VALUE, "'inputs' is empty", pos=layer.pos, node=node_name)
            in_nodes = (
                tuple(self.resolve(r, key, outputs, declared, scope, layer, stage_of) for r in refs)
                if refs is not None
                else (previous,)
            )
            env = scope.env
            if scope.top_level:
                first = self.shape_of(in_nodes[0])
                env = {**scope.env, **_shape_vars(first)}
            when = self.evaluate(layer.when, env, layer.pos, node_name)
            if not isinstance(when, bool):
                raise CostModelError(
                    ErrorCode.BAD_VALUE,
                    f"'when' must be true or false, got {when!r}",
                    pos=layer.pos,
                    node=node_name,
                )
            if not when:
                outputs[key] = previous  # a skipped layer passes on the layer before it
                continue
            repeat = self.evaluate(layer.repeat, env, layer.pos, node_name)
            if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
                raise CostModelError(
                    ErrorCode.BAD_VALUE,
                    f"'repeat' expects an integer >= 1, got {repeat!r}",
                    pos=layer.pos,
                    node=node_name,
                )
            if repeat > limits.MAX_REPEAT:
                raise CostModelError(
                    ErrorCode.LIMIT,
                    f"repeat {repeat} is larger than the limit {limits.MAX_REPEAT}",
                    pos=layer.pos,
                    node=node_name,
                )
            current = in_nodes
            for copy in range(1, repeat + 1):
                name = node_name if repeat == 1 else f"{node_name}.{copy}"
                owner = scope
                if scope.top_level:  # a top-level layer use is its own block
                    owner = _Scope(
                        scope.prefix,
                        scope.env,
                        scope.inputs,
                        scope.params,
                        True,
                        scope.depth,
                        stage_of[key],
                        name,
                        str(layer.block or ops.ALIASES.get(str(layer.op), layer.op)),
                    )
                    if copy > 1:
                        env = {**env, **_shape_vars(self.shape_of(current[0]))}
                if layer.op is not None:
                    out = self.expand_op(layer, name, current, owner, env, first_copy=copy == 1)
                else:
                    out = self.expand_block(layer, name, current, owner, env, first_copy=copy == 1)
                current = (out,)
            outputs[key] = current[0]
            previous = current[0]
        return outputs

    def resolve(
        self,
        ref: str,
        key: str,
        outputs: dict[str, str],
        declared: set[str],
        scope: _Scope,
        layer: Layer,
        stage_of: dict[str, str],
    ) -> str:
        candidates = [ref]
        if scope.top_level and "." not in ref:
            candidates.insert(0, f"{stage_of[key]}.{ref}")
        for candidate in candidates:
            if candidate in outputs:
                return outputs[candidate]
        if ref in scope.inputs:
            return scope.inputs[ref]
        for candidate in candidates:
            if candidate in declared:
                raise CostModelError(
                    ErrorCode.CYCLE,
                    f"input '{ref}' is declared at or after this layer: inputs must "
                    f"come from earlier layers, otherwise '{key}' and '{candidate}' "
                    "form a cycle",
                    pos=layer.pos,
                    node=scope.prefix + key,
                )
        # Names a user can write here: same-stage short names, qualified names, block inputs.
        same_stage = f"{stage_of[key]}." if scope.top_level else ""
        visible = [name.removeprefix(same_stage) for name in outputs] + list(scope.inputs)
        elsewhere = [name for name in visible if name.endswith("." + ref)]  # in another stage
        hint = f" (did you mean '{elsewhere[0]}'?)" if elsewhere else did_you_mean(ref, visible)
        if not hint and len(visible) <= 12:
            hint = f" (earlier layers: {', '.join(sorted(set(visible)))})"
        raise CostModelError(
            ErrorCode.UNKNOWN_INPUT, f"unknown input '{ref}'{hint}", pos=layer.pos, node=scope.prefix + key
        )

    def expand_op(
        self,
        layer: Layer,
        name: str,
        inputs: tuple[str, ...],
        scope: _Scope,
        env: dict[str, Any],
        *,
        first_copy: bool,
    ) -> str:
        assert layer.op is not None
        op = ops.lookup(layer.op)
        assert op is not None  # checked at load time
        attrs: dict[str, Any] = {}
        given = layer.model_extra or {}  # the op's attributes (read only)

        def evaluate(value: Any) -> Any:
            return self.evaluate(value, env, layer.pos, name)

        try:
            for key, spec in op.attrs.items():
                attrs[key] = parse_attr(key, spec, given[key], evaluate) if key in given else spec.default
        except AttrError as exc:
            raise CostModelError(exc.code, str(exc), pos=layer.pos, node=name) from None
        if scope.top_level and not layer.fixed and "out" in attrs:
            attrs["out"] = self.scale_channels(attrs["out"], layer.pos, name)
        norm = act = None
        if op.default_norm_act is not None:
            default_norm, default_act = op.default_norm_act(self.spec.defaults.norm, self.spec.defaults.act)
            norm = self.word(layer.norm, default_norm, scope)
            act = self.word(layer.act, default_act, scope)
            for word, what, allowed in ((norm, "norm", ops.NORMS), (act, "activation", ops.ACTIVATIONS)):
                if word is not None and word not in allowed:
                    raise CostModelError(
                        ErrorCode.BAD_VALUE,
                        f"unknown {what} '{word}'{did_you_mean(word, allowed)}",
                        pos=layer.pos,
                        node=name,
                    )
        attrs = op.finalize_attrs(attrs, first_copy, norm)  # the op's conventions (stride, bias)

        def emit(
            node_name: str, node_op: OpType, node_attrs: dict[str, Any], node_inputs: tuple[str, ...]
        ) -> str:
            return self.add_node(
                node_name,
                node_op,
                node_attrs,
                node_inputs,
                layer=name,
                block=scope.block,
                block_kind=scope.block_kind,
                stage=scope.stage,
                pos=layer.pos,
            )

        out = emit(name, op, attrs, inputs)
        if norm is not None:
            out = emit(f"{name}.bn", ops.REGISTRY[norm], {}, (out,))
        if act is not None:
            out = emit(f"{name}.act", ops.REGISTRY[act], {}, (out,))
        return out

    def expand_block(
        self,
        layer: Layer,
        name: str,
        inputs: tuple[str, ...],
        scope: _Scope,
        env: dict[str, Any],
        *,
        first_copy: bool,
    ) -> str:
        assert layer.block is not None
        block: BlockDef = self.spec.blocks[layer.block]
        if scope.depth >= limits.MAX_BLOCK_DEPTH:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"blocks nested deeper than {limits.MAX_BLOCK_DEPTH} "
                f"levels (does block '{layer.block}' use itself?)",
                pos=layer.pos,
                node=name,
            )
        given = dict(layer.model_extra or {})  # the block's arguments
        for sugar in ("norm", "act"):
            if getattr(layer, sugar) is not None:
                given[sugar] = getattr(layer, sugar)
        args: dict[str, Any] = {}
        for param, default in block.params.items():
            raw = given.get(param, default)
            if isinstance(raw, str) and param in given and raw in scope.params:
                args[param] = scope.env[raw]  # pass a caller's parameter through by name
            elif isinstance(raw, str) and _is_word(raw):
                args[param] = env.get(raw, raw)
            else:
                args[param] = self.evaluate(raw, env, layer.pos, name)
        if scope.top_level and not layer.fixed:
            for param in block.channels:
                args[param] = self.scale_channels(args[param], layer.pos, name)
        if not first_copy and "stride" in args:
            args["stride"] = 1  # stride applies to the first repeat only
        block_env = {**self.vars, **args, **_shape_vars(self.shape_of(inputs[0]))}
        scope_inputs = {"input": inputs[0]}
        for index, node in enumerate(inputs):
            scope_inputs[f"input{index}"] = node
        inner = _Scope(
            prefix=name + ".",
            env=block_env,
            inputs=scope_inputs,
            params=args,
            top_level=False,
            depth=scope.depth + 1,
            stage=scope.stage,
            block=scope.block,
            block_kind=scope.block_kind,
        )
        keyed = self.keyed_block_layers(layer.block, block)
        try:
            outputs = self.expand_scope(keyed, inner, {})
        except CostModelError as exc:
            located = exc.with_context(pos=layer.pos, node=name)
            if located.pos is not None and located.pos.file != layer.pos.file:
                # The line is in a block library: say where this spec uses the block too.
                raise CostModelError(
                    located.code,
                    f"{located.message} (in block '{layer.block}' used at {layer.pos})",
                    pos=located.pos,
                    node=located.node,
                ) from None
            raise located from None
        output_key = block.output or keyed[-1][0]
        if output_key not in outputs:
            raise CostModelError(
                ErrorCode.UNKNOWN_INPUT,
                f"block '{layer.block}' output '{output_key}' is not one of its layers",
                pos=block.pos,
                node=name,
            )
        return outputs[output_key]


def _infer_shape(
    op: OpType, in_shapes: list[Shape], attrs: dict[str, Any], pos: SourcePos, name: str
) -> Shape:
    """The op's output shape, checked: no empty dimension, no tensor beyond the size limit."""
    try:
        shape = op.shape(in_shapes, attrs)
    except ShapeError as exc:
        raise CostModelError(ErrorCode.SHAPE_MISMATCH, str(exc), pos=pos, node=name) from None
    if min(shape) <= 0:
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"output shape {list(shape)} has an empty dimension", pos=pos, node=name
        )
    if math.prod(shape) > limits.MAX_TENSOR_ELEMENTS:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"output tensor {list(shape)} has more than {limits.MAX_TENSOR_ELEMENTS} elements",
            pos=pos,
            node=name,
        )
    return shape


def _is_word(text: str) -> bool:
    """A bare identifier that is not an expression over names (e.g. 'relu', 'hardswish')."""
    return bool(_NAME.match(text)) and ops.lookup(text) is not None or text in NONE_WORDS


def _shape_vars(shape: Shape) -> dict[str, int]:
    if len(shape) == 3:
        return {"in_channels": shape[0], "in_h": shape[1], "in_w": shape[2]}
    return {"in_channels": shape[0], "in_h": 1, "in_w": 1}


def _keyed_layers(layers: list[Layer], stage: str | None = None) -> list[tuple[str, Layer]]:
    """Give every layer its local name: the explicit one, or the op/block name made unique."""
    keyed: list[tuple[str, Layer]] = []
    explicit: set[str] = set()
    for layer in layers:
        if layer.name is None:
            continue
        if not _NAME.match(layer.name):
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"layer name '{layer.name}' must be letters, "
                "digits and '_' (dots separate levels in generated names)",
                pos=layer.pos,
            )
        if layer.name in explicit:
            raise CostModelError(
                ErrorCode.BAD_VALUE, f"two layers are named '{layer.name}'", pos=layer.pos, node=layer.name
            )
        explicit.add(layer.name)
    used = set(explicit)
    counts: dict[str, int] = {}
    for layer in layers:
        local = layer.name
        if local is None:
            base = str(layer.op or layer.block)
            counts[base] = counts.get(base, 0) + 1
            local = base if counts[base] == 1 else f"{base}_{counts[base]}"
            while local in used:
                counts[base] += 1
                local = f"{base}_{counts[base]}"
            used.add(local)
        keyed.append((f"{stage}.{local}" if stage else local, layer))
    return keyed


def _input_shape(spec: Spec, options: BuildOptions) -> Shape:
    """The input's (C, H, W) under `options`, within the limits."""
    if not (0.0 < options.width <= 16.0) or not math.isfinite(options.width):
        raise CostModelError(ErrorCode.OPTION, f"width must be in (0, 16], got {options.width}")
    channels, height, width = spec.input
    if options.resolution is not None:
        if not 1 <= options.resolution <= limits.MAX_SPATIAL:
            raise CostModelError(
                ErrorCode.OPTION, f"resolution must be 1..{limits.MAX_SPATIAL}, got {options.resolution}"
            )
        height = width = options.resolution
    if max(height, width) > limits.MAX_SPATIAL or channels > limits.MAX_CHANNELS:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"input {list(spec.input)} exceeds the limits "
            f"({limits.MAX_CHANNELS} channels, {limits.MAX_SPATIAL} pixels a side)",
        )
    return channels, height, width


def build_graph(spec: Spec, options: BuildOptions = BuildOptions()) -> Graph:
    """The spec's primitive-op graph under `options`, with a shape on every node."""
    input_shape = _input_shape(spec, options)
    builder = _Builder(spec, options)
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
        if not _NAME.match(stage):
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"stage name '{stage}' must be letters, digits and '_'",
                pos=layers[0].pos,
            )
        for key, layer in _keyed_layers(layers, stage):
            keyed.append((key, layer))
            stage_of[key] = stage
    scope = _Scope(
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
    if graph.reads_spatial:
        return build_graph(graph.spec, options)
    input_shape = _input_shape(graph.spec, options)
    by_name: dict[str, Node] = {}
    nodes: list[Node] = []
    for node in graph.nodes:
        attrs = {"shape": input_shape} if node.op.name == "input" else node.attrs
        shape = _infer_shape(node.op, [by_name[i].shape for i in node.inputs], attrs, node.pos, node.name)
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
