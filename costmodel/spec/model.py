"""Spec files: YAML -> validated pydantic models, with every error pointing at the file.

A spec (archspecs/*.yaml) declares an input, optional vars, blocks (or imports of block libraries
from archspecs/blocks/), and stages of layers. See docs/spec-format.md for the format. This module
checks everything that can be checked without knowing tensor shapes: keys, types, op and block
names, attributes of each op, block arguments. Shapes are checked when the graph is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from costmodel import limits, ops
from costmodel.errors import CostModelError, ErrorCode, SourcePos, did_you_mean
from costmodel.spec.files import bundled_dir, parse_yaml_mapping, read_text
from costmodel.spec.yamlsrc import LocDict, LocList, position_of

POS_KEY = "__pos__"  # injected into every layer/block mapping; users cannot write it
Scalar = int | float | bool | str

# Keys a layer may carry besides an op's attributes or a block's arguments.
LAYER_KEYS = ("name", "op", "block", "inputs", "repeat", "when", "fixed", "norm", "act", "comment")
NONE_WORDS = ("none", "null", "false")
LIMIT_ERROR = "costmodel_limit"  # pydantic error type of a size limit (E301, not E106)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Layer(BaseModel):
    """One line of a stage or block body: a primitive op or a use of a block."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    pos: SourcePos = Field(alias=POS_KEY)
    name: str | None = None
    op: str | None = None
    block: str | None = None
    inputs: list[str] | None = None
    # Strict: pydantic would otherwise read `repeat: true` as 1 and `fixed: 1` as true.
    repeat: StrictInt | str = 1
    when: StrictBool | str = True
    fixed: StrictBool = False  # width multiplier leaves this layer's channels alone
    norm: str | None = None
    act: str | None = None
    comment: str | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """Op attributes or block arguments: every key that is not a layer key."""
        return dict(self.model_extra or {})


class BlockDef(_Strict):
    """A parameterised sub-graph declared in YAML."""

    pos: SourcePos = Field(alias=POS_KEY)
    summary: str = ""
    params: dict[str, Scalar | None] = {}  # name -> default; null means the use must give it
    channels: list[str] = []  # params that are channel counts: the width multiplier scales them
    layers: list[Layer]
    output: str | None = None  # default: the last layer

    @field_validator("layers")
    @classmethod
    def _not_empty(cls, layers: list[Layer]) -> list[Layer]:
        if not layers:
            raise ValueError("a block needs at least one layer")
        return layers


class Defaults(_Strict):
    norm: str = "none"  # applied to conv2d layers that say nothing
    act: str = "none"


class Spec(_Strict):
    """A whole architecture spec after validation (imports already merged into `blocks`)."""

    version: Literal[1] = 1
    name: str
    title: str = ""
    source: str = ""
    notes: str = ""
    input: tuple[StrictInt, StrictInt, StrictInt]  # [3, true, 224] is not [3, 1, 224]
    defaults: Defaults = Defaults()
    vars: dict[str, Scalar] = {}
    precision: dict[str, str] = {}  # glob over node names -> precision (mixed-precision plans)
    imports: list[str] = []
    blocks: dict[str, BlockDef] = {}
    stages: dict[str, list[Layer]]
    # Training-only heads (auxiliary classifiers): left out of inference cost unless asked for.
    aux: dict[str, list[Layer]] = {}
    file: str = ""

    @field_validator("input")
    @classmethod
    def _positive(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if any(v <= 0 for v in value):
            raise ValueError(f"input dimensions must be positive, got {list(value)}")
        if value[0] > limits.MAX_CHANNELS or max(value[1:]) > limits.MAX_SPATIAL:
            raise PydanticCustomError(
                LIMIT_ERROR,
                f"{list(value)} exceeds the limits "
                f"({limits.MAX_CHANNELS} channels, {limits.MAX_SPATIAL} pixels a side)",
            )
        return value

    @field_validator("vars")
    @classmethod
    def _width_divisor(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        divisor = value.get("width_divisor", 8)
        if (
            isinstance(divisor, bool)
            or not isinstance(divisor, (int, float))
            or not (1 <= divisor <= 65_536 and float(divisor).is_integer())
        ):
            raise ValueError(f"width_divisor must be an integer in 1..65536, got {divisor!r}")
        return value

    @field_validator("stages")
    @classmethod
    def _stages_not_empty(cls, stages: dict[str, list[Layer]]) -> dict[str, list[Layer]]:
        if not stages:
            raise ValueError("a spec needs at least one stage")
        for name, layers in stages.items():
            if not layers:
                raise ValueError(f"stage '{name}' has no layers")
        return stages


class BlockLibrary(_Strict):
    version: Literal[1] = 1
    summary: str = ""
    blocks: dict[str, BlockDef]


# --- loading ---------------------------------------------------------------------------------


def _inject_positions(data: LocDict) -> None:
    """Give each layer and block mapping a POS_KEY so its model knows its line."""

    def mark(value: Any) -> None:
        if isinstance(value, LocDict):
            value[POS_KEY] = value.pos

    def layer_list(value: Any) -> None:
        if isinstance(value, LocList):
            for item in value:
                mark(item)

    stages = data.get("stages")
    if isinstance(stages, LocDict):
        for layers in stages.values():
            layer_list(layers)
    aux = data.get("aux")
    if isinstance(aux, LocDict):
        for layers in aux.values():
            layer_list(layers)
    blocks = data.get("blocks")
    if isinstance(blocks, LocDict):
        for block in blocks.values():
            mark(block)
            if isinstance(block, LocDict):
                layer_list(block.get("layers"))


def _reject_reserved_keys(value: Any) -> None:
    if isinstance(value, LocDict):
        for key, item in value.items():
            if key.startswith("__"):
                raise CostModelError(
                    ErrorCode.UNKNOWN_KEY, f"key '{key}' is reserved", pos=value.key_pos[key]
                )
            _reject_reserved_keys(item)
    elif isinstance(value, LocList):
        for item in value:
            _reject_reserved_keys(item)


def _validation_error(exc: ValidationError, root: Any, model: type[BaseModel]) -> CostModelError:
    """Turn pydantic's first error into ours, located in the file."""
    errors = exc.errors()
    # An unknown key usually explains a missing one (a misspelling): report it first.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(err["loc"])
    pos = position_of(root, loc)
    where = ".".join(str(p) for p in loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = _model_at(model, loc[:-1])
        choices = [n for n in (parent.model_fields if parent else {}) if n not in ("pos", "file")]
        return CostModelError(
            ErrorCode.UNKNOWN_KEY,
            f"unknown key '{key}'{did_you_mean(key, choices)}"
            + (f" (expected one of: {', '.join(choices)})" if choices else ""),
            pos=pos,
        )
    if kind == "missing" and isinstance(loc[-1], int):  # input: [3, 32]
        return CostModelError(
            ErrorCode.BAD_VALUE, f"{'.'.join(str(p) for p in loc[:-1])}: item {loc[-1]} is missing", pos=pos
        )
    if kind == "missing":
        return CostModelError(ErrorCode.MISSING_KEY, f"missing required key '{loc[-1]}'", pos=pos)
    if kind == LIMIT_ERROR:
        return CostModelError(ErrorCode.LIMIT, f"{where}: {err['msg']}", pos=pos)
    got = err.get("input")
    got_text = f", got {got!r}" if not isinstance(got, (dict, list)) else ""
    return CostModelError(ErrorCode.BAD_VALUE, f"{where}: {err['msg']}{got_text}", pos=pos)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Follow a pydantic error location through nested model fields (best effort)."""
    current: Any = model
    for step in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        if isinstance(step, str) and step in current.model_fields:
            annotation = current.model_fields[step].annotation
            current = _inner_model(annotation)
        elif isinstance(step, (int, str)):
            continue  # list index or dict key: stay on the item model
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    for arg in reversed(args):
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _parse_mapping(text: str, file: str, what: str) -> LocDict:
    data = parse_yaml_mapping(text, file, what)
    _reject_reserved_keys(data)
    _inject_positions(data)
    return data


def _validate(model: type[BaseModel], data: LocDict, **extra: Any) -> Any:
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        raise _validation_error(exc, data, model) from None


def bundled_specs() -> list[Path]:
    """The bundled zoo: archspecs/*.yaml."""
    return sorted(bundled_dir("archspecs").glob("*.yaml"))


def resolve_spec_path(name_or_path: str) -> Path:
    """A path to a spec file, or the name of a bundled spec ('mbv3_small')."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") and path.parent != Path("."):
        return path
    bundled = bundled_dir("archspecs") / (path.name if path.suffix else f"{path.name}.yaml")
    return bundled if bundled.exists() else path


def _resolve_import(name: str, spec_dir: Path) -> Path:
    file = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    for base in (spec_dir, spec_dir / "blocks", bundled_dir("archspecs") / "blocks"):
        if (base / file).exists():
            return base / file
    raise CostModelError(
        ErrorCode.FILE,
        f"cannot find block library '{name}' "
        f"(looked in {spec_dir}, {spec_dir / 'blocks'} and the bundled blocks)",
    )


def load_blocks(path: Path) -> dict[str, BlockDef]:
    data = _parse_mapping(read_text(path), str(path), "block library")
    library: BlockLibrary = _validate(BlockLibrary, data)
    return library.blocks


def load_spec(path: Path | str) -> Spec:
    path = Path(path)
    return parse_spec(read_text(path), str(path), base_dir=path.parent)


def parse_spec(text: str, file: str = "<spec>", base_dir: Path | None = None) -> Spec:
    """Parse and check a spec's text; raises CostModelError pointing into the file."""
    data = _parse_mapping(text, file, "spec")
    spec: Spec = _validate(Spec, data, file=file)
    blocks: dict[str, BlockDef] = {}
    for index, name in enumerate(spec.imports):
        try:
            library = load_blocks(_resolve_import(name, base_dir or Path(".")))
        except CostModelError as exc:
            raise exc.with_context(pos=data["imports"].item_pos[index]) from None
        blocks.update(library)
    blocks.update(spec.blocks)  # a spec's own blocks override imported ones
    spec = spec.model_copy(update={"blocks": blocks})
    check_spec(spec)
    return spec


# --- static checks ---------------------------------------------------------------------------


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
