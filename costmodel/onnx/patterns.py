"""Chains of ONNX nodes that exporters write for one costmodel op, recognised at their first node.

    x * Sigmoid(x)                              -> swish      (SiLU before opset 18 has no op)
    x * HardSigmoid(x) (alpha 1/6, beta 0.5)    -> hardswish  (PyTorch before opset 14)
    Clip(x + 3, 0, 6) / 6                       -> hardsigmoid (relu6(x + 3) / 6, as in SE gates)
    x * (Clip(x + 3, 0, 6) / 6),  x * Clip(x + 3, 0, 6) / 6       -> hardswish
    0.5 * x * (1 + Erf(x / sqrt 2))  (as x * (...) * 0.5)          -> gelu (PyTorch's default)
    Reshape [N, g, C/g, H, W] -> Transpose(0, 2, 1, 3, 4) -> Reshape [N, C, H, W]  -> channel_shuffle

Each intermediate tensor of a chain must have exactly one reader, so the chain computes nothing
anyone else sees; the costmodel node takes its name from the chain's last node.
"""

from __future__ import annotations

from typing import Any

from costmodel.onnx.context import Context, Mapped, attr, close
from costmodel.onnx.elementwise import _clip_bounds


def _const_operand(ctx: Context, node: Any, data: str) -> float | None:
    """The scalar constant `node` combines `data` with (x + 3, x / 6), else None."""
    others = [name for name in node.input if name != data]
    if len(others) != 1 or data not in node.input:
        return None
    return ctx.scalar(others[0])


def _times(ctx: Context, tensor: str, factor: float) -> Any | None:
    """The only reader of `tensor` when it multiplies it by `factor` (or divides by 1/factor)."""
    node = ctx.only_consumer(tensor)
    if node is None:
        return None
    if node.op_type == "Mul" and close(_const_operand(ctx, node, tensor), factor):
        return node
    if (
        node.op_type == "Div"
        and node.input[0] == tensor
        and close(_const_operand(ctx, node, tensor), 1 / factor)
    ):
        return node
    return None


def _gate(ctx: Context, node: Any, x: str) -> Any | None:
    """The only reader of `node`'s output when it is x * that output."""
    mul = ctx.next_op(node.output[0], "Mul")
    return mul if mul is not None and sorted(mul.input) == sorted([x, node.output[0]]) else None


def match_sigmoid_gate(ctx: Context, node: Any) -> Mapped | None:
    """x * Sigmoid(x) -> swish; x * HardSigmoid(x) with PyTorch's constants -> hardswish."""
    x = node.input[0]
    pytorch_constants = close(attr(node, "alpha", 0.2), 1 / 6) and close(attr(node, "beta", 0.5), 0.5)
    if node.op_type == "HardSigmoid" and not pytorch_constants:
        return None
    mul = _gate(ctx, node, x)
    if mul is None:
        return None
    op = "swish" if node.op_type == "Sigmoid" else "hardswish"
    return Mapped(op, {}, (x,), mul.output[0], (node, mul), mul)


def match_hard_chain(ctx: Context, node: Any) -> Mapped | None:
    """Clip(x + 3, 0, 6) / 6 -> hardsigmoid, and x times it -> hardswish."""
    data = ctx.data_inputs(node)
    if len(data) != 1 or not close(_const_operand(ctx, node, data[0]), 3.0):
        return None
    x = data[0]
    clip = ctx.next_op(node.output[0], "Clip")
    if clip is None or _clip_bounds(ctx, clip) != (0, 6):
        return None
    gate = _gate(ctx, clip, x)
    if gate is not None:  # x * clip(x + 3, 0, 6) / 6
        scale = _times(ctx, gate.output[0], 1 / 6)
        if scale is None:
            return None
        return Mapped("hardswish", {}, (x,), scale.output[0], (node, clip, gate, scale), scale)
    scale = _times(ctx, clip.output[0], 1 / 6)
    if scale is None:
        return None
    mul = _gate(ctx, scale, x)
    if mul is not None:
        return Mapped("hardswish", {}, (x,), mul.output[0], (node, clip, scale, mul), mul)
    return Mapped("hardsigmoid", {}, (x,), scale.output[0], (node, clip, scale), scale)


def match_gelu(ctx: Context, node: Any) -> Mapped | None:
    """x * (1 + Erf(x / sqrt 2)) * 0.5 -> gelu (the exact GELU as torch.onnx writes it)."""
    data = ctx.data_inputs(node)
    if len(data) != 1 or node.input[0] != data[0]:
        return None
    x, factor = data[0], _const_operand(ctx, node, data[0])
    if not (
        node.op_type == "Div" and close(factor, 2**0.5) or node.op_type == "Mul" and close(factor, 2**-0.5)
    ):
        return None
    erf = ctx.next_op(node.output[0], "Erf")
    if erf is None:
        return None
    plus = ctx.next_op(erf.output[0], "Add")
    if plus is None or not close(_const_operand(ctx, plus, erf.output[0]), 1.0):
        return None
    times = _gate(ctx, plus, x)
    half = _times(ctx, times.output[0], 0.5) if times is not None else None
    if half is None:
        return None
    return Mapped("gelu", {}, (x,), half.output[0], (node, erf, plus, times, half), half)


def match_shuffle(ctx: Context, node: Any) -> Mapped | None:
    """Reshape [N, g, C/g, ...] -> Transpose(0, 2, 1, ...) -> Reshape [N, C, ...] -> channel_shuffle."""
    before, split = ctx.shape(node.input[0]), ctx.shape(node.output[0])
    if before is None or split is None or len(split) != len(before) + 1 or len(before) < 1:
        return None
    if split[0] * split[1] != before[0] or split[2:] != before[1:]:
        return None
    swap = ctx.next_op(node.output[0], "Transpose")
    if swap is None or list(attr(swap, "perm", [])) != [0, 2, 1, *range(3, len(split) + 1)]:
        return None
    merge = ctx.next_op(swap.output[0], "Reshape")
    if merge is None or ctx.shape(merge.output[0]) != before:
        return None
    return Mapped(
        "channel_shuffle", {"groups": split[0]}, (node.input[0],), merge.output[0], (node, swap, merge), merge
    )


PATTERNS = {
    "Sigmoid": match_sigmoid_gate,
    "HardSigmoid": match_sigmoid_gate,
    "Add": match_hard_chain,
    "Div": match_gelu,
    "Mul": match_gelu,
    "Reshape": match_shuffle,
}
