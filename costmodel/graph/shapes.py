"""Shapes while building: each node's output shape, checked, and the input's shape."""

from __future__ import annotations

import math
from typing import Any

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.graph.model import BuildOptions
from costmodel.ops.registry import OpType, Shape, ShapeError
from costmodel.spec import expr
from costmodel.spec.schema import Spec

SPATIAL_NAMES = frozenset({"in_h", "in_w"})  # the names of shape_vars that depend on the resolution


def infer_shape(
    op: OpType, in_shapes: list[Shape], attrs: dict[str, Any], pos: SourcePos, name: str
) -> Shape:
    """The op's output shape, checked: no empty dimension, no tensor beyond the size limit."""
    try:
        shape = op.shape(in_shapes, attrs)
    except ShapeError as exc:
        raise CostModelError(ErrorCode.SHAPE_MISMATCH, str(exc), pos=pos, node=name) from None
    if min(shape) <= 0:
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"output shape {list(shape)} has an empty dimension", pos=pos, node=name
        )
    if math.prod(shape) > limits.MAX_TENSOR_ELEMENTS:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"output tensor {list(shape)} has more than {limits.MAX_TENSOR_ELEMENTS} elements",
            pos=pos,
            node=name,
        )
    return shape


def shape_vars(shape: Shape) -> dict[str, int]:
    """The names a layer's expressions may use for the shape flowing into it: in_channels, in_h,
    in_w of a [C, H, W] map (the first axis otherwise) and in_dim, its last axis."""
    if len(shape) == 3:
        return {"in_channels": shape[0], "in_h": shape[1], "in_w": shape[2], "in_dim": shape[2]}
    return {"in_channels": shape[0], "in_h": 1, "in_w": 1, "in_dim": shape[-1]}


def _input_sizes(spec: Spec, env: dict[str, Any] | None) -> tuple[int, ...]:
    """The spec's input with its expressions ([tokens]) evaluated over the vars."""
    sizes: list[int] = []
    for raw in spec.input:
        value: Any = raw
        if isinstance(raw, str):
            try:
                value = expr.evaluate(raw, env or {})
            except expr.ExpressionError as exc:
                raise CostModelError(ErrorCode.EXPRESSION, f"input: {exc}") from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"input size {raw!r} must be an integer >= 1, got {value!r}",
            )
        if value > limits.MAX_SEQUENCE:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"input size {raw!r} = {value} is over the limit {limits.MAX_SEQUENCE}",
            )
        sizes.append(value)
    return tuple(sizes)


def checked_input_shape(spec: Spec, options: BuildOptions, env: dict[str, Any] | None = None) -> Shape:
    """The input's shape under `options` (and the vars `env`), within the limits; --resolution sets
    H and W of a [C, H, W] input."""
    if not (0.0 < options.width <= 16.0) or not math.isfinite(options.width):
        raise CostModelError(ErrorCode.OPTION, f"width must be in (0, 16], got {options.width}")
    sizes = _input_sizes(spec, env) if not all(isinstance(v, int) for v in spec.input) else spec.input
    if len(sizes) != 3:
        if options.resolution is not None:
            raise CostModelError(
                ErrorCode.OPTION, f"--resolution needs a [C, H, W] input; this spec's is {list(spec.input)}"
            )
        return tuple(int(v) for v in sizes)
    channels, height, width = (int(v) for v in sizes)
    if options.resolution is not None:
        if not 1 <= options.resolution <= limits.MAX_SPATIAL:
            raise CostModelError(
                ErrorCode.OPTION, f"resolution must be 1..{limits.MAX_SPATIAL}, got {options.resolution}"
            )
        height = width = options.resolution
    if max(height, width) > limits.MAX_SPATIAL or channels > limits.MAX_CHANNELS:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"input {list(spec.input)} exceeds the limits "
            f"({limits.MAX_CHANNELS} channels, {limits.MAX_SPATIAL} pixels a side)",
        )
    return channels, height, width
