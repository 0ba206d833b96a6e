"""The op registry: what an op type is (OpType), the table of registered ops, and the helpers the
op families (conv.py, linear.py, normact.py, pool.py, views.py, merge.py) share.

This is the only place that knows what an op computes. A spec may use an op only if it is
registered (unknown ops are load-time errors, never silent zeros); ops that really cost nothing
(flatten, identity, dropout at inference) are registered explicitly as views. Importing
`costmodel.ops` imports every family, so every op is registered before anything looks one up.

Shapes exclude the batch dimension: (C, H, W) for feature maps, (F,) for vectors, (tokens, dim)
for token sequences, and any rank up to limits.MAX_RANK where an op needs it. Costs are per
sample; the analyzer multiplies activations, MACs and elementwise ops by the batch size.

Counting conventions (the README's "Counting conventions" section; costmodel/cost/analysis.py
CONVENTIONS puts them in every JSON report):
- params: learnable parameters as torchvision counts them (conv/linear weight and bias, BN gamma
  and beta; BN running statistics are buffers, not params).
- macs: multiply-accumulates of conv (incl. grouped/depthwise), linear layers and matmuls of two
  activations (attention). A bias add is not a MAC (torch.utils.flop_counter agrees).
- ops: other arithmetic, per output element, with the per-op counts in normact.ELEMENTWISE_OPS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from costmodel import names
from costmodel.errors import SourcePos
from costmodel.names import OpClass

Shape = tuple[int, ...]
Attrs = Mapping[str, Any]


class ShapeError(Exception):
    """An op got inputs of the wrong shape; the message says expected vs got."""


class OpExtra(NamedTuple):
    """What a few ops move besides their inputs, outputs and params (most ops have none)."""

    # Weight elements read once per batch when they differ from the params (-1: the params); a
    # tied weight (GPT-2's LM head) has no params of its own but reads its weights.
    weights: int = -1
    # Weight elements read per sample (an embedding reads one row per token), capped at params.
    gathered: int = 0
    # KV-cache elements per sequence (keys and values of every attended position): the cache's
    # size, and what a step reads (the cached positions) and writes (the new ones).
    kv: int = 0
    # Elements per sample written to DRAM and read back inside the op (unfused attention scores).
    scratch: int = 0


class OpCost(NamedTuple):
    """Per-sample cost of one node. (A named tuple: built once per node per analysis, and several
    times cheaper to build than a frozen dataclass.)"""

    params: int = 0
    macs: int = 0
    ops: int = 0
    extra: OpExtra | None = None


@dataclass(frozen=True)
class AttrSpec:
    """One attribute of an op: its kind drives parsing and validation of spec values.

    kinds: int (positive unless `minimum` says otherwise), pair (int or [h, w]), bool, float,
    fraction (a number in [0, 1): a probability such as dropout's p),
    padding (int, [h, w], 'auto', 'same' or 'valid'), choice (one of `choices`), ints (a list of
    ints, e.g. a shape or a permutation; `minimum` applies to each).
    """

    kind: str
    default: Any = None
    required: bool = False
    minimum: int = 1
    choices: tuple[str, ...] = ()
    limit: str = "MAX_INT"  # the costmodel.limits cap of an int (MAX_VOCAB for a vocabulary)


class LoweredNode(Protocol):
    """What an ONNX lowering reads of a graph node (costmodel.graph.Node has it)."""

    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...
    @property
    def attrs(self) -> dict[str, Any]: ...
    @property
    def shape(self) -> Shape: ...
    @property
    def pos(self) -> SourcePos: ...


class OnnxBuilder(Protocol):
    """The ONNX graph under construction, as a lowering sees it (costmodel/measure/onnx_export.py
    implements it). Tensors are named by strings; every method returns the name it made."""

    @property
    def batch(self) -> int: ...

    def ints(self, name: str, values: list[int]) -> str:
        """An int64 constant initializer."""
        ...

    def floats(self, name: str, values: list[float]) -> str:
        """A float32 constant initializer."""
        ...

    def uniform(self, node: LoweredNode, what: str, shape: tuple[int, ...], low: float, high: float) -> str:
        """A random float32 initializer `NODE/what`, uniform in [low, high)."""
        ...

    def he_uniform(
        self, node: LoweredNode, what: str, shape: tuple[int, ...], gain: float, fan_in: int
    ) -> str:
        """Random weights `NODE/what` with variance gain / fan_in."""
        ...

    def add(self, op_type: str, inputs: list[str], output: str, name: str, **attrs: Any) -> str:
        """Append one ONNX node; returns its output's name."""
        ...


# Lowers one node to ONNX nodes and initializers: (builder, node, the node's input shapes).
OnnxLowering = Callable[[OnnxBuilder, LoweredNode, list[Shape]], None]

# Settles the attributes the spec left to the op's conventions, once the builder knows
# (attrs as parsed, whether this node is the first copy of a repeated layer, the norm the `norm:`
# sugar puts after it or None) -> the node's attrs.
FinalizeAttrs = Callable[[dict[str, Any], bool, "str | None"], dict[str, Any]]
# (the spec's `defaults:` norm, act) -> the norm and act this op gets when its layer says nothing.
DefaultNormAct = Callable[[str, str], tuple[str, str]]


def keep_attrs(attrs: dict[str, Any], first_copy: bool, norm: str | None) -> dict[str, Any]:
    """The attributes as the spec gave them (the default FinalizeAttrs)."""
    return attrs


# Operation classes: what a hardware profile gives an efficiency for (costmodel/hw/profile.py).
OP_CLASSES = names.OP_CLASSES  # re-exported: the closed set lives in costmodel/names.py


@dataclass(frozen=True)
class OpType:
    """One primitive op: its attributes, output-shape rule, per-sample cost rule and op class."""

    name: str
    summary: str
    shape: Callable[[list[Shape], Attrs], Shape]
    cost: Callable[[list[Shape], Shape, Attrs], OpCost]
    op_class: Callable[[list[Shape], Attrs], OpClass]
    attrs: dict[str, AttrSpec] = field(default_factory=dict)
    min_inputs: int = 1
    max_inputs: int = 1
    # A view costs nothing at inference and moves no data (flatten, identity, dropout).
    is_view: bool = False
    # Conv-like ops accept the `norm:`/`act:` sugar that expands into extra nodes; this gives
    # their defaults. None: the op takes no sugar.
    default_norm_act: DefaultNormAct | None = None
    finalize_attrs: FinalizeAttrs = keep_attrs
    # How the op is exported to ONNX (costmodel/measure/onnx_export.py); None: it is not exported
    # (the graph input, which becomes the ONNX graph's input).
    onnx: OnnxLowering | None = None

    @property
    def takes_norm_act(self) -> bool:
        """Whether a layer of this op may say `norm:` and `act:`."""
        return self.default_norm_act is not None


REGISTRY: dict[str, OpType] = {}
ALIASES: dict[str, str] = {"silu": "swish", "bn": "batchnorm", "hard_swish": "hardswish"}


def register(op: OpType) -> OpType:
    """Add `op` to the registry (each name once)."""
    if op.name in REGISTRY:
        raise ValueError(f"op '{op.name}' registered twice")
    REGISTRY[op.name] = op
    return op


def lookup(name: str) -> OpType | None:
    """The op a spec means by `name` (aliases resolved), or None."""
    return REGISTRY.get(ALIASES.get(name, name))


# --- helpers shared by the families ----------------------------------------------------------


def fixed_class(op_class: OpClass) -> Callable[[list[Shape], Attrs], OpClass]:
    """The op-class rule of an op whose class does not depend on its shapes or attributes."""
    return lambda inputs, attrs: op_class


def require_rank(shape: Shape, rank: int, what: str) -> None:
    """Raise ShapeError unless `shape` has `rank` dimensions."""
    if len(shape) != rank:
        layout = {3: "[C, H, W]", 1: "[features]"}.get(rank, f"rank {rank}")
        raise ShapeError(f"{what} expects a {layout} input, got {list(shape)}")


def axis_index(axis: int, rank: int, what: str) -> int:
    """A possibly negative axis as an index into a shape of `rank` axes (ShapeError if outside)."""
    if not -rank <= axis < rank:
        raise ShapeError(f"{what}: axis {axis} is outside a tensor of rank {rank}")
    return axis % rank


def broadcast(what: str, shapes: list[Shape]) -> Shape:
    """numpy's broadcasting of `shapes` (aligned on their last axes; a 1 stretches). A pair that
    does not broadcast is a ShapeError naming both shapes."""
    out = shapes[0]
    for other in shapes[1:]:
        if other == out:
            continue
        rank = max(len(out), len(other))
        a, b = (1,) * (rank - len(out)) + out, (1,) * (rank - len(other)) + other
        if any(x != y and 1 not in (x, y) for x, y in zip(a, b, strict=True)):
            raise ShapeError(f"{what} cannot broadcast {list(out)} with {list(other)}")
        out = tuple(max(x, y) for x, y in zip(a, b, strict=True))
    return out


def same_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    """The shape rule of ops whose output is shaped like their (first) input."""
    return inputs[0]


def spec_norm_act(norm: str, act: str) -> tuple[str, str]:
    """DefaultNormAct of ops that follow the spec's `defaults:` (conv2d)."""
    return norm, act


def no_norm_act(norm: str, act: str) -> tuple[str, str]:
    """DefaultNormAct of ops that get a norm or act only when their layer asks (linear)."""
    return "none", "none"


def stride_on_first_copy(attrs: dict[str, Any], first_copy: bool) -> None:
    """A repeated layer downsamples once: copies after the first get stride 1 (the convention of
    MobileNet and ResNet stage tables, where `n` repeats share one stride `s`)."""
    if not first_copy and attrs["stride"] is not None:
        attrs["stride"] = (1, 1)


def bias_unless_norm(attrs: dict[str, Any], norm: str | None) -> None:
    """An unset bias is a bias only when no norm follows (PyTorch models' convention: a norm's
    shift makes the bias redundant)."""
    if attrs.get("bias") is None:
        attrs["bias"] = norm is None


def no_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    """The cost rule of ops that compute nothing (views and pure data movement)."""
    return OpCost()
