"""Search spaces: a base spec, choices per stage or block, and global multipliers (docs/search.md).

A space file reads like a spec (the same safe YAML reader, so a mistake is one FILE:LINE:COL line):

    version: 1
    name: mnasnet_mbv2
    base: mbv2                       # a bundled spec or a path relative to this file
    choices:
      "s[1-7].b1":                   # a glob over the base's STAGE.LAYER keys
        kernel: [3, 5, 7]            # any block argument or op attribute: its values
        expand_ratio: [3, 6]
        se: [false, true]
        layers: [-1, 0, 1]           # added to the layer's repeat count (at least 1 is kept)
        out_scale: [0.75, 1.0]       # the output channels scaled, make_divisible(c * s, 8)
    multipliers: {width: [1.0], depth: [1.0], resolution: [224]}

A candidate is one index per decision (decisions are the (layer, key) pairs, in file order, then
the multipliers). `Space.spec(candidate)` builds the candidate's `Spec` in memory from the base's
validated layers (no YAML parsed per candidate); `Space.yaml(candidate)` writes it as a plain spec
file that `costmodel analyze` reads (the multipliers: resolution in `input:`, depth applied to the
repeats; a width other than 1 is named in the header, as the flag to analyse it with).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from costmodel import limits
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.graph.multipliers import depth_scaled
from costmodel.graph.naming import keyed_layers
from costmodel.spec import expr
from costmodel.spec.files import bundled_dir, parse_yaml_mapping, read_text
from costmodel.spec.model import load_spec, resolve_spec_path
from costmodel.spec.schema import LAYER_KEYS, Layer, Spec
from costmodel.spec.yamlsrc import LocDict, LocList

SPACE_KEYS = ("version", "name", "summary", "base", "choices", "multipliers")
MULTIPLIERS = ("width", "depth", "resolution")
LAYERS_KEY, OUT_SCALE_KEY = "layers", "out_scale"  # repeat offsets; output-channel scales
MAX_CANDIDATES_LISTED = 1_000_000  # exhaustive enumeration above this is refused

Candidate = tuple[int, ...]


@dataclass(frozen=True)
class Decision:
    """One choice the search makes: a key of one layer (or a global multiplier) and its values."""

    target: str  # STAGE.LAYER key of the base spec, or '*' for a multiplier
    key: str
    values: tuple[Any, ...]
    pos: SourcePos

    @property
    def label(self) -> str:
        return self.key if self.target == "*" else f"{self.target}.{self.key}"


@dataclass(frozen=True)
class Space:
    """A search space: the base spec and its decisions."""

    name: str
    file: str
    base: Spec
    base_data: dict[str, Any]  # the base spec's YAML as plain data (to write candidates)
    decisions: tuple[Decision, ...]
    summary: str = ""

    @property
    def size(self) -> int:
        """How many candidates the space holds."""
        return math.prod(len(d.values) for d in self.decisions)

    @property
    def default(self) -> Candidate:
        """The candidate closest to the base: each decision's base value when it is a choice."""
        return tuple(_base_index(self, d) for d in self.decisions)

    def values(self, candidate: Candidate) -> dict[str, Any]:
        """decision label -> chosen value."""
        return {d.label: d.values[i] for d, i in zip(self.decisions, candidate, strict=True)}

    def options(self, candidate: Candidate, base: AnalysisOptions = AnalysisOptions()) -> AnalysisOptions:
        """`base` with the candidate's global multipliers (width, depth, resolution)."""
        chosen = {
            d.key: d.values[i] for d, i in zip(self.decisions, candidate, strict=True) if d.target == "*"
        }
        return replace(base, **chosen) if chosen else base

    def spec(self, candidate: Candidate) -> Spec:
        """The candidate's spec, built from the base's validated layers."""
        changes = self._layer_changes(candidate)
        stages: dict[str, list[Layer]] = {}
        for stage, layers in self.base.stages.items():
            keyed = keyed_layers(layers, stage)
            stages[stage] = [_changed_layer(layer, changes.get(key)) for key, layer in keyed]
        return self.base.model_copy(update={"stages": stages, "name": f"{self.name}_{_code(candidate)}"})

    def yaml(self, candidate: Candidate) -> str:
        """The candidate as a plain spec file (`costmodel analyze` reads it)."""
        options = self.options(candidate)
        data = _plain(self.base_data)
        data["name"] = f"{self.name}_{_code(candidate)}"
        data["title"] = f"{self.name} candidate {_code(candidate)}"
        changes = self._layer_changes(candidate)
        for stage, layers in self.base.stages.items():
            for index, (key, layer) in enumerate(keyed_layers(layers, stage)):
                raw = data["stages"][stage][index]
                raw.update(_layer_update(layer, changes.get(key, {})))
                if options.depth != 1.0 and layer.block is not None and not layer.fixed:
                    raw["repeat"] = depth_scaled(int(raw.get("repeat", 1)), options.depth)
        if options.resolution is not None:
            data["input"] = [data["input"][0], options.resolution, options.resolution]
        data["imports"] = [_import_path(name, Path(self.base.file)) for name in data.get("imports", [])]
        header = [f"# Candidate {_code(candidate)} of search space {self.name} ({self.file})."]
        header += [f"# {label}: {value!r}" for label, value in self.values(candidate).items()]
        if options.width != 1.0:
            header.append(f"# Analyse with --width {options.width:g} (the width multiplier is an option).")
        return "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, width=120)

    def stage_groups(self) -> dict[str, tuple[int, ...]]:
        """The decisions' indices grouped by the base stage their layer is in (in stage order),
        each multiplier a group of its own named after it."""
        stage_of = {
            key: stage for stage, layers in self.base.stages.items() for key, _ in keyed_layers(layers, stage)
        }
        groups: dict[str, list[int]] = {}
        for i, decision in enumerate(self.decisions):
            groups.setdefault(
                decision.key if decision.target == "*" else stage_of[decision.target], []
            ).append(i)
        return {name: tuple(indices) for name, indices in groups.items()}

    def _layer_changes(self, candidate: Candidate) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        for decision, index in zip(self.decisions, candidate, strict=True):
            if decision.target != "*":
                changes.setdefault(decision.target, {})[decision.key] = decision.values[index]
        return changes


def _code(candidate: Candidate) -> str:
    """A short stable name for a candidate: its indices (base 36 digits)."""
    return "".join("0123456789abcdefghijklmnopqrstuvwxyz"[i] if i < 36 else f"({i})" for i in candidate)


def _base_index(space: Space, decision: Decision) -> int:
    if decision.key == LAYERS_KEY:
        base: Any = 0
    elif decision.key == OUT_SCALE_KEY or decision.key in ("width", "depth"):
        base = 1.0
    elif decision.key == "resolution":
        base = space.base.input[1]
    else:
        layer = _layer_by_key(space.base)[decision.target]
        base = layer.block if decision.key == "block" else layer.extra.get(decision.key)
    return decision.values.index(base) if base in decision.values else 0


def _layer_by_key(spec: Spec) -> dict[str, Layer]:
    return {key: layer for stage, layers in spec.stages.items() for key, layer in keyed_layers(layers, stage)}


def _layer_update(layer: Layer, chosen: dict[str, Any]) -> dict[str, Any]:
    """The keys a layer gets from its choices (repeat offsets and output scales resolved)."""
    update: dict[str, Any] = {}
    for key, value in chosen.items():
        if key == LAYERS_KEY:
            update["repeat"] = max(1, int(layer.repeat) + int(value))
        elif key == OUT_SCALE_KEY:
            update["out"] = expr.make_divisible(int(layer.extra["out"]) * float(value), 8)
        else:
            update[key] = value
    return update


def _changed_layer(layer: Layer, chosen: dict[str, Any] | None) -> Layer:
    if not chosen:
        return layer
    update = _layer_update(layer, chosen)
    fields = {k: v for k, v in update.items() if k in LAYER_KEYS}
    extra = {**layer.extra, **{k: v for k, v in update.items() if k not in LAYER_KEYS}}
    copied = layer.model_copy(update=fields)
    object.__setattr__(copied, "__pydantic_extra__", extra)  # frozen model: a fresh extra dict
    return copied


def _import_path(name: str, spec_file: Path) -> str:
    """A block library import that resolves from anywhere: bundled names stay names."""
    file = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    if (bundled_dir("archspecs") / "blocks" / file).exists():
        return name
    for base in (spec_file.parent, spec_file.parent / "blocks"):
        if (base / file).exists():
            return str((base / file).resolve())
    return name


def _plain(value: Any) -> Any:
    """LocDict/LocList -> dict/list (positions dropped), recursively, without the injected keys."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- loading ------------------------------------------------------------------------------------


def load_space(path: Path | str) -> Space:
    """Read and check a search-space file; errors point into it (FILE:LINE:COL)."""
    path = Path(path)
    if not path.exists() and not path.suffix:
        bundled = bundled_dir("archspecs") / "spaces" / f"{path.name}.yaml"
        if bundled.exists():
            path = bundled
    file = str(path)
    data = parse_yaml_mapping(read_text(path), file, "search space")
    for key in data:
        if key not in SPACE_KEYS:
            _fail(data, key, f"unknown key '{key}' in a search space (keys: {', '.join(SPACE_KEYS)})")
    for key in ("name", "base"):
        if not isinstance(data.get(key), str):
            raise CostModelError(ErrorCode.MISSING_KEY, f"a search space needs '{key}:' (text)", pos=data.pos)
    base_path = resolve_spec_path(data["base"])
    if not base_path.exists() and (path.parent / data["base"]).exists():
        base_path = path.parent / data["base"]
    try:
        base = load_spec(base_path)
    except CostModelError as exc:
        raise exc.with_context(pos=data.key_pos["base"]) from None
    base_data = _plain(parse_yaml_mapping(read_text(base_path), str(base_path), "spec"))
    decisions = _layer_decisions(data.get("choices", LocDict()), base, file) + _multiplier_decisions(
        data.get("multipliers", LocDict()), file
    )
    if not decisions:
        raise CostModelError(ErrorCode.MISSING_KEY, "a search space needs at least one choice", pos=data.pos)
    return Space(str(data["name"]), file, base, base_data, tuple(decisions), str(data.get("summary", "")))


def _fail(data: LocDict, key: str, message: str, code: ErrorCode = ErrorCode.BAD_VALUE) -> None:
    raise CostModelError(code, message, pos=data.key_pos.get(key, data.pos))


def _values(data: LocDict, key: str) -> tuple[Any, ...]:
    raw = data[key]
    if not isinstance(raw, LocList) or not raw:
        _fail(data, key, f"'{key}' expects a non-empty list of values, got {raw!r}")
    if len(raw) > limits.MAX_REPEAT:
        _fail(data, key, f"'{key}' has more than {limits.MAX_REPEAT} values", ErrorCode.LIMIT)
    for value in raw:
        if isinstance(value, dict | list) or value is None:
            _fail(data, key, f"'{key}': each value must be a number, true/false or text, got {value!r}")
    if len(set(map(repr, raw))) != len(raw):
        _fail(data, key, f"'{key}' lists a value twice")
    return tuple(raw)


def _layer_decisions(choices: Any, base: Spec, file: str) -> list[Decision]:
    if not isinstance(choices, LocDict):
        raise CostModelError(ErrorCode.BAD_VALUE, "'choices' must be a mapping", pos=SourcePos(file, 1, 1))
    layers = _layer_by_key(base)
    decisions: list[Decision] = []
    for pattern, keys in choices.items():
        matched = [key for key in layers if fnmatch.fnmatchcase(key, pattern)]
        if not matched:
            _fail(
                choices, pattern, f"'{pattern}' matches no layer of {base.name} (layers: {', '.join(layers)})"
            )
        if not isinstance(keys, LocDict) or not keys:
            _fail(choices, pattern, f"'{pattern}' expects a mapping of key: [values]")
        for target in matched:
            for key in keys:
                _check_layer_key(keys, key, layers[target], target)
                decisions.append(Decision(target, key, _values(keys, key), keys.key_pos[key]))
    return decisions


def _check_layer_key(keys: LocDict, key: str, layer: Layer, target: str) -> None:
    if key in ("name", "inputs", "when", "comment", "op", "repeat"):
        _fail(keys, key, f"'{key}' cannot be a choice (use '{LAYERS_KEY}' to change the repeat count)")
    if key == LAYERS_KEY and not isinstance(layer.repeat, int):
        _fail(keys, key, f"'{LAYERS_KEY}': {target} has a computed repeat count ({layer.repeat!r})")
    if key == OUT_SCALE_KEY and not isinstance(layer.extra.get("out"), int):
        _fail(keys, key, f"'{OUT_SCALE_KEY}': {target} has no integer 'out' to scale")
    if key in (LAYERS_KEY, OUT_SCALE_KEY):
        for value in keys[key]:
            if isinstance(value, bool) or not isinstance(value, int | float):
                _fail(keys, key, f"'{key}' values must be numbers, got {value!r}")


def _multiplier_decisions(multipliers: Any, file: str) -> list[Decision]:
    if not isinstance(multipliers, LocDict):
        raise CostModelError(
            ErrorCode.BAD_VALUE, "'multipliers' must be a mapping", pos=SourcePos(file, 1, 1)
        )
    decisions = []
    for key in multipliers:
        if key not in MULTIPLIERS:
            _fail(multipliers, key, f"unknown multiplier '{key}' (multipliers: {', '.join(MULTIPLIERS)})")
        values = _values(multipliers, key)
        kind = int if key == "resolution" else float
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 16_384:
                _fail(multipliers, key, f"'{key}' values must be positive numbers, got {value!r}")
        decisions.append(Decision("*", key, tuple(kind(v) for v in values), multipliers.key_pos[key]))
    return decisions
