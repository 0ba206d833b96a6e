"""The analysis options: one model, described once, used by every command and by the Python API.

Each field carries its own help text and bounds (`OptionInfo` in the field's metadata); the CLI
builds its flags from them (costmodel/commands/options.py), so adding an option means adding a
field here and using it where the pipeline needs it: no command, renderer or parser changes.

Defaults that depend on the hardware (a profile without fp32, such as the int8-only Edge TPU) are
settled in one place, `resolve`, which `analyze` and `sweep` call: `precision=None` means "fp32, or
the profile's only precision".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from costmodel import limits
from costmodel.cost.memory import MemoryOptions
from costmodel.cost.precision import PRECISIONS, check_precision, parse_rule
from costmodel.cost.sparsity import check_pattern, parse_sparsity
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import BuildOptions
from costmodel.graph.variables import PHASES
from costmodel.hw.runtime import Fusion, load_runtime

ACTIVATION_PRECISIONS = tuple(p for p in PRECISIONS if p != "int4")  # int4 is weight-only

if TYPE_CHECKING:
    from costmodel.hw.profile import HardwareProfile


@dataclass(frozen=True)
class OptionInfo:
    """How an option is shown and checked on the command line.

    flag: the CLI name ('--layer-precision'); help: one sentence; minimum/maximum: bounds of a
    number; choices: the allowed words; repeatable: given several times (a list); negatable: a
    boolean with a `--no-` form; parse: turns one CLI string into an item of a tuple field (the
    flag is then repeatable: `--layer-precision 'stem.*=fp32' --layer-precision 'head.*=fp16'`).
    """

    help: str
    flag: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    negatable: bool = False
    metavar: str | None = None
    # A field holding a tuple of items is given as repeated strings; `parse` turns one into an item.
    parse: Callable[[str], Any] | None = None


def _option(default: Any, help: str, **info: Any) -> Any:
    return field(default=default, metadata={"cli": OptionInfo(help, **info)})


@dataclass(frozen=True)
class AnalysisOptions:
    """What-if knobs of one analysis. Frozen: a variant is `dataclasses.replace(options, ...)`."""

    batch: int = _option(1, "Batch size.", minimum=1, maximum=limits.MAX_BATCH)
    precision: str | None = _option(
        None,
        "Numeric precision of weights and activations (int4: weights only); default fp32, or the "
        "profile's only precision on int8-only units.",
        choices=PRECISIONS,
    )
    layer_precision: tuple[tuple[str, str], ...] = _option(
        (),
        "PATTERN=PRECISION for layers matching a glob over node names, e.g. 'stem.*=fp32' "
        "(repeatable; first match wins; before the spec's own `precision:`).",
        metavar="PATTERN=PRECISION",
        parse=parse_rule,
    )
    width: float = _option(
        1.0,
        "Width multiplier: channels scaled and rounded with make_divisible(c*w, 8), except layers "
        "marked fixed.",
        minimum=0.0,
        maximum=limits.MAX_WIDTH,
    )
    depth: float = _option(
        1.0,
        "Depth multiplier: the repeat count of each block use scaled and rounded up, "
        "ceil(repeat*depth), as EfficientNet scales depth; single ops (stem, head) and layers marked "
        "fixed keep theirs.",
        minimum=0.0,
        maximum=limits.MAX_DEPTH_MULT,
    )
    resolution: int | None = _option(
        None,
        "Input resolution (square side in pixels); default: the spec's.",
        minimum=1,
        maximum=limits.MAX_SPATIAL,
    )
    fusion: bool = _option(
        True, "Fuse conv/linear with the elementwise ops that follow into one kernel.", negatable=True
    )
    cache: bool = _option(
        True, "Keep an activation on chip when it fits and the next kernel reads it.", negatable=True
    )
    cache_fraction: float = _option(
        0.5,
        "Share of the largest on-chip memory an activation may use to stay on chip.",
        minimum=0.01,
        maximum=1.0,
    )
    include_aux: bool = _option(
        False,
        "Include the spec's training-only auxiliary heads (GoogLeNet, Inception V3), left out by default.",
        flag="--aux",
    )
    spec_vars: tuple[tuple[str, int | float | bool | str], ...] = _option(
        (),
        "NAME=VALUE: give a var of the spec's `vars:` another value, e.g. --set exp_ratio=4 "
        "(repeatable; the value is a number, true/false, or text).",
        flag="--set",
        metavar="NAME=VALUE",
        parse=lambda text: parse_assignment(text),
    )
    resident_weights: bool = _option(
        False,
        "Keep the weights on chip across inferences when they all fit beside the activations "
        "(Edge TPU SRAM, large GPU L2).",
    )
    phase: str | None = _option(
        None,
        "A language model's step: prefill (the prompt's tokens at once) or decode (one token "
        "attending to --context positions); the spec declares the vars tokens and cached.",
        choices=PHASES,
    )
    context: int | None = _option(
        None,
        "With --phase: the prompt length (prefill) or the positions a decode step attends to, "
        "KV cache included; default: the spec's tokens.",
        minimum=1,
        maximum=limits.MAX_SEQUENCE,
    )
    act_precision: str | None = _option(
        None,
        "Precision of activations and MACs whatever the weights' (int4 weights with fp16 "
        "activations); default: that of the weights (int8 for int4).",
        choices=ACTIVATION_PRECISIONS,
    )
    kv_precision: str | None = _option(
        None,
        "Precision of the KV cache (e.g. fp8); default: the activations'.",
        choices=ACTIVATION_PRECISIONS,
    )
    allow_unsupported: bool = _option(
        False,
        "ONNX models: count ops costmodel cannot map as zero cost (listed in the assumptions) "
        "instead of failing.",
    )
    training: bool = _option(
        False,
        "Also count one training step: forward + backward MACs (backward of conv/linear = 2 x "
        "forward), activations kept for the backward pass, weights + gradients + Adam state.",
    )
    sparsity: tuple[tuple[str, str], ...] = _option(
        (),
        "GLOB=FRACTION (unstructured) or GLOB=N:M (e.g. 'stage4.*=2:4'): weights of matching conv/linear "
        "layers stored compressed (docs/compress.md); MACs skipped only where the profile declares 2:4 "
        "support (repeatable; first match wins).",
        metavar="GLOB=SPARSITY",
        parse=lambda text: parse_sparsity(text),
    )
    runtime: str | None = _option(
        None,
        "Runtime that runs the model (runtimes/NAME.yaml or a YAML path: tflite, ncnn, torch-eager, "
        "...; `costmodel runtimes` lists them): its fusion, conv algorithms, arithmetic precision and "
        "per-kernel cost; default: the profile's own. --no-fusion always wins over its fusion.",
        metavar="NAME",
    )

    def check(self) -> None:
        """Every value within its bounds; a precision a known name (before any work is done)."""
        if not 1 <= self.batch <= limits.MAX_BATCH:
            raise CostModelError(ErrorCode.OPTION, f"batch must be 1..{limits.MAX_BATCH}, got {self.batch}")
        for precision in (self.precision, self.act_precision, self.kv_precision):
            if precision is not None:
                check_precision(precision)
        if self.context is not None and not 1 <= self.context <= limits.MAX_SEQUENCE:
            raise CostModelError(
                ErrorCode.OPTION, f"context must be 1..{limits.MAX_SEQUENCE}, got {self.context}"
            )
        for glob, value in self.sparsity:
            check_pattern(glob, value)
        for _, precision in self.layer_precision:
            check_precision(precision, "--layer-precision")
        if not (limits.MIN_WIDTH < self.width <= limits.MAX_WIDTH) or not math.isfinite(self.width):
            raise CostModelError(
                ErrorCode.OPTION,
                f"width must be in ({limits.MIN_WIDTH:g}, {limits.MAX_WIDTH:g}], got {self.width}",
            )
        if not (limits.MIN_DEPTH_MULT < self.depth <= limits.MAX_DEPTH_MULT) or not math.isfinite(self.depth):
            raise CostModelError(
                ErrorCode.OPTION,
                f"depth must be in ({limits.MIN_DEPTH_MULT:g}, {limits.MAX_DEPTH_MULT:g}], got {self.depth}",
            )
        self.memory.check()

    @property
    def build(self) -> BuildOptions:
        """The options that change the graph itself (batch and precision only change costs)."""
        return BuildOptions(
            width=self.width,
            resolution=self.resolution,
            include_aux=self.include_aux,
            vars=self.spec_vars,
            phase=self.phase,
            context=self.context,
            depth=self.depth,
            allow_unsupported=self.allow_unsupported,
        )

    @property
    def memory(self) -> MemoryOptions:
        return MemoryOptions(self.fusion, self.cache, self.cache_fraction, self.resident_weights)

    @property
    def compute_precision(self) -> str:
        """The default precision; only meaningful after `resolve` (fp32 before)."""
        return self.precision or "fp32"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, keys in field order (the JSON outputs' `options`). `allow_unsupported` and
        `sparsity` only when set: a spec's JSON without them stays as it was. `runtime` never: the
        JSON's own `runtime` key says which one ran and how its efficiencies were obtained."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if (f.name in ("allow_unsupported", "sparsity") and not value) or f.name == "runtime":
                continue
            out[f.name] = (
                [list(rule) for rule in value] if f.name in ("layer_precision", "sparsity") else value
            )
        return out


def parse_assignment(text: str) -> tuple[str, int | float | bool | str]:
    """'exp_ratio=4' -> ('exp_ratio', 4): the value an int, a float, true/false, or else text."""
    name, equals, raw = (part.strip() for part in text.partition("="))
    if not equals or not name.isidentifier():
        raise CostModelError(ErrorCode.OPTION, f"--set expects NAME=VALUE (e.g. 'exp_ratio=4'), got {text!r}")
    if raw.lower() in ("true", "false"):
        return name, raw.lower() == "true"
    for kind in (int, float):
        try:
            number = kind(raw)
        except ValueError:
            continue
        if isinstance(number, float) and not math.isfinite(number):
            raise CostModelError(ErrorCode.OPTION, f"--set {name}: {raw!r} is not a finite number")
        return name, number
    return name, raw


class OptionValues(TypedDict, total=False):
    """The analysis options as keywords (the Python API's `**options`): the fields of
    `AnalysisOptions`, in the same order, with items of a repeatable option also accepted as text
    ('stem.*=fp32', 'exp_ratio=4'). Omitted or None: the default. Kept beside the dataclass: a
    test checks that the two name the same fields."""

    batch: int
    precision: str | None
    layer_precision: Sequence[str | tuple[str, str]]
    width: float
    depth: float
    resolution: int | None
    fusion: bool
    cache: bool
    cache_fraction: float
    include_aux: bool
    spec_vars: Sequence[str | tuple[str, int | float | bool | str]]
    resident_weights: bool
    phase: str | None
    context: int | None
    act_precision: str | None
    kv_precision: str | None
    allow_unsupported: bool
    training: bool
    sparsity: Sequence[str | tuple[str, str]]
    runtime: str | None


def option_fields() -> tuple[dataclasses.Field[Any], ...]:
    """The fields of `AnalysisOptions`, each with its `OptionInfo` under metadata['cli']."""
    return dataclasses.fields(AnalysisOptions)


def default_precision(hw: HardwareProfile) -> str:
    """fp32, or the first precision of a unit that has no fp32 (int8-only NPUs, the Edge TPU)."""
    return "fp32" if "fp32" in hw.precisions else next(iter(hw.precisions))


def resolve(options: AnalysisOptions, hw: HardwareProfile) -> AnalysisOptions:
    """`options` with every hardware-dependent default settled for `hw`, and checked: the
    precision (fp32 or the unit's only one), the runtime (the profile's own), and fusion off when
    the runtime fuses nothing (--no-fusion always wins; a runtime never turns fusion on)."""
    options.check()
    if options.precision is None:
        options = dataclasses.replace(options, precision=default_precision(hw))
    runtime_name = options.runtime or hw.runtime
    if runtime_name is not None:
        runtime = load_runtime(runtime_name)  # an unknown name: one line with did-you-mean
        fusion = options.fusion and runtime.fusion != Fusion.NONE
        if runtime_name != options.runtime or fusion != options.fusion:
            options = dataclasses.replace(options, runtime=runtime_name, fusion=fusion)
    return options


def make_options(**values: Any) -> AnalysisOptions:
    """Options from keyword values as people write them: `layer_precision=['stem.*=fp32']` (rules
    as text), `precision='int8'`; None means the default. Unknown names are an error."""
    names = {f.name for f in option_fields()}
    unknown = sorted(set(values) - names)
    if unknown:
        from costmodel.errors import did_you_mean

        raise CostModelError(
            ErrorCode.OPTION,
            f"unknown option '{unknown[0]}'{did_you_mean(unknown[0], names)} "
            f"(options: {', '.join(sorted(names))})",
        )
    given = {k: v for k, v in values.items() if v is not None}
    for option in option_fields():  # items of repeatable options may be given as text
        parse = option.metadata["cli"].parse
        if parse is not None and option.name in given:
            items = given[option.name]
            given[option.name] = tuple(parse(i) if isinstance(i, str) else tuple(i) for i in items)
    options = AnalysisOptions(**given)
    options.check()
    return options
