"""Static checks of a spec: everything that can be checked without knowing tensor shapes (op
and block names, each op's attributes, block arguments, norm and activation names, aux heads).
Shapes are checked when the graph is built (costmodel/graph/)."""

from __future__ import annotations

from typing import Any

from costmodel import ops
from costmodel.errors import CostModelError, ErrorCode, SourcePos, did_you_mean
from costmodel.spec.schema import LAYER_KEYS, NONE_WORDS, BlockDef, Layer, Spec


def _check_word(
    value: str | None, allowed: tuple[str, ...], what: str, pos: SourcePos, params: dict[str, Any]
) -> None:
    if value is None or value in allowed or value in NONE_WORDS or value in params:
        return
    if ops.ALIASES.get(value) in allowed:
        return
    raise CostModelError(
        ErrorCode.BAD_VALUE,
        f"unknown {what} '{value}'{did_you_mean(value, allowed)}"
        f" (expected one of: {', '.join(allowed)}, none)",
        pos=pos,
    )


def check_layer(layer: Layer, blocks: dict[str, BlockDef], params: dict[str, Any], scope: str) -> None:
    """Everything about one layer that does not need shapes; `scope` prefixes its name."""
    label = f"{scope}.{layer.name or layer.op or layer.block}"
    layer = layer.model_copy(update={"name": label})
    if (layer.op is None) == (layer.block is None):
        raise CostModelError(
            ErrorCode.MISSING_KEY if layer.op is None else ErrorCode.BAD_VALUE,
            "a layer needs exactly one of 'op' or 'block'",
            pos=layer.pos,
            node=layer.name,
        )
    if layer.op is not None:
        _check_op_layer(layer, layer.op, params)
    else:
        assert layer.block is not None
        _check_block_use(layer, layer.block, blocks)


def _fail(code: ErrorCode, message: str, layer: Layer) -> CostModelError:
    return CostModelError(code, message, pos=layer.pos, node=layer.name)


def _check_op_layer(layer: Layer, op_name: str, params: dict[str, Any]) -> None:
    op = ops.lookup(op_name)
    if op is None or op.name == "input":
        choices = [n for n in ops.REGISTRY if n != "input"]
        raise _fail(ErrorCode.UNKNOWN_OP, f"unknown op '{op_name}'{did_you_mean(op_name, choices)}", layer)
    if not op.takes_norm_act and (layer.norm is not None or layer.act is not None):
        raise _fail(
            ErrorCode.UNKNOWN_KEY, f"op '{op.name}' takes no 'norm'/'act' (only conv2d and linear do)", layer
        )
    for key in layer.extra:
        if key not in op.attrs:
            choices = sorted(set(op.attrs) | set(LAYER_KEYS))
            raise _fail(
                ErrorCode.UNKNOWN_KEY,
                f"unknown key '{key}' for op '{op.name}'{did_you_mean(key, choices)}",
                layer,
            )
    for key, attr in op.attrs.items():
        if attr.required and key not in layer.extra:
            raise _fail(ErrorCode.MISSING_KEY, f"op '{op.name}' needs '{key}'", layer)
    _check_word(layer.norm, ops.NORMS, "norm", layer.pos, params)
    _check_word(layer.act, ops.ACTIVATIONS, "activation", layer.pos, params)


def _check_block_use(layer: Layer, block_name: str, blocks: dict[str, BlockDef]) -> None:
    block = blocks.get(block_name)
    if block is None:
        raise _fail(
            ErrorCode.UNKNOWN_BLOCK, f"unknown block '{block_name}'{did_you_mean(block_name, blocks)}", layer
        )
    given = dict(layer.extra)
    for sugar in ("norm", "act"):
        if getattr(layer, sugar) is not None:
            given[sugar] = getattr(layer, sugar)
    for key in given:
        if key not in block.params:
            raise _fail(
                ErrorCode.UNKNOWN_KEY,
                f"block '{block_name}' has no parameter '{key}'"
                f"{did_you_mean(key, block.params)}"
                f" (parameters: {', '.join(block.params) or 'none'})",
                layer,
            )
    for key, default in block.params.items():
        if default is None and key not in given:
            raise _fail(ErrorCode.MISSING_KEY, f"block '{block_name}' needs parameter '{key}'", layer)


def check_spec(spec: Spec) -> None:
    _check_word(spec.defaults.norm, ops.NORMS, "norm", spec.stages[next(iter(spec.stages))][0].pos, {})
    for block_name, block in spec.blocks.items():
        for channel_param in block.channels:
            if channel_param not in block.params:
                raise CostModelError(
                    ErrorCode.BAD_VALUE,
                    f"block '{block_name}' lists '{channel_param}' under channels but has no such parameter",
                    pos=block.pos,
                )
        for layer in block.layers:
            check_layer(layer, spec.blocks, block.params, f"block {block_name}")
    for stage, layers in [*spec.stages.items(), *spec.aux.items()]:
        for layer in layers:
            check_layer(layer, spec.blocks, {}, stage)
    for stage, layers in spec.aux.items():
        if stage in spec.stages:
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"aux head '{stage}' has the name of a stage",
                pos=layers[0].pos if layers else None,
            )
        if layers and layers[0].inputs is None:
            raise CostModelError(
                ErrorCode.MISSING_KEY,
                f"aux head '{stage}' must say where it "
                "branches off: give its first layer 'inputs: [stage.layer]'",
                pos=layers[0].pos,
                node=stage,
            )
