"""Expanding layers into nodes: block uses, repeats, `when:`, the norm/act sugar and the width
multiplier (costmodel/graph/build.py describes the whole pass)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from costmodel import limits, ops
from costmodel.errors import CostModelError, ErrorCode, SourcePos, did_you_mean
from costmodel.graph.model import BuildOptions, Node
from costmodel.graph.multipliers import depth_scaled
from costmodel.graph.naming import Scope, is_word, keyed_layers, resolve_input, takes_previous
from costmodel.graph.shapes import SPATIAL_NAMES, infer_shape, shape_vars
from costmodel.graph.variables import spec_vars
from costmodel.ops.attrs import AttrError, parse_attr
from costmodel.ops.registry import OpType, Shape
from costmodel.spec import expr
from costmodel.spec.schema import NONE_WORDS, BlockDef, Layer, Spec


class GraphBuilder:
    """Expands a spec's layers into nodes, one layer at a time in declaration order."""

    def __init__(self, spec: Spec, options: BuildOptions) -> None:
        self.spec = spec
        self.options = options
        self.by_name: dict[str, Node] = {}
        self.keyed_blocks: dict[str, list[tuple[str, Layer]]] = {}
        self.nodes: list[Node] = []
        self.vars: dict[str, Any] = {**spec_vars(spec, options), "width": options.width}
        self.divisor = int(self.vars.get("width_divisor", 8))
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
        shape = infer_shape(op, [self.by_name[i].shape for i in inputs], attrs, pos, name)
        node = Node(name, op, attrs, inputs, shape, layer, block, block_kind, stage, pos)
        self.by_name[name] = node
        self.nodes.append(node)
        return name

    def keyed_block_layers(self, name: str, block: BlockDef) -> list[tuple[str, Layer]]:
        """A block's layers with their local names, worked out once per build."""
        if name not in self.keyed_blocks:
            self.keyed_blocks[name] = keyed_layers(block.layers)
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
            if not self.reads_spatial and not SPATIAL_NAMES.isdisjoint(expr.names(raw)):
                self.reads_spatial = True
            return value
        return raw

    def word(self, raw: str | None, default: str, scope: Scope) -> str | None:
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
        self, layers: list[tuple[str, Layer]], scope: Scope, stage_of: dict[str, str]
    ) -> dict[str, str]:
        """Expand (key, layer) pairs in order; returns key -> output node of each layer."""
        outputs: dict[str, str] = {}
        declared = {key for key, _ in layers}
        previous = scope.inputs["input"]
        for key, layer in layers:
            node_name = scope.prefix + key
            self.count_visit(layer, node_name)
            refs = layer.inputs if layer.inputs is not None else None
            if refs is not None and not refs:
                raise CostModelError(ErrorCode.BAD_VALUE, "'inputs' is empty", pos=layer.pos, node=node_name)
            in_nodes = (
                tuple(resolve_input(r, key, outputs, declared, scope, layer, stage_of) for r in refs)
                if refs is not None
                else (previous,)
                if takes_previous(layer)
                else ()
            )
            env = scope.env
            if scope.top_level:
                env = {**scope.env, **shape_vars(self.shape_of(in_nodes[0] if in_nodes else previous))}
            if not self.condition(layer, env, node_name):
                outputs[key] = previous  # a skipped layer passes on the layer before it
                continue
            repeat = self.repeat_count(layer, env, node_name)
            if scope.top_level and layer.block is not None and not layer.fixed:
                repeat = self.scale_depth(repeat, layer, node_name)
            stage = stage_of.get(key, "")
            outputs[key] = previous = self.expand_repeats(
                layer, node_name, in_nodes, repeat, scope, env, stage
            )
        return outputs

    def count_visit(self, layer: Layer, node_name: str) -> None:
        """Count one more layer expanded; blocks that use each other under `when:` could loop."""
        self.visits += 1
        if self.visits > limits.MAX_LAYER_VISITS:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"the spec expands to more than {limits.MAX_LAYER_VISITS} layers",
                pos=layer.pos,
                node=node_name,
            )

    def condition(self, layer: Layer, env: dict[str, Any], node_name: str) -> bool:
        """The layer's `when:`: whether it is built at all."""
        when = self.evaluate(layer.when, env, layer.pos, node_name)
        if not isinstance(when, bool):
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"'when' must be true or false, got {when!r}",
                pos=layer.pos,
                node=node_name,
            )
        return when

    def repeat_count(self, layer: Layer, env: dict[str, Any], node_name: str) -> int:
        """The layer's `repeat:`, an integer in 1..MAX_REPEAT."""
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
        return repeat

    def scale_depth(self, repeat: int, layer: Layer, node_name: str) -> int:
        """A block use's repeat count under the depth multiplier (`depth_scaled`), checked."""
        scaled = depth_scaled(repeat, self.options.depth)
        if scaled > limits.MAX_REPEAT:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"repeat {repeat} x depth {self.options.depth:g} = {scaled} is larger than the limit "
                f"{limits.MAX_REPEAT}",
                pos=layer.pos,
                node=node_name,
            )
        return scaled

    def expand_repeats(
        self,
        layer: Layer,
        node_name: str,
        inputs: tuple[str, ...],
        repeat: int,
        scope: Scope,
        env: dict[str, Any],
        stage: str,
    ) -> str:
        """Build `repeat` copies of the layer in a chain (`NAME.1`, `NAME.2`, ... when more than
        one); returns the last copy's output node. `stage`: a top-level layer's stage."""
        current = inputs
        for copy in range(1, repeat + 1):
            name = node_name if repeat == 1 else f"{node_name}.{copy}"
            owner = scope
            if scope.top_level:  # a top-level layer use is its own block
                kind = str(layer.block or ops.ALIASES.get(str(layer.op), layer.op))
                owner = replace(scope, stage=stage, block=name, block_kind=kind)
                if copy > 1:
                    env = {**env, **shape_vars(self.shape_of(current[0]))}
            if layer.op is not None:
                out = self.expand_op(layer, name, current, owner, env, first_copy=copy == 1)
            else:
                out = self.expand_block(layer, name, current, owner, env, first_copy=copy == 1)
            current = (out,)
        return current[0]

    def expand_op(
        self,
        layer: Layer,
        name: str,
        inputs: tuple[str, ...],
        scope: Scope,
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
        scope: Scope,
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
        args = self.block_args(layer, block, name, scope, env, first_copy=first_copy)
        block_env = {**self.vars, **args, **shape_vars(self.shape_of(inputs[0]))}
        scope_inputs = {"input": inputs[0]}
        for index, node in enumerate(inputs):
            scope_inputs[f"input{index}"] = node
        inner = Scope(
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
            raise _located_in_use(exc, layer, name) from None
        output_key = block.output or keyed[-1][0]
        if output_key not in outputs:
            raise CostModelError(
                ErrorCode.UNKNOWN_INPUT,
                f"block '{layer.block}' output '{output_key}' is not one of its layers",
                pos=block.pos,
                node=name,
            )
        return outputs[output_key]

    def block_args(
        self, layer: Layer, block: BlockDef, name: str, scope: Scope, env: dict[str, Any], *, first_copy: bool
    ) -> dict[str, Any]:
        """The values of a block use's parameters: given, passed through from the caller, or the
        defaults; channel parameters scaled by the width multiplier."""
        given = dict(layer.model_extra or {})  # the block's arguments
        for sugar in ("norm", "act"):
            if getattr(layer, sugar) is not None:
                given[sugar] = getattr(layer, sugar)
        args: dict[str, Any] = {}
        for param, default in block.params.items():
            raw = given.get(param, default)
            if isinstance(raw, str) and param in given and raw in scope.params:
                args[param] = scope.env[raw]  # pass a caller's parameter through by name
            elif isinstance(raw, str) and is_word(raw):
                args[param] = env.get(raw, raw)
            else:
                args[param] = self.evaluate(raw, env, layer.pos, name)
        if scope.top_level and not layer.fixed:
            for param in block.channels:
                args[param] = self.scale_channels(args[param], layer.pos, name)
        if not first_copy and "stride" in args:
            # A block's `stride` parameter, like an op's stride, applies to the first repeat only.
            args["stride"] = 1
        return args


def _located_in_use(exc: CostModelError, layer: Layer, name: str) -> CostModelError:
    """An error inside a block, located at the block's use when it has no place of its own."""
    located = exc.with_context(pos=layer.pos, node=name)
    if located.pos is not None and located.pos.file != layer.pos.file:
        # The line is in a block library: say where this spec uses the block too.
        return CostModelError(
            located.code,
            f"{located.message} (in block '{layer.block}' used at {layer.pos})",
            pos=located.pos,
            node=located.node,
        )
    return located
