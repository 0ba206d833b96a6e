"""Output sizes of sliding-window ops (convolution and pooling) along each spatial axis."""

from __future__ import annotations

from typing import Any

from costmodel.ops.registry import Attrs, Shape, ShapeError


def conv_out_size(
    size: int, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool = False
) -> int:
    """Output length along one axis (PyTorch's Conv2d/MaxPool2d formula)."""
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


def padding_totals(size: int, kernel: int, stride: int, dilation: int, padding: Any) -> int:
    """Total padding (both sides) along one axis for the padding modes a spec can ask for."""
    if padding == "auto":  # PyTorch models' convention: (k - 1) // 2 * dilation on each side
        return 2 * ((kernel - 1) // 2 * dilation)
    if padding == "valid":
        return 0
    if padding == "same":  # TensorFlow SAME: out = ceil(in / stride), padding may be asymmetric
        out = -(-size // stride)
        return max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return 2 * int(padding)


def spatial_out(shape: Shape, attrs: Attrs, *, ceil_mode: bool = False) -> tuple[int, int]:
    """(H, W) of a sliding-window op's output for a [C, H, W] input."""
    kh, kw = attrs["kernel"]
    sh, sw = attrs["stride"]
    dh, dw = attrs.get("dilation", (1, 1))
    ph, pw = attrs["padding"]
    h = conv_out_size(shape[1], kh, sh, padding_totals(shape[1], kh, sh, dh, ph), dh, ceil_mode)
    w = conv_out_size(shape[2], kw, sw, padding_totals(shape[2], kw, sw, dw, pw), dw, ceil_mode)
    return h, w
