"""The op registry: every primitive op type, its attributes, its shape rule and its cost rule.

This is the only place that knows what an op computes. A spec may use an op only if it is here
(unknown ops are load-time errors, never silent zeros); ops that really cost nothing (flatten,
identity, dropout at inference) are registered explicitly as views.

Shapes exclude the batch dimension: (C, H, W) for feature maps, (F,) for vectors. Costs are per
sample; the analyzer multiplies activations, MACs and elementwise ops by the batch size.

Counting conventions (see docs/conventions.md):
- params: learnable parameters as torchvision counts them (conv/linear weight and bias, BN gamma
  and beta; BN running statistics are buffers, not params).
- macs: multiply-accumulates of conv (incl. grouped/depthwise) and linear layers only. A bias add
  is not a MAC (torch.utils.flop_counter agrees).
- ops: other arithmetic, per output element, with the per-op counts in ELEMENTWISE_OPS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from costmodel import names

Shape = tuple[int, ...]
Attrs = Mapping[str, Any]


class ShapeError(Exception):
    """An op got inputs of the wrong shape; the message says expected vs got."""


class OpCost(NamedTuple):
    """Per-sample cost of one node. (A named tuple: built once per node per analysis, and several
    times cheaper to build than a frozen dataclass.)"""

    params: int = 0
    macs: int = 0
    ops: int = 0


@dataclass(frozen=True)
class AttrSpec:
    """One attribute of an op: its kind drives parsing and validation of spec values.

    kinds: int (positive unless `minimum` says otherwise), pair (int or [h, w]), bool, float,
    padding (int, [h, w], 'auto', 'same' or 'valid'), choice (one of `choices`).
    """

    kind: str
    default: Any = None
    required: bool = False
    minimum: int = 1
    choices: tuple[str, ...] = ()


# Operation classes: what a hardware profile gives an efficiency for (hardware.py).
OP_CLASSES = names.OP_CLASSES  # re-exported: the closed set lives in costmodel/names.py


@dataclass(frozen=True)
class OpType:
    name: str
    summary: str
    shape: Callable[[list[Shape], Attrs], Shape]
    cost: Callable[[list[Shape], Shape, Attrs], OpCost]
    op_class: Callable[[list[Shape], Attrs], str]
    attrs: dict[str, AttrSpec] = field(default_factory=dict)
    min_inputs: int = 1
    max_inputs: int = 1
    # A view costs nothing at inference and moves no data (flatten, identity, dropout).
    is_view: bool = False
    # Conv-like ops accept the `norm:`/`act:` sugar that expands into extra nodes.
    takes_norm_act: bool = False


REGISTRY: dict[str, OpType] = {}
ALIASES: dict[str, str] = {"silu": "swish", "bn": "batchnorm", "hard_swish": "hardswish"}


def register(op: OpType) -> OpType:
    if op.name in REGISTRY:
        raise ValueError(f"op '{op.name}' registered twice")
    REGISTRY[op.name] = op
    return op


def lookup(name: str) -> OpType | None:
    return REGISTRY.get(ALIASES.get(name, name))


def _fixed_class(name: str) -> Callable[[list[Shape], Attrs], str]:
    return lambda inputs, attrs: name


def _require_rank(shape: Shape, rank: int, what: str) -> None:
    if len(shape) != rank:
        layout = {3: "[C, H, W]", 1: "[features]"}.get(rank, f"rank {rank}")
        raise ShapeError(f"{what} expects a {layout} input, got {list(shape)}")


def _conv_out_size(
    size: int, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool = False
) -> int:
    span = dilation * (kernel - 1) + 1
    numerator = size + pad_total - span
    if numerator < 0:
        raise ShapeError(f"kernel extent {span} is larger than the padded input {size + pad_total}")
    if ceil_mode:
        out = -(-numerator // stride) + 1
        # PyTorch's rule: the last window must start inside the input or the left padding.
        if (out - 1) * stride >= size + pad_total // 2:
            out -= 1
        return out
    return numerator // stride + 1


def _padding_totals(size: int, kernel: int, stride: int, dilation: int, padding: Any) -> int:
    """Total padding (both sides) along one axis for the padding modes a spec can ask for."""
    if padding == "auto":  # PyTorch models' convention: (k - 1) // 2 * dilation on each side
        return 2 * ((kernel - 1) // 2 * dilation)
    if padding == "valid":
        return 0
    if padding == "same":  # TensorFlow SAME: out = ceil(in / stride), padding may be asymmetric
        out = -(-size // stride)
        return max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return 2 * int(padding)


def _spatial_out(shape: Shape, attrs: Attrs, *, ceil_mode: bool = False) -> tuple[int, int]:
    kh, kw = attrs["kernel"]
    sh, sw = attrs["stride"]
    dh, dw = attrs.get("dilation", (1, 1))
    ph, pw = attrs["padding"]
    h = _conv_out_size(shape[1], kh, sh, _padding_totals(shape[1], kh, sh, dh, ph), dh, ceil_mode)
    w = _conv_out_size(shape[2], kw, sw, _padding_totals(shape[2], kw, sw, dw, pw), dw, ceil_mode)
    return h, w


# --- convolution -----------------------------------------------------------------------------


def _conv_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    _require_rank(shape, 3, "conv2d")
    groups, out = attrs["groups"], attrs["out"]
    if shape[0] % groups:
        raise ShapeError(f"input channels {shape[0]} are not divisible by groups={groups}")
    if out % groups:
        raise ShapeError(f"output channels {out} are not divisible by groups={groups}")
    return (out, *_spatial_out(shape, attrs))


def _conv_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    kh, kw = attrs["kernel"]
    cin_per_group = inputs[0][0] // attrs["groups"]
    weights = out[0] * cin_per_group * kh * kw
    bias = out[0] if attrs["bias"] else 0
    return OpCost(params=weights + bias, macs=math.prod(out) * cin_per_group * kh * kw)


def _conv_class(inputs: list[Shape], attrs: Attrs) -> str:
    groups, cin = attrs["groups"], inputs[0][0]
    if groups > 1:
        return "depthwise" if groups == cin else "grouped"
    return "pointwise" if tuple(attrs["kernel"]) == (1, 1) else "conv"


_CONV_ATTRS = {
    "out": AttrSpec("int", required=True),
    "kernel": AttrSpec("pair", required=True),
    "stride": AttrSpec("pair", (1, 1)),
    "padding": AttrSpec("padding", ("auto", "auto")),
    "dilation": AttrSpec("pair", (1, 1)),
    "groups": AttrSpec("int", 1),
    "bias": AttrSpec("bool", None),  # None: a bias only when no norm follows (PyTorch convention)
}

register(
    OpType(
        "conv2d",
        "2-D convolution (grouped and depthwise via groups)",
        _conv_shape,
        _conv_cost,
        _conv_class,
        _CONV_ATTRS,
        takes_norm_act=True,
    )
)


# --- linear ----------------------------------------------------------------------------------


def _linear_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    _require_rank(shape, 1, "linear")
    return (attrs["out"],)


def _linear_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    fin, fout = inputs[0][0], out[0]
    return OpCost(params=fin * fout + (fout if attrs["bias"] else 0), macs=fin * fout)


register(
    OpType(
        "linear",
        "fully connected layer on a [features] vector",
        _linear_shape,
        _linear_cost,
        _fixed_class("linear"),
        {"out": AttrSpec("int", required=True), "bias": AttrSpec("bool", True)},
        takes_norm_act=True,
    )
)


# --- normalisation and activations -----------------------------------------------------------


def _same_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return inputs[0]


def _batchnorm_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if len(inputs[0]) not in (1, 3):
        raise ShapeError(f"batchnorm expects [C, H, W] or [features], got {list(inputs[0])}")
    return inputs[0]


def _batchnorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    # gamma and beta are learnable; running mean/var are buffers (torchvision's count).
    # At inference BN is a per-channel scale and shift: 2 ops per element when not folded.
    return OpCost(params=2 * out[0], ops=2 * math.prod(out))


register(
    OpType(
        "batchnorm",
        "batch normalisation (inference: per-channel scale and shift)",
        _batchnorm_shape,
        _batchnorm_cost,
        _fixed_class("elementwise"),
    )
)

# Elementwise ops per output element, as a plain C kernel would compute them.
ELEMENTWISE_OPS = {
    "relu": 1,  # max(x, 0)
    "relu6": 2,  # min(max(x, 0), 6)
    "hardsigmoid": 3,  # clamp(x + 3, 0, 6) / 6: add, clamp, multiply
    "hardswish": 4,  # x * hardsigmoid(x)
    "sigmoid": 4,  # exp, add, reciprocal, negate
    "swish": 5,  # x * sigmoid(x)
    "tanh": 5,
    "gelu": 8,  # tanh approximation
}

for _act, _ops_per_element in ELEMENTWISE_OPS.items():

    def _act_cost(inputs: list[Shape], out: Shape, attrs: Attrs, k: int = _ops_per_element) -> OpCost:
        return OpCost(ops=k * math.prod(out))

    register(
        OpType(
            _act,
            f"{_act} activation ({_ops_per_element} ops per element)",
            _same_shape,
            _act_cost,
            _fixed_class("elementwise"),
        )
    )

ACTIVATIONS = tuple(ELEMENTWISE_OPS)
NORMS = ("batchnorm",)


# --- pooling ---------------------------------------------------------------------------------


def _pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    _require_rank(shape, 3, "pooling")
    return (shape[0], *_spatial_out(shape, attrs, ceil_mode=attrs["ceil_mode"]))


def _pool_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    kh, kw = attrs["kernel"]
    return OpCost(ops=math.prod(out) * kh * kw)  # one compare or add per window element


_POOL_ATTRS = {
    "kernel": AttrSpec("pair", required=True),
    "stride": AttrSpec("pair", None),  # None: equal to the kernel, as in PyTorch
    "padding": AttrSpec("padding", (0, 0)),
    "ceil_mode": AttrSpec("bool", False),
}
register(OpType("maxpool", "max pooling", _pool_shape, _pool_cost, _fixed_class("pool"), _POOL_ATTRS))
register(OpType("avgpool", "average pooling", _pool_shape, _pool_cost, _fixed_class("pool"), _POOL_ATTRS))


def _global_pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    _require_rank(inputs[0], 3, "global_avgpool")
    return (inputs[0][0], 1, 1)


def _global_pool_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=math.prod(inputs[0]))  # one add per input element


register(
    OpType(
        "global_avgpool",
        "global average pooling to [C, 1, 1]",
        _global_pool_shape,
        _global_pool_cost,
        _fixed_class("pool"),
    )
)


def _adaptive_pool_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    _require_rank(inputs[0], 3, "adaptive_avgpool")
    return (inputs[0][0], *attrs["size"])


register(
    OpType(
        "adaptive_avgpool",
        "adaptive average pooling to a fixed [h, w]",
        _adaptive_pool_shape,
        _global_pool_cost,
        _fixed_class("pool"),
        {"size": AttrSpec("pair", required=True)},
    )
)


# --- views: free at inference ----------------------------------------------------------------


def _flatten_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return (math.prod(inputs[0]),)


def _no_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost()


register(
    OpType(
        "flatten",
        "reshape to a [features] vector (a view)",
        _flatten_shape,
        _no_cost,
        _fixed_class("data"),
        is_view=True,
    )
)
register(
    OpType("identity", "pass-through (a view)", _same_shape, _no_cost, _fixed_class("data"), is_view=True)
)
register(
    OpType(
        "dropout",
        "dropout: identity at inference",
        _same_shape,
        _no_cost,
        _fixed_class("data"),
        {"p": AttrSpec("float", 0.5)},
        is_view=True,
    )
)


# --- merging branches ------------------------------------------------------------------------


def _add_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    first = inputs[0]
    for other in inputs[1:]:
        if other != first:
            raise ShapeError(
                f"add needs inputs of one shape, got {' and '.join(str(list(s)) for s in inputs)}"
            )
    return first


def _add_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=(len(inputs) - 1) * math.prod(out))


register(
    OpType(
        "add",
        "elementwise sum of same-shape inputs (residual)",
        _add_shape,
        _add_cost,
        _fixed_class("elementwise"),
        min_inputs=2,
        max_inputs=64,
    )
)


def _broadcast(a: Shape, b: Shape) -> Shape:
    if len(a) != len(b):
        raise ShapeError(f"mul cannot broadcast {list(a)} with {list(b)} (different ranks)")
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"mul cannot broadcast {list(a)} with {list(b)}")
        out.append(max(x, y))
    return tuple(out)


def _mul_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    return _broadcast(inputs[0], inputs[1])


register(
    OpType(
        "mul",
        "elementwise product with broadcasting (squeeze-and-excitation scale)",
        _mul_shape,
        lambda i, o, a: OpCost(ops=math.prod(o)),
        _fixed_class("elementwise"),
        min_inputs=2,
        max_inputs=2,
    )
)


def _concat_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    first = inputs[0]
    for other in inputs:
        if len(other) != len(first) or other[1:] != first[1:]:
            raise ShapeError(
                "concat needs inputs that differ only in channels, got "
                + ", ".join(str(list(s)) for s in inputs)
            )
    return (sum(s[0] for s in inputs), *first[1:])


register(
    OpType(
        "concat",
        "concatenation along channels",
        _concat_shape,
        _no_cost,
        _fixed_class("data"),
        min_inputs=1,
        max_inputs=256,
    )
)


def _shuffle_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if inputs[0][0] % attrs["groups"]:
        raise ShapeError(f"channels {inputs[0][0]} are not divisible by groups={attrs['groups']}")
    return inputs[0]


register(
    OpType(
        "channel_shuffle",
        "ShuffleNet channel shuffle (a permuting copy)",
        _shuffle_shape,
        _no_cost,
        _fixed_class("data"),
        {"groups": AttrSpec("int", required=True)},
    )
)


def _slice_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    start, stop = attrs["start"], attrs["stop"]
    if not 0 <= start < stop <= inputs[0][0]:
        raise ShapeError(f"channel slice [{start}:{stop}] is outside 0..{inputs[0][0]}")
    return (stop - start, *inputs[0][1:])


register(
    OpType(
        "slice",
        "channels [start:stop] of the input (ShuffleNet V2 channel split)",
        _slice_shape,
        _no_cost,
        _fixed_class("data"),
        {"start": AttrSpec("int", 0, minimum=0), "stop": AttrSpec("int", required=True)},
        is_view=True,
    )
)


# --- the graph's source ----------------------------------------------------------------------
# Not usable in specs: the builder creates one `input` node per graph from the spec's `input:`.
register(
    OpType(
        "input",
        "the network input",
        lambda i, a: a["shape"],
        _no_cost,
        _fixed_class("data"),
        min_inputs=0,
        max_inputs=0,
        is_view=True,
    )
)
