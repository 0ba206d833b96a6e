"""Transformer ops: layer/RMS/group normalisation, softmax, matmul of two activations, token
embedding, and attention (fused, as FlashAttention runs it, or unfused).

MACs of attention are the two matmuls QK^T and softmax(.)V: they carry no params but are
multiply-accumulates like any other (torch.utils.flop_counter counts them as bmm), so they are
MACs here too. Norms and softmax are elementwise work counted as ops.
"""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OpCost,
    OpExtra,
    OpType,
    Shape,
    ShapeError,
    axis_index,
    broadcast,
    fixed_class,
    register,
    require_rank,
)
from costmodel.ops.tensor import AXIS

# Ops per element, as a plain kernel computes them (estimates; no MACs):
LAYERNORM_OPS = 7  # mean (add), variance (sub, mul-add), normalise (sub, mul), affine (mul, add)
RMSNORM_OPS = 4  # square-accumulate, scale by 1/rms, weight multiply, (rsqrt amortised) + 1
SOFTMAX_OPS = 5  # running max, subtract, exp, sum, divide
ATTENTION_SCORE_OPS = 1 + SOFTMAX_OPS  # the 1/sqrt(d) scale, then softmax, per score


def _norm_shape(name: str, rank_min: int = 1):  # type: ignore[no-untyped-def]
    def shape(inputs: list[Shape], attrs: Attrs) -> Shape:
        if len(inputs[0]) < rank_min:
            raise ShapeError(f"{name} expects a tensor of rank >= {rank_min}, got {list(inputs[0])}")
        if "axis" in attrs:
            axis_index(attrs["axis"], len(inputs[0]), name)
        return inputs[0]

    return shape


def _layernorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    size = out[axis_index(attrs["axis"], len(out), "layernorm")]
    return OpCost(params=2 * size if attrs["affine"] else 0, ops=LAYERNORM_OPS * math.prod(out))


def _layernorm_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """LayerNormalization over the last axis; over axis 0 of [C, H, W] (ConvNeXt's LayerNorm2d)
    by moving the channels last and back."""
    rank, axis = len(ins[0]), node.attrs["axis"] % len(ins[0])
    size = ins[0][axis]
    scale, bias = ex.uniform(node, "weight", (size,), 0.5, 1.5), ex.uniform(node, "bias", (size,), -0.1, 0.1)
    if axis == rank - 1:
        ex.add("LayerNormalization", [node.inputs[0], scale, bias], node.name, node.name, axis=-1)
        return
    to_last = [0, *(a + 1 for a in range(rank) if a != axis), axis + 1]
    back = [to_last.index(a) for a in range(rank + 1)]
    moved = ex.add("Transpose", [node.inputs[0]], f"{node.name}/last", f"{node.name}/last", perm=to_last)
    normed = ex.add("LayerNormalization", [moved, scale, bias], f"{node.name}/ln", f"{node.name}/ln", axis=-1)
    ex.add("Transpose", [normed], node.name, node.name, perm=back)


register(
    OpType(
        "layernorm",
        "layer normalisation over one axis (default the last; axis 0 of [C, H, W] is ConvNeXt's LayerNorm2d)",
        _norm_shape("layernorm"),
        _layernorm_cost,
        fixed_class(OpClass.ELEMENTWISE),
        {"axis": AXIS, "affine": AttrSpec("bool", True)},
        onnx=_layernorm_onnx,
    )
)


def _rmsnorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(params=out[-1], ops=RMSNORM_OPS * math.prod(out))


def _rmsnorm_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """x / sqrt(mean(x^2) + eps) * weight."""
    name, x = node.name, node.inputs[0]
    square = ex.add("Mul", [x, x], f"{name}/sq", f"{name}/sq")
    mean = ex.add("ReduceMean", [square], f"{name}/mean", f"{name}/mean", axes=[-1], keepdims=1)
    eps = ex.add("Add", [mean, ex.floats(f"{name}/eps", [1e-6])], f"{name}/eps_add", f"{name}/eps_add")
    root = ex.add("Sqrt", [eps], f"{name}/rms", f"{name}/rms")
    normed = ex.add("Div", [x, root], f"{name}/norm", f"{name}/norm")
    ex.add("Mul", [normed, ex.uniform(node, "weight", (ins[0][-1],), 0.5, 1.5)], name, name)


register(
    OpType(
        "rmsnorm",
        "RMS normalisation over the last axis (Llama): a weight per feature, no shift",
        _norm_shape("rmsnorm"),
        _rmsnorm_cost,
        fixed_class(OpClass.ELEMENTWISE),
        onnx=_rmsnorm_onnx,
    )
)


def _groupnorm_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if inputs[0][0] % attrs["groups"]:
        raise ShapeError(f"groupnorm: channels {inputs[0][0]} are not divisible by groups={attrs['groups']}")
    return inputs[0]


def _groupnorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(params=2 * out[0], ops=LAYERNORM_OPS * math.prod(out))


def _groupnorm_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """InstanceNormalization over [B, groups, rest] (opset 17 has no GroupNormalization), then the
    per-channel scale and shift."""
    name, groups, shape = node.name, node.attrs["groups"], ins[0]
    per_channel = (shape[0], *(1,) * (len(shape) - 1))
    grouped = ex.add(
        "Reshape", [node.inputs[0], ex.ints(f"{name}/g_c", [ex.batch, groups, -1])], f"{name}/g", f"{name}/g"
    )
    ones, zeros = ex.floats(f"{name}/ones", [1.0] * groups), ex.floats(f"{name}/zeros", [0.0] * groups)
    normed = ex.add("InstanceNormalization", [grouped, ones, zeros], f"{name}/n", f"{name}/n")
    back = ex.add("Reshape", [normed, ex.ints(f"{name}/s_c", [ex.batch, *shape])], f"{name}/b", f"{name}/b")
    scaled = ex.add(
        "Mul", [back, ex.uniform(node, "weight", per_channel, 0.5, 1.5)], f"{name}/scale", f"{name}/scale"
    )
    ex.add("Add", [scaled, ex.uniform(node, "bias", per_channel, -0.1, 0.1)], name, name)


register(
    OpType(
        "groupnorm",
        "group normalisation of a [C, ...] tensor (gamma and beta per channel)",
        _groupnorm_shape,
        _groupnorm_cost,
        fixed_class(OpClass.ELEMENTWISE),
        {"groups": AttrSpec("int", required=True)},
        onnx=_groupnorm_onnx,
    )
)


def _softmax_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=SOFTMAX_OPS * math.prod(out))


def _softmax_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    axis = node.attrs["axis"] % len(ins[0]) + 1
    ex.add("Softmax", [node.inputs[0]], node.name, node.name, axis=axis)


register(
    OpType(
        "softmax",
        "softmax over one axis (default the last)",
        _norm_shape("softmax"),
        _softmax_cost,
        fixed_class(OpClass.ELEMENTWISE),
        {"axis": AXIS},
        onnx=_softmax_onnx,
    )
)


def _matmul_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    a, b = inputs
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"matmul needs two tensors of rank >= 2, got {list(a)} and {list(b)}")
    if attrs["transpose_b"]:
        b = (*b[:-2], b[-1], b[-2])
    if a[-1] != b[-2]:
        raise ShapeError(f"matmul: inner sizes differ ({list(a)} @ {list(b)}: {a[-1]} != {b[-2]})")
    batch = broadcast("matmul", [a[:-2] or (1,), b[:-2] or (1,)]) if a[:-2] or b[:-2] else ()
    return (*batch, a[-2], b[-1])


def _matmul_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(macs=math.prod(out) * inputs[0][-1])


def _matmul_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    a, b = node.inputs
    if node.attrs["transpose_b"]:
        perm = [*range(len(ins[1]) - 1), len(ins[1]), len(ins[1]) - 1]  # batch axis first
        b = ex.add("Transpose", [b], f"{node.name}/bt", f"{node.name}/bt", perm=[0, *perm[1:]])
    ex.add("MatMul", [a, b], node.name, node.name)


register(
    OpType(
        "matmul",
        "product of two activations [..., m, k] @ [..., k, n] (attention scores; MACs, no params)",
        _matmul_shape,
        _matmul_cost,
        fixed_class(OpClass.LINEAR),
        {"transpose_b": AttrSpec("bool", False)},
        min_inputs=2,
        max_inputs=2,
        onnx=_matmul_onnx,
    )
)


def _embedding_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 1, "embedding ([tokens] of ids)")
    return (shape[0], attrs["dim"])


def _embedding_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    # The table is vocab x dim; a lookup reads one row per token, not the table.
    return OpCost(params=attrs["vocab"] * attrs["dim"], extra=OpExtra(weights=0, gathered=math.prod(out)))


def _embedding_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Gather rows of the table; the float token ids of the graph input are cast to int64."""
    table = ex.uniform(node, "weight", (node.attrs["vocab"], node.attrs["dim"]), -0.02, 0.02)
    ids = ex.add("Cast", [node.inputs[0]], f"{node.name}/ids", f"{node.name}/ids", to=7)
    ex.add("Gather", [table, ids], node.name, node.name, axis=0)


register(
    OpType(
        "embedding",
        "token embedding: [tokens] ids -> [tokens, dim] (params vocab x dim; reads a row per token)",
        _embedding_shape,
        _embedding_cost,
        fixed_class(OpClass.DATA),
        {"vocab": AttrSpec("int", required=True, limit="MAX_VOCAB"), "dim": AttrSpec("int", required=True)},
        onnx=_embedding_onnx,
    )
)
