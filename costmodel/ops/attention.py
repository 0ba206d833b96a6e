"""Scaled dot-product attention as one op, with a fused (FlashAttention) or unfused memory model,
grouped-query heads and a KV cache.

Inputs q [..., n, heads*head_dim], k and v [..., m, kv_heads*head_dim] (the leading axes are
windows or patch positions: Swin, MobileViT); output shaped like q. Every query attends to
`cached + m` positions: `cached` earlier positions held in the KV cache (decode) and the m new ones.

- MACs: QK^T and softmax(.)V, 2 x heads x n x (cached + m) x head_dim per leading index; the
  causal mask is not exploited (the reference counts, torch's math backend, compute the full
  square).
- ops: the 1/sqrt(d) scale and the softmax per score (+1 with a relative position bias).
- fused (default): scores never leave the chip (FlashAttention, Dao et al., NeurIPS 2022);
  unfused: the score matrix is written and read back, then the probabilities likewise (4 passes).
- kv_cache: the op keeps keys and values of all attended positions: the cache holds
  2 x kv_heads x head_dim x (cached + m) elements per sequence; a step reads the cached part and
  writes the new part, so that much crosses DRAM each step.
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
    fixed_class,
    register,
)
from costmodel.ops.transformer import ATTENTION_SCORE_OPS

# Passes of the score matrix through DRAM when unfused: write scores, read them for the softmax,
# write probabilities, read them for the product with V.
UNFUSED_SCORE_PASSES = 4


def _heads(attrs: Attrs) -> tuple[int, int]:
    heads = attrs["heads"]
    kv_heads = attrs["kv_heads"] or heads
    if heads % kv_heads:
        raise ShapeError(f"attention: heads={heads} is not a multiple of kv_heads={kv_heads}")
    return heads, kv_heads


def _attention_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    q, k, v = inputs
    heads, kv_heads = _heads(attrs)
    if len(q) < 2 or q[-1] % heads:
        raise ShapeError(f"attention: q {list(q)} is not [..., tokens, heads x head_dim] for heads={heads}")
    head_dim = q[-1] // heads
    want = kv_heads * head_dim
    if k != v or len(k) != len(q) or k[:-2] != q[:-2] or k[-1] != want:
        raise ShapeError(
            f"attention: k {list(k)} and v {list(v)} must both be [..., tokens, {want}] "
            f"(kv_heads={kv_heads} x head_dim={head_dim}) beside q {list(q)}"
        )
    if attrs["cached"] and not attrs["kv_cache"]:
        raise ShapeError("attention: 'cached' positions need kv_cache: true")
    return q


def _attention_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    q, k, _ = inputs
    heads, kv_heads = _heads(attrs)
    head_dim = q[-1] // heads
    lead = math.prod(q[:-2])
    attended = attrs["cached"] + k[-2]
    scores = lead * heads * q[-2] * attended
    window = attrs["rel_pos_window"]
    bias_params = (2 * window - 1) ** 2 * heads if window else 0
    return OpCost(
        params=bias_params,
        macs=2 * scores * head_dim,
        ops=(ATTENTION_SCORE_OPS + (1 if window else 0)) * scores,
        extra=OpExtra(
            kv=lead * 2 * kv_heads * head_dim * attended if attrs["kv_cache"] else 0,
            scratch=0 if attrs["fused"] else UNFUSED_SCORE_PASSES * scores,
        ),
    )


def _split_heads(ex: OnnxBuilder, name: str, tensor: str, shape: Shape, heads: int, groups: int) -> str:
    """[B, ..., n, heads*d] -> [B x lead, heads x groups, n, d] (grouped kv heads repeated)."""
    rows, tokens, head_dim = ex.batch * math.prod(shape[:-2]), shape[-2], shape[-1] // heads
    split = ex.add(
        "Reshape", [tensor, ex.ints(f"{name}/shape_c", [rows, tokens, heads, head_dim])], name, name
    )
    moved = ex.add("Transpose", [split], f"{name}/t", f"{name}/t", perm=[0, 2, 1, 3])
    if groups == 1:
        return moved
    spread = ex.add(
        "Reshape",
        [moved, ex.ints(f"{name}/g_c", [rows, heads, 1, tokens, head_dim])],
        f"{name}/g",
        f"{name}/g",
    )
    wide = ex.ints(f"{name}/e_c", [rows, heads, groups, tokens, head_dim])
    expanded = ex.add("Expand", [spread, wide], f"{name}/x", f"{name}/x")
    return ex.add(
        "Reshape",
        [expanded, ex.ints(f"{name}/r_c", [rows, heads * groups, tokens, head_dim])],
        f"{name}/r",
        f"{name}/r",
    )


def _attention_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """Multi-head (or grouped-query) attention with its leading axes folded into the batch; a
    relative position bias as a random [heads, n, m] initializer. A KV cache has no export."""
    heads, kv_heads = _heads(node.attrs)
    if node.attrs["cached"]:
        from costmodel.errors import CostModelError, ErrorCode

        raise CostModelError(
            ErrorCode.UNKNOWN_OP,
            "attention over cached positions has no ONNX export",
            pos=node.pos,
            node=node.name,
        )
    name, groups = node.name, heads // kv_heads
    q = _split_heads(ex, f"{name}/q", node.inputs[0], ins[0], heads, 1)
    k = _split_heads(ex, f"{name}/k", node.inputs[1], ins[1], kv_heads, groups)
    v = _split_heads(ex, f"{name}/v", node.inputs[2], ins[2], kv_heads, groups)
    kt = ex.add("Transpose", [k], f"{name}/kt", f"{name}/kt", perm=[0, 1, 3, 2])
    scores = ex.add("MatMul", [q, kt], f"{name}/scores", f"{name}/scores")
    scale = ex.floats(f"{name}/scale", [1 / math.sqrt(ins[0][-1] // heads)])
    scaled = ex.add("Mul", [scores, scale], f"{name}/scaled", f"{name}/scaled")
    if node.attrs["rel_pos_window"]:
        bias = ex.uniform(node, "relative_position_bias", (heads, ins[0][-2], ins[1][-2]), -0.02, 0.02)
        scaled = ex.add("Add", [scaled, bias], f"{name}/biased", f"{name}/biased")
    probs = ex.add("Softmax", [scaled], f"{name}/probs", f"{name}/probs", axis=-1)
    mixed = ex.add("MatMul", [probs, v], f"{name}/mixed", f"{name}/mixed")
    merged = ex.add("Transpose", [mixed], f"{name}/merged", f"{name}/merged", perm=[0, 2, 1, 3])
    ex.add("Reshape", [merged, ex.ints(f"{name}/out_c", [ex.batch, *node.shape])], name, name)


register(
    OpType(
        "attention",
        "scaled dot-product attention of q, k, v (MACs of QK^T and PV; fused or unfused; KV cache)",
        _attention_shape,
        _attention_cost,
        fixed_class(OpClass.LINEAR),
        {
            "heads": AttrSpec("int", required=True),
            "kv_heads": AttrSpec("int", 0, minimum=0),
            "cached": AttrSpec("int", 0, minimum=0, limit="MAX_SEQUENCE"),
            "kv_cache": AttrSpec("bool", False),
            "fused": AttrSpec("bool", True),
            "rel_pos_window": AttrSpec("int", 0, minimum=0),
        },
        min_inputs=3,
        max_inputs=3,
        onnx=_attention_onnx,
    )
)
