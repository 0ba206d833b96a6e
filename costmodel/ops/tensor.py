"""Tensors of any rank: reshape, permute, tokens (flatten a feature map to tokens), Swin's window
partition and merge, roll, mean over an axis, learned parameter tensors and upsampling.

Shapes exclude the batch. A reshape is a view (free); a permute, a window partition, a roll or an
upsample writes a new tensor (a real copy: no arithmetic, but it reads and writes its bytes).
"""

from __future__ import annotations

import math

from costmodel import limits
from costmodel.names import OpClass
from costmodel.ops.registry import (
    Attrs,
    AttrSpec,
    LoweredNode,
    OnnxBuilder,
    OnnxLowering,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    axis_index,
    fixed_class,
    no_cost,
    register,
    require_rank,
)

AXIS = AttrSpec("int", -1, minimum=-limits.MAX_RANK)


def _reshape_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    target = list(attrs["shape"])
    elements = math.prod(shape)
    if target.count(-1) > 1 or any(d == 0 or d < -1 for d in target):
        raise ShapeError(f"reshape: shape {target} may hold one -1 and positive sizes only")
    if -1 in target:
        known = -math.prod(target)
        if elements % known:
            raise ShapeError(f"reshape cannot make {list(shape)} into {target}")
        target[target.index(-1)] = elements // known
    if math.prod(target) != elements:
        raise ShapeError(f"reshape cannot make {list(shape)} ({elements} elements) into {target}")
    return tuple(target)


def _reshape_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    target = ex.ints(f"{node.name}/shape_c", [ex.batch, *node.shape])
    ex.add("Reshape", [node.inputs[0], target], node.name, node.name)


register(
    OpType(
        "reshape",
        "another shape of the same elements (one size may be -1; a view)",
        _reshape_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"shape": AttrSpec("ints", required=True, minimum=-1)},
        is_view=True,
        onnx=_reshape_onnx,
    )
)


def _permute_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    perm = attrs["perm"]
    if sorted(perm) != list(range(len(shape))):
        raise ShapeError(f"permute: perm {list(perm)} is not a permutation of the axes of {list(shape)}")
    return tuple(shape[axis] for axis in perm)


def _permute_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    perm = [0, *(axis + 1 for axis in node.attrs["perm"])]
    ex.add("Transpose", [node.inputs[0]], node.name, node.name, perm=perm)


register(
    OpType(
        "permute",
        "reorder the axes, e.g. [C, H, W] -> [H, W, C] with perm [1, 2, 0] (a copy)",
        _permute_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"perm": AttrSpec("ints", required=True, minimum=0)},
        onnx=_permute_onnx,
    )
)


def _tokens_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "tokens")
    return (shape[1] * shape[2], shape[0])


def _tokens_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    channels, tokens = ins[0][0], ins[0][1] * ins[0][2]
    flat = ex.add(
        "Reshape",
        [node.inputs[0], ex.ints(f"{node.name}/flat_shape_c", [ex.batch, channels, tokens])],
        f"{node.name}/flat",
        f"{node.name}/flat",
    )
    ex.add("Transpose", [flat], node.name, node.name, perm=[0, 2, 1])


register(
    OpType(
        "tokens",
        "a [C, H, W] feature map as [H*W, C] tokens (ViT's flatten(2).transpose(1, 2); a copy)",
        _tokens_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        onnx=_tokens_onnx,
    )
)


def _windows(height: int, width: int, size: int) -> tuple[int, int]:
    """Windows down and across; a map that is not a multiple of the window is padded (zeros at
    the bottom and right, as torchvision's Swin does)."""
    return -(-height // size), -(-width // size)


def _window_partition_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "window_partition ([H, W, C])")
    size = attrs["window"]
    rows, cols = _windows(shape[0], shape[1], size)
    return (rows * cols, size * size, shape[2])


def _window_onnx(merge: bool) -> OnnxLowering:
    """Reshape to a grid of windows, swap the middle axes, reshape to the output."""

    def lower(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
        name, size = node.name, node.attrs["window"]
        height, width, channels = node.shape if merge else ins[0]
        rows, cols = height // size, width // size
        if height % size or width % size:
            from costmodel.errors import CostModelError, ErrorCode

            raise CostModelError(
                ErrorCode.UNKNOWN_OP,
                f"the ONNX export of a window op needs a map that is a multiple of the window ({size})",
                pos=node.pos,
                node=name,
            )
        grid = [rows, cols, size, size] if merge else [rows, size, cols, size]
        split = ex.add(
            "Reshape",
            [node.inputs[0], ex.ints(f"{name}/grid_c", [ex.batch, *grid, channels])],
            f"{name}/grid",
            f"{name}/grid",
        )
        swapped = ex.add("Transpose", [split], f"{name}/swap", f"{name}/swap", perm=[0, 1, 3, 2, 4, 5])
        ex.add("Reshape", [swapped, ex.ints(f"{name}/shape_c", [ex.batch, *node.shape])], name, name)

    return lower


register(
    OpType(
        "window_partition",
        "Swin: [H, W, C] into [windows, window*window, C], padded to whole windows (a copy)",
        _window_partition_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"window": AttrSpec("int", required=True)},
        onnx=_window_onnx(merge=False),
    )
)


def _window_merge_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "window_merge ([windows, tokens, C])")
    size = attrs["window"]
    height, width = attrs["size"]
    rows, cols = _windows(height, width, size)
    if shape[0] != rows * cols or shape[1] != size * size:
        raise ShapeError(
            f"window_merge: {list(shape)} is not {rows * cols} windows of {size}x{size} tokens "
            f"tiling {height}x{width}"
        )
    return (height, width, shape[2])


register(
    OpType(
        "window_merge",
        "Swin: [windows, window*window, C] back into [H, W, C] (size: [H, W], padding cut; a copy)",
        _window_merge_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {"window": AttrSpec("int", required=True), "size": AttrSpec("pair", required=True)},
        onnx=_window_onnx(merge=True),
    )
)


def _roll_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    if len(attrs["shifts"]) != len(attrs["axes"]):
        raise ShapeError(f"roll: {len(attrs['shifts'])} shifts for {len(attrs['axes'])} axes")
    for axis in attrs["axes"]:
        axis_index(axis, len(shape), "roll")
    return shape


def _roll_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """torch.roll as Slice + Concat per axis."""
    current, rank = node.inputs[0], len(ins[0])
    for index, (shift, axis) in enumerate(zip(node.attrs["shifts"], node.attrs["axes"], strict=True)):
        axis = axis % rank
        size = ins[0][axis]
        cut = (-shift) % size
        name = f"{node.name}/{index}"
        parts = []
        for part, (start, stop) in enumerate(((cut, size), (0, cut))):
            parts.append(
                ex.add(
                    "Slice",
                    [
                        current,
                        ex.ints(f"{name}/s{part}_c", [start]),
                        ex.ints(f"{name}/e{part}_c", [stop]),
                        ex.ints(f"{name}/a{part}_c", [axis + 1]),
                    ],
                    f"{name}/part{part}",
                    f"{name}/part{part}",
                )
            )
        last = index == len(node.attrs["axes"]) - 1
        out = node.name if last else f"{name}/rolled"
        current = ex.add("Concat", parts, out, out, axis=axis + 1)


register(
    OpType(
        "roll",
        "cyclic shift along axes (Swin's shifted windows; a copy)",
        _roll_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        {
            "shifts": AttrSpec("ints", required=True, minimum=-limits.MAX_INT),
            "axes": AttrSpec("ints", required=True, minimum=-limits.MAX_RANK),
        },
        onnx=_roll_onnx,
    )
)


def _mean_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    axis = axis_index(attrs["axis"], len(shape), "mean")
    if attrs["keepdims"]:
        return (*shape[:axis], 1, *shape[axis + 1 :])
    if len(shape) == 1:
        return (1,)
    return (*shape[:axis], *shape[axis + 1 :])


def _mean_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=math.prod(inputs[0]))  # one add per input element (the divide is per output)


def _mean_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    axis = node.attrs["axis"] % len(ins[0]) + 1
    reduced = ex.add(
        "ReduceMean", [node.inputs[0]], f"{node.name}/mean", f"{node.name}/mean", axes=[axis], keepdims=1
    )
    ex.add(
        "Reshape", [reduced, ex.ints(f"{node.name}/shape_c", [ex.batch, *node.shape])], node.name, node.name
    )


register(
    OpType(
        "mean",
        "mean over one axis (token pooling); keepdims keeps it as size 1",
        _mean_shape,
        _mean_cost,
        fixed_class(OpClass.POOL),
        {"axis": AXIS, "keepdims": AttrSpec("bool", False)},
        onnx=_mean_onnx,
    )
)


def _param_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    shape: Shape = attrs["shape"]
    return shape


def _param_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(params=math.prod(out))


def _param_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """The tensor as a [1, ...] initializer, expanded to the batch."""
    value = ex.uniform(node, "value", (1, *node.shape), -0.02, 0.02)
    ex.add("Expand", [value, ex.ints(f"{node.name}/batch_c", [ex.batch, *node.shape])], node.name, node.name)


PARAM = register(
    OpType(
        "param",
        "a learned tensor (class token, position embedding, layer scale); takes no input",
        _param_shape,
        _param_cost,
        fixed_class(OpClass.DATA),
        {"shape": AttrSpec("ints", required=True)},
        min_inputs=0,
        max_inputs=0,
        onnx=_param_onnx,
    )
)

# Ops per output element of bilinear interpolation: 4 taps, 3 lerps of a mul and 2 adds, rounded.
BILINEAR_OPS = 7


def _upsample_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    (shape,) = inputs
    require_rank(shape, 3, "upsample")
    if attrs["size"] is not None:
        return (shape[0], *attrs["size"])
    scale = attrs["scale"]
    return (shape[0], shape[1] * scale, shape[2] * scale)


def _upsample_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    return OpCost(ops=BILINEAR_OPS * math.prod(out) if attrs["mode"] == "bilinear" else 0)


def _upsample_class(inputs: list[Shape], attrs: Attrs) -> OpClass:
    return OpClass.ELEMENTWISE if attrs["mode"] == "bilinear" else OpClass.DATA


def _upsample_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    mode = "linear" if node.attrs["mode"] == "bilinear" else "nearest"
    sizes = ex.ints(f"{node.name}/sizes_c", [ex.batch, *node.shape])
    ex.add("Resize", [node.inputs[0], "", "", sizes], node.name, node.name, mode=mode)


register(
    OpType(
        "upsample",
        "interpolate a [C, H, W] map by an integer scale or to a size [h, w] (nearest: a copy; "
        "bilinear: 7 ops per output)",
        _upsample_shape,
        _upsample_cost,
        _upsample_class,
        {
            "scale": AttrSpec("int", 2),
            "size": AttrSpec("pair", None),
            "mode": AttrSpec("choice", "nearest", choices=("nearest", "bilinear")),
        },
        onnx=_upsample_onnx,
    )
)
