"""Reading an ONNX file for its structure and shapes only: never its weights.

`read_model` parses the protobuf with `load_external_data=False` (a model whose weights live in
external files reads none of them), runs onnx's shape inference with data propagation (the shapes
that Shape -> Gather -> Concat -> Reshape subgraphs compute become known) on a copy that holds only
the small initializers, and returns an `OnnxModel`: the nodes in order, every tensor's shape, and a
lazy evaluator of constant tensors (the targets of Reshape, Slice's starts, Clip's bounds).

A tensor is *constant* when it is an initializer, a Constant's output, the output of Shape (the
shapes are fixed once the input is) or of a node whose inputs are all constant: the shape-only
subgraphs exporters emit. Only the nodes that read a non-constant tensor are on the data path and
become costmodel nodes; constants are evaluated when a mapping asks for one's value (numpy for the
common shape ops, onnx's reference evaluator for the rest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.measure.onnx_export import require
from costmodel.onnx.wire import model_bytes_without_weights
from costmodel.spec.files import refuse_special_file

Dims = tuple[int, ...]
# Initializers up to this many elements are kept for shape inference (Reshape targets, pads);
# the larger ones are weights, whose dims are all shape inference needs.
SMALL_TENSOR = 4096


@dataclass
class OnnxModel:
    """An ONNX graph as the importer sees it: nodes in topological order and tensor shapes
    (with the batch dimension, as ONNX has them)."""

    path: str
    name: str
    producer: str
    opset: int
    nodes: list[Any]  # onnx NodeProto
    input_name: str
    input_dims: Dims
    outputs: list[str]
    shapes: dict[str, Dims]  # every tensor whose shape is fully known
    initializers: dict[str, Any]  # name -> TensorProto (its data may be external: not loaded)
    constants: set[str] = field(default_factory=set)
    _values: dict[str, Any] = field(default_factory=dict)
    _producer: dict[str, Any] = field(default_factory=dict)

    def pos(self, index: int) -> SourcePos:
        """Where a node is: the file and the node's index (1-based) as the line."""
        return SourcePos(self.path, index + 1, 1)

    def is_constant(self, name: str) -> bool:
        return name == "" or name in self.constants

    def value(self, name: str) -> Any:
        """The numpy value of a constant tensor (evaluated once, on first use)."""
        if name not in self._values:
            self._values[name] = self._evaluate(name)
        return self._values[name]

    def _evaluate(self, name: str) -> Any:
        onnx = require("onnx")
        if name in self.initializers:
            tensor = self.initializers[name]
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                raise CostModelError(
                    ErrorCode.FILE,
                    f"the value of '{name}' is needed but lives in external data (not read)",
                    pos=SourcePos(self.path, 1, 1),
                )
            return onnx.numpy_helper.to_array(tensor)
        node = self._producer[name]
        from costmodel.onnx.constants import evaluate_node

        outputs = evaluate_node(node, [self.value(i) if i else None for i in node.input], self.shapes)
        for out_name, value in zip(node.output, outputs, strict=False):
            self._values[out_name] = value
        return self._values[name]


def _load(path: Path) -> Any:
    onnx = require("onnx")
    if not path.is_file():
        raise CostModelError(ErrorCode.FILE, f"no such file: {path}")
    try:
        model = onnx.ModelProto()  # shapes only: the weights' bytes are never read (onnx/wire.py)
        model.ParseFromString(model_bytes_without_weights(path))
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError, RuntimeError, ...
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise CostModelError(
            ErrorCode.FILE, f"cannot read {path}: not an ONNX model or truncated ({reason})"
        ) from None
    if model.ir_version < 1 or not model.HasField("graph") or not model.graph.node:
        raise CostModelError(ErrorCode.FILE, f"cannot read {path}: not an ONNX model (no graph)")
    return model


def _dims(value_info: Any) -> Dims | None:
    """A tensor's dims when every one is known, else None."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in tensor_type.shape.dim:
        if not dim.HasField("dim_value"):
            return None
        dims.append(int(dim.dim_value))
    return tuple(dims)


def _data_input(model: Any, path: Path) -> Any:
    """The one graph input that is not an initializer, with its batch dimension set to 1 when it is
    symbolic (the batch is an analysis option)."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs) or "none"
        raise CostModelError(
            ErrorCode.FILE, f"{path}: costmodel analyses models with one input, this one has {names}"
        )
    data = inputs[0]
    shape = data.type.tensor_type.shape.dim
    if len(shape) >= 1 and not shape[0].HasField("dim_value"):
        shape[0].dim_value = 1
    for index, dim in enumerate(shape):
        if not dim.HasField("dim_value") or dim.dim_value < 1:
            raise CostModelError(
                ErrorCode.FILE,
                f"{path}: input '{data.name}' has a symbolic size '{dim.dim_param}' at dimension "
                f"{index}: export the model with a fixed input size",
            )
    return data


def _light_copy(model: Any) -> Any:
    """The model without its large initializers' data: what shape inference needs, at a fraction
    of the memory (onnx serialises the model it is given)."""
    onnx = require("onnx")
    light = onnx.ModelProto()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    graph = light.graph
    graph.node.extend(model.graph.node)
    graph.input.extend(model.graph.input)
    graph.output.extend(model.graph.output)
    graph.value_info.extend(model.graph.value_info)
    for tensor in model.graph.initializer:
        if math.prod(tensor.dims) <= SMALL_TENSOR and tensor.data_location != onnx.TensorProto.EXTERNAL:
            graph.initializer.append(tensor)
        else:
            graph.input.append(onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, tensor.dims))
    light.functions.extend(model.functions)
    return light


def _infer(model: Any, path: Path) -> dict[str, Dims]:
    onnx = require("onnx")
    try:
        inferred = onnx.shape_inference.infer_shapes(_light_copy(model), strict_mode=False, data_prop=True)
    except Exception as exc:  # noqa: BLE001 - onnx raises InferenceError, ValidationError, RuntimeError
        reason = " ".join(str(exc).split())[:300]
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH, f"{path}: ONNX shape inference failed: {reason}"
        ) from None
    shapes: dict[str, Dims] = {}
    graph = inferred.graph
    for info in [*graph.input, *graph.value_info, *graph.output]:
        dims = _dims(info)
        if dims is not None:
            shapes[info.name] = dims
    for tensor in model.graph.initializer:
        shapes[tensor.name] = tuple(int(d) for d in tensor.dims)
    return shapes


# Ops whose output is fixed once the input shapes are: constant even when their input is not.
SHAPE_OF = frozenset({"Shape", "Size"})
# Ops without data inputs that still differ at each run: never constants.
RANDOM = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike"})


def _constants(model: Any, initializers: dict[str, Any]) -> tuple[set[str], dict[str, Any]]:
    constants = set(initializers)
    producer: dict[str, Any] = {}
    for node in model.graph.node:
        for out in node.output:
            producer[out] = node
        fixed = node.op_type in SHAPE_OF or all(i == "" or i in constants for i in node.input)
        if fixed and node.op_type not in RANDOM:
            constants.update(o for o in node.output if o)
    return constants, producer


def read_model(path: Path | str) -> OnnxModel:
    """The model's nodes and shapes; raises CostModelError for a file that is not ONNX, has more than
    one input or a symbolic input size, or fails onnx's shape inference."""
    path = Path(path)
    refuse_special_file(path)
    model = _load(path)
    data = _data_input(model, path)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    shapes = _infer(model, path)
    initializers = {t.name: t for t in model.graph.initializer}
    constants, producer = _constants(model, initializers)
    input_dims = _dims(data)
    assert input_dims is not None  # _data_input checked every dimension
    return OnnxModel(
        path=str(path),
        name=model.graph.name or path.stem,
        producer=" ".join(p for p in (model.producer_name, model.producer_version) if p),
        opset=opset,
        nodes=list(model.graph.node),
        input_name=data.name,
        input_dims=input_dims,
        outputs=[o.name for o in model.graph.output],
        shapes=shapes,
        initializers=initializers,
        constants=constants,
        _producer=producer,
    )
