"""Loading spec files: YAML -> validated pydantic models, with every error pointing at the file.

A spec (archspecs/*.yaml) declares an input, optional vars, blocks (or imports of block libraries
from archspecs/blocks/), and stages of layers. See docs/spec-format.md for the format. Loading
checks everything that can be checked without knowing tensor shapes: keys and types here (through
the models of costmodel/spec/schema.py), op and block names, attributes of each op and block
arguments in costmodel/spec/checks.py. Shapes are checked when the graph is built.

The models are re-exported here, so `costmodel.spec.model` offers every name it always did.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from costmodel.cost.precision import PRECISIONS
from costmodel.errors import CostModelError, ErrorCode, did_you_mean, excerpt
from costmodel.spec.checks import check_layer, check_spec
from costmodel.spec.files import bundled_dir, exists, is_regular_file, parse_yaml_mapping, read_text
from costmodel.spec.schema import (
    LAYER_KEYS,
    LIMIT_ERROR,
    NONE_WORDS,
    POS_KEY,
    BlockDef,
    BlockLibrary,
    Defaults,
    Layer,
    Scalar,
    Spec,
)
from costmodel.spec.yamlsrc import LocDict, LocList, position_of

__all__ = [
    "LAYER_KEYS",
    "LIMIT_ERROR",
    "NONE_WORDS",
    "POS_KEY",
    "BlockDef",
    "BlockLibrary",
    "Defaults",
    "Layer",
    "Scalar",
    "Spec",
    "bundled_specs",
    "check_layer",
    "check_spec",
    "load_blocks",
    "load_spec",
    "parse_spec",
    "resolve_spec_path",
]

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


def _validation_error(
    exc: ValidationError, root: Any, model: type[BaseModel], echo: bool = True
) -> CostModelError:
    """Turn pydantic's first error into ours, located in the file. Values are quoted only as a
    short excerpt, and not at all from a file an `imports:` entry named (`echo` False): that file
    may not be a block library at all, and its lines are not ours to print."""
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
            f"unknown key '{excerpt(key, 40)}'{did_you_mean(key, choices) if echo else ''}"
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
    got_text = f", got {excerpt(repr(got), 40)}" if echo and not isinstance(got, (dict, list)) else ""
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


def _validate(model: type[BaseModel], data: LocDict, echo: bool = True, **extra: Any) -> Any:
    try:
        return model.model_validate({**data, **extra})
    except ValidationError as exc:
        raise _validation_error(exc, data, model, echo) from None


def bundled_specs() -> list[Path]:
    """The bundled zoo: archspecs/*.yaml."""
    return sorted(bundled_dir("archspecs").glob("*.yaml"))


def resolve_spec_path(name_or_path: str) -> Path:
    """A path to a spec file, or the name of a bundled spec ('mbv3_small').

    Only a bare name (no directory part) can name a bundled spec, and only when no regular file of
    that name exists here: `/elsewhere/mbv3_small` never silently means the bundled one, and a
    folder called `mbv3_small` here does not hide it. A bare name that is neither is an error that
    suggests the closest bundled name; a missing path is reported when it is read.
    """
    path = Path(name_or_path)
    if is_regular_file(path):
        return path
    bare = path.parent == Path(".") and not name_or_path.endswith(("/", os.sep))
    if bare:
        bundled = bundled_dir("archspecs") / (path.name if path.suffix else f"{path.name}.yaml")
        if is_regular_file(bundled):
            return bundled
        if not path.suffix and not exists(path):
            names = [spec.stem for spec in bundled_specs()]
            raise CostModelError(
                ErrorCode.FILE,
                f"no such file: {excerpt(name_or_path)}, and no bundled spec of that name"
                f"{did_you_mean(name_or_path, names)}",
            )
    return path


LIBRARY_SUFFIXES = (".yaml", ".yml")


def _resolve_import(name: str, spec_dir: Path) -> Path:
    """A block library named by `imports:`: a YAML file beside the spec, in its `blocks/` folder or
    among the bundled blocks. Only YAML files are read, whatever the name says."""
    file = name if name.endswith(LIBRARY_SUFFIXES) else f"{name}.yaml"
    for base in (spec_dir, spec_dir / "blocks", bundled_dir("archspecs") / "blocks"):
        if exists(base / file):
            return base / file
    raise CostModelError(
        ErrorCode.FILE,
        f"cannot find block library '{excerpt(name)}' "
        f"(looked in {excerpt(str(spec_dir))}, its blocks/ folder and the bundled blocks)",
    )


def load_blocks(path: Path) -> dict[str, BlockDef]:
    data = _parse_mapping(read_text(path), str(path), "block library")
    if not isinstance(data.get("blocks"), LocDict):
        raise CostModelError(
            ErrorCode.BAD_VALUE, "not a block library: it has no 'blocks:' mapping", pos=data.pos
        )
    library: BlockLibrary = _validate(BlockLibrary, data, echo=False)
    return library.blocks


def load_spec(path: Path | str) -> Spec:
    """The spec in a YAML file, or an ONNX model (`.onnx`) as a spec with its graph prebuilt
    (costmodel/onnx/load.py), so every command that takes a spec takes a model."""
    path = Path(path)
    if path.suffix.lower() == ".onnx":
        from costmodel.onnx.load import load_onnx_spec

        return load_onnx_spec(path)
    return parse_spec(read_text(path), str(path), base_dir=path.parent)


def _check_precision_plan(data: LocDict) -> None:
    """Each `precision:` glob names a known precision (checked here, where the file positions are)."""
    plan = data.get("precision")
    if not isinstance(plan, LocDict):
        return
    for glob, name in plan.items():
        if name not in PRECISIONS:
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"precision: unknown precision '{excerpt(str(name), 40)}' for '{excerpt(glob, 40)}'"
                f"{did_you_mean(str(name), PRECISIONS)} (expected one of: {', '.join(PRECISIONS)})",
                pos=plan.key_pos[glob],
            )


def parse_spec(text: str, file: str = "<spec>", base_dir: Path | None = None) -> Spec:
    """Parse and check a spec's text; raises CostModelError pointing into the file."""
    data = _parse_mapping(text, file, "spec")
    spec: Spec = _validate(Spec, data, file=file)
    _check_precision_plan(data)
    blocks: dict[str, BlockDef] = {}
    loaded: dict[tuple[str, Path], dict[str, BlockDef]] = {}  # a library named again is read once
    for index, name in enumerate(spec.imports):
        try:
            key = (name, base_dir or Path("."))
            if key not in loaded:
                loaded[key] = load_blocks(_resolve_import(name, base_dir or Path(".")))
        except CostModelError as exc:
            raise exc.with_context(pos=data["imports"].item_pos[index]) from None
        blocks.update(loaded[key])  # the last import of a block name wins, as before
    blocks.update(spec.blocks)  # a spec's own blocks override imported ones
    spec = spec.model_copy(update={"blocks": blocks})
    check_spec(spec)
    return spec
