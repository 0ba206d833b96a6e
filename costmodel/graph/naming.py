"""Names in the graph: local names of layers, and which names a spec may use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from costmodel import ops
from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.spec.schema import NONE_WORDS, Layer

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class Scope:
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


# Ops that read no tensor (a learned `param`): a layer of one does not take the layer before it.
_NO_INPUT = frozenset(name for name, op in ops.REGISTRY.items() if op.max_inputs == 0 and name != "input")


def takes_previous(layer: Layer) -> bool:
    """Whether a layer without `inputs:` reads the layer before it (a `param` reads nothing)."""
    return layer.op not in _NO_INPUT


def check_stage_name(stage: str, layers: list[Layer]) -> None:
    """Stage names prefix node names, so they must be plain identifiers."""
    if not NAME.match(stage):
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"stage name '{stage}' must be letters, digits and '_'",
            pos=layers[0].pos,
        )


def is_word(text: str) -> bool:
    """A bare identifier that is not an expression over names (e.g. 'relu', 'hardswish')."""
    return bool(NAME.match(text)) and ops.lookup(text) is not None or text in NONE_WORDS


def keyed_layers(layers: list[Layer], stage: str | None = None) -> list[tuple[str, Layer]]:
    """Give every layer its local name: the explicit one, or the op/block name made unique."""
    keyed: list[tuple[str, Layer]] = []
    explicit: set[str] = set()
    for layer in layers:
        if layer.name is None:
            continue
        if not NAME.match(layer.name):
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


def resolve_input(
    ref: str,
    key: str,
    outputs: dict[str, str],
    declared: set[str],
    scope: Scope,
    layer: Layer,
    stage_of: dict[str, str],
) -> str:
    """The node a layer's input reference `ref` names: an earlier layer (same-stage short names
    first at top level) or a block input; a later layer is a cycle, anything else unknown."""
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
