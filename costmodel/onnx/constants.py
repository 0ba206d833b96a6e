"""Evaluating the constant nodes of an ONNX graph: the shape-only subgraphs exporters emit.

numpy computes the ops those subgraphs are made of (Shape, Gather, Concat, Unsqueeze, Squeeze,
Cast, Slice, ConstantOfShape, arithmetic); anything else goes to onnx's reference evaluator, which
implements every standard op (slower, and rare on shape paths).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from costmodel.errors import CostModelError, ErrorCode
from costmodel.measure.onnx_export import require

Values = list[Any]


def _attr(node: Any, name: str, default: Any = None) -> Any:
    onnx = require("onnx")
    for attribute in node.attribute:
        if attribute.name == name:
            return onnx.helper.get_attribute_value(attribute)
    return default


def _constant(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np, onnx = require("numpy"), require("onnx")
    for attribute in node.attribute:
        value = onnx.helper.get_attribute_value(attribute)
        if attribute.name == "value":
            return [onnx.numpy_helper.to_array(value)]
        if attribute.name in ("value_float", "value_int"):
            return [np.asarray(value, dtype=np.float32 if attribute.name == "value_float" else np.int64)]
        if attribute.name in ("value_floats", "value_ints"):
            return [
                np.asarray(list(value), dtype=np.float32 if attribute.name == "value_floats" else np.int64)
            ]
    raise CostModelError(ErrorCode.FILE, f"Constant node '{node.name}' has no value this importer reads")


def _shape(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np = require("numpy")
    dims = shapes.get(node.input[0])
    if dims is None:
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"the shape of '{node.input[0]}' is not known", node=node.name
        )
    start, end = _attr(node, "start", 0), _attr(node, "end", None)
    return [np.asarray(dims[start:end], dtype=np.int64)]


def _gather(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np = require("numpy")
    return [np.take(inputs[0], inputs[1], axis=_attr(node, "axis", 0))]


def _concat(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np = require("numpy")
    return [np.concatenate([np.atleast_1d(v) for v in inputs], axis=_attr(node, "axis", 0))]


def _axes(node: Any, inputs: Values) -> list[int] | None:
    axes = _attr(node, "axes")
    if axes is None and len(inputs) > 1 and inputs[1] is not None:
        axes = [int(a) for a in inputs[1]]
    return None if axes is None else list(axes)


def _unsqueeze(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np = require("numpy")
    value, axes = inputs[0], _axes(node, inputs) or []
    rank = value.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        value = np.expand_dims(value, axis)
    return [value]


def _squeeze(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np = require("numpy")
    axes = _axes(node, inputs)
    return [np.squeeze(inputs[0], axis=None if axes is None else tuple(axes))]


def _cast(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    onnx = require("onnx")
    dtype = onnx.helper.tensor_dtype_to_np_dtype(_attr(node, "to"))
    return [inputs[0].astype(dtype)]


def _constant_of_shape(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    np, onnx = require("numpy"), require("onnx")
    value = _attr(node, "value")
    fill = onnx.numpy_helper.to_array(value) if value is not None else np.zeros(1, dtype=np.float32)
    return [np.full([int(d) for d in inputs[0]], fill.reshape(-1)[0], dtype=fill.dtype)]


def _binary(
    function: Callable[[Any, Any], Any],
) -> Callable[[Any, Values, dict[str, tuple[int, ...]]], Values]:
    def run(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
        return [function(inputs[0], inputs[1])]

    return run


def _div(a: Any, b: Any) -> Any:
    np = require("numpy")
    return a // b if np.issubdtype(a.dtype, np.integer) else a / b


def _identity(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    return [inputs[0]]


_NUMPY: dict[str, Callable[[Any, Values, dict[str, tuple[int, ...]]], Values]] = {
    "Constant": _constant,
    "Shape": _shape,
    "Gather": _gather,
    "Concat": _concat,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Cast": _cast,
    "ConstantOfShape": _constant_of_shape,
    "Add": _binary(lambda a, b: a + b),
    "Sub": _binary(lambda a, b: a - b),
    "Mul": _binary(lambda a, b: a * b),
    "Div": _binary(_div),
    "Identity": _identity,
}


def evaluate_node(node: Any, inputs: Values, shapes: dict[str, tuple[int, ...]]) -> Values:
    """The output values of a node whose inputs are all known (`inputs`, None for an omitted one)."""
    if node.domain not in ("", "ai.onnx"):
        raise CostModelError(
            ErrorCode.UNKNOWN_OP,
            f"cannot evaluate the constant op {node.domain}.{node.op_type}",
            node=node.name,
        )
    fast = _NUMPY.get(node.op_type)
    if fast is not None:
        return fast(node, inputs, shapes)
    reference = require("onnx.reference")
    feeds = {name: value for name, value in zip(node.input, inputs, strict=False) if name}
    try:
        return list(reference.ReferenceEvaluator(node).run(None, feeds))
    except Exception as exc:  # noqa: BLE001 - the reference ops raise anything
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"cannot evaluate constant {node.op_type}: {exc}", node=node.name
        ) from None
