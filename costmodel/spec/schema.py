"""The validated models of spec files (pydantic): a Spec, its blocks and layers.

A spec (archspecs/*.yaml) declares an input, optional vars, blocks (or imports of block libraries
from archspecs/blocks/), and stages of layers. See docs/spec-format.md for the format. Loading
(costmodel/spec/model.py) builds these models; costmodel/spec/checks.py checks what pydantic
cannot (op names, attributes, block arguments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    field_validator,
)
from pydantic_core import PydanticCustomError

from costmodel import limits
from costmodel.errors import SourcePos

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


class Accuracy(_Strict):
    """A published accuracy of the model the spec describes (ImageNet-1K top-1, %), with its source."""

    top1: float = Field(ge=0, le=100)
    top5: float | None = Field(default=None, ge=0, le=100)
    source: str  # where the number is published (a paper's table, a weights release)
    dataset: str = "ImageNet-1K val"


class Spec(_Strict):
    """A whole architecture spec after validation (imports already merged into `blocks`)."""

    version: Literal[1] = 1
    name: str
    title: str = ""
    source: str = ""
    notes: str = ""
    accuracy: Accuracy | None = None  # published, never computed: the search's proxy fits these
    # [C, H, W] for images, [tokens] of ids for language models; a size may be an expression over
    # vars ([tokens]). Strict: [3, true, 224] is not [3, 1, 224].
    input: tuple[StrictInt | str, ...]
    defaults: Defaults = Defaults()
    vars: dict[str, Scalar] = {}
    precision: dict[str, str] = {}  # glob over node names -> precision (mixed-precision plans)
    imports: list[str] = []
    blocks: dict[str, BlockDef] = {}
    stages: dict[str, list[Layer]]
    # Training-only heads (auxiliary classifiers): left out of inference cost unless asked for.
    aux: dict[str, list[Layer]] = {}
    file: str = ""
    # A graph made elsewhere (an ONNX model, costmodel/onnx/load.py): build_graph calls it with the
    # build options instead of expanding the stages. Private: no file can set it.
    _prebuilt: Callable[[Any], Any] | None = PrivateAttr(default=None)

    @property
    def prebuilt(self) -> Callable[[Any], Any] | None:
        """The (BuildOptions) -> Graph function of a spec whose graph is given, else None."""
        return self._prebuilt

    def attach_graph(self, build: Callable[[Any], Any]) -> None:
        """Make `build` (BuildOptions -> Graph) this spec's graph (a spec read from an ONNX file)."""
        self._prebuilt = build

    @field_validator("input")
    @classmethod
    def _positive(cls, value: tuple[int | str, ...]) -> tuple[int | str, ...]:
        if not 1 <= len(value) <= limits.MAX_RANK:
            raise ValueError(f"input must have 1 to {limits.MAX_RANK} dimensions, got {list(value)}")
        sizes = [v for v in value if isinstance(v, int)]
        if any(v <= 0 for v in sizes):
            raise ValueError(f"input dimensions must be positive, got {list(value)}")
        if len(value) == 3 and len(sizes) == 3:
            too_big = value[0] > limits.MAX_CHANNELS or max(sizes[1:]) > limits.MAX_SPATIAL  # type: ignore[operator]
            bounds = f"{limits.MAX_CHANNELS} channels, {limits.MAX_SPATIAL} pixels a side"
        else:
            too_big = any(v > limits.MAX_SEQUENCE for v in sizes)
            bounds = f"{limits.MAX_SEQUENCE} a dimension"
        if too_big:
            raise PydanticCustomError(LIMIT_ERROR, f"{list(value)} exceeds the limits ({bounds})")
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
