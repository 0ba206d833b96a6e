"""Export a primitive-op Graph to an ONNX model with random weights, for measuring real hardware.

This module drives the export (`_Export` builds the ONNX graph); each op's lowering is registered
with the op (`OpType.onnx`, in the op family modules under costmodel/ops/). Every registered op maps
to standard ONNX ops (opset 17, float32, the batch fixed in the shapes):

    conv2d            Conv with explicit pads from the op's padding rule (TF SAME: extra at the end)
    linear            Gemm (weight [out, in] as PyTorch, transB=1)
    batchnorm         BatchNormalization (inference; random gamma/beta, running mean and var > 0)
    relu / relu6      Relu / Clip(0, 6)
    hardsigmoid       HardSigmoid(alpha=1/6, beta=0.5), PyTorch's definition
    hardswish         HardSwish
    sigmoid / tanh    Sigmoid / Tanh
    swish             x * Sigmoid(x)
    gelu              0.5 * x * (1 + Erf(x / sqrt 2)), PyTorch's default GELU (onnxruntime fuses it)
    maxpool/avgpool   MaxPool / AveragePool with pads and ceil_mode (avgpool counts the padding as
                      PyTorch does, except with TF SAME padding, which TF excludes)
    global_avgpool    GlobalAveragePool
    adaptive_avgpool  AveragePool with kernel = stride = input / output (only when that divides)
    flatten           Flatten(axis=1)
    dropout/identity  Identity
    add               Add (Sum for more than two inputs)
    mul               Mul (broadcasting)
    concat            Concat(axis=1)
    slice             Slice on axis 1
    channel_shuffle   Reshape [N, g, C/g, ...] -> Transpose -> Reshape [N, C, ...]

Tensor names: a node's output is its graph node name (`s1.b1.expand.bn`); initializers are
`NODE/weight`, `NODE/bias` (the learnable parameters, as costmodel counts them),
`NODE/running_mean`, `NODE/running_var` (BN buffers) and `NODE/...` constants of helper ops. '/' never
occurs in node names, so the names cannot collide.

onnx and numpy are imported when a function here is called, never at import time: the package runs
without them, and only exporting and measuring need `pip install 'costmodel[measure]'`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import Graph
from costmodel.ops import REGISTRY
from costmodel.ops.registry import LoweredNode, OnnxLowering

if TYPE_CHECKING:
    import numpy as np
    import onnx

OPSET = 17
INSTALL_HINT = "pip install 'costmodel[measure]' (or: pip install onnx onnxruntime numpy)"


def require(module: str) -> Any:
    """Import an optional dependency of measuring, or say how to install it."""
    import importlib
    import os

    if module == "onnxruntime":
        # onnxruntime's telemetry writes a device id and a database under ~/.cache/Microsoft and a
        # session file in $TMPDIR when it is imported; nobody asked for either. The variable must
        # be set before the import; a user who set it keeps their choice.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CostModelError(
            ErrorCode.OPTION,
            f"exporting to ONNX and measuring need the optional package '{module}': {INSTALL_HINT}",
        ) from None


@dataclass
class _Export:
    """The ONNX graph under construction: nodes, initializers and the weight generator."""

    onnx: Any
    np: Any
    rng: Any
    batch: int
    graph: Any  # the model's GraphProto, filled in place (copying 100 M weights costs seconds)
    total_bytes: int = 0

    def tensor(self, name: str, array: np.ndarray[Any, Any]) -> str:
        init = self.graph.initializer.add()
        init.name = name
        init.dims.extend(array.shape)
        init.data_type = self.onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
        init.raw_data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        return name

    def ints(self, name: str, values: list[int]) -> str:
        return self.tensor(name, self.np.asarray(values, dtype=self.np.int64))

    def floats(self, name: str, values: list[float]) -> str:
        return self.tensor(name, self.np.asarray(values, dtype=self.np.float32))

    def uniform(self, node: LoweredNode, what: str, shape: tuple[int, ...], low: float, high: float) -> str:
        """A float32 tensor uniform in [low, high) from the seeded generator.

        Built from random 32-bit integers (23 mantissa bits into [1, 2)): several times faster than
        rng.random or rng.standard_normal, which matters for VGG's 138 M weights.
        """
        self.reserve(node, shape)
        np = self.np
        bits = self.rng.integers(0, 2**32, size=shape, dtype=np.uint32)
        bits >>= np.uint32(9)
        bits |= np.uint32(0x3F800000)
        array = bits.view(np.float32)  # uniform in [1, 2)
        array -= np.float32(1)
        array *= np.float32(high - low)
        array += np.float32(low)
        return self.tensor(f"{node.name}/{what}", array)

    def he_uniform(
        self, node: LoweredNode, what: str, shape: tuple[int, ...], gain: float, fan_in: int
    ) -> str:
        """Weights with variance gain / fan_in, so activations keep their scale layer to layer."""
        bound = math.sqrt(3 * gain / fan_in)
        return self.uniform(node, what, shape, -bound, bound)

    def reserve(self, node: LoweredNode, shape: tuple[int, ...]) -> None:
        self.total_bytes += 4 * math.prod(shape)
        if self.total_bytes > limits.MAX_MODEL_BYTES:
            raise CostModelError(
                ErrorCode.LIMIT,
                "the weights exceed ONNX's 2 GB protobuf limit (try a smaller --width)",
                pos=node.pos,
                node=node.name,
            )

    def add(self, op_type: str, inputs: list[str], output: str, name: str, **attrs: Any) -> str:
        self.graph.node.append(self.onnx.helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output


def exporters() -> dict[str, OnnxLowering]:
    """The ONNX lowering of every registered op that has one (each op family module defines its
    ops' lowerings: costmodel/ops/conv.py, linear.py, normact.py, pool.py, views.py, merge.py)."""
    return {name: op.onnx for name, op in REGISTRY.items() if op.onnx is not None}


EXPORTERS = exporters()


def export_onnx(graph: Graph, batch: int = 1, seed: int = 0) -> onnx.ModelProto:
    """The graph as an ONNX model: input `input` [batch, C, H, W], float32, random weights.

    The weights come from numpy's default generator seeded with `seed` (He-uniform conv weights,
    BN statistics that keep activations in range), so one (graph, batch, seed) always gives the
    same model. Raises CostModelError for what ONNX cannot express (uneven adaptive pooling),
    for weights over protobuf's 2 GB, and when onnx or numpy is not installed.
    """
    if batch < 1:
        raise CostModelError(ErrorCode.OPTION, f"batch must be >= 1, got {batch}")
    onnx_module, np_module = require("onnx"), require("numpy")
    helper, float32 = onnx_module.helper, onnx_module.TensorProto.FLOAT
    model: onnx.ModelProto = onnx_module.ModelProto()
    opset = helper.make_opsetid("", OPSET)
    model.opset_import.append(opset)
    # The oldest IR version that has this opset, so older onnxruntime builds load the model too.
    model.ir_version = helper.find_min_ir_version_for([opset])
    model.producer_name = "costmodel"
    model.graph.name = graph.spec.name
    ex = _Export(onnx_module, np_module, np_module.random.default_rng(seed), batch, model.graph)
    shapes = {node.name: node.shape for node in graph.nodes}
    for node in graph.nodes:
        if node.op.name == "input":
            continue
        lowering = node.op.onnx
        if lowering is None:  # a newly registered op without an exporter: say so, never skip it
            raise CostModelError(
                ErrorCode.UNKNOWN_OP, f"op '{node.op.name}' has no ONNX export", pos=node.pos, node=node.name
            )
        lowering(ex, node, [shapes[name] for name in node.inputs])
    output = graph.output
    if output == "input":  # a graph without ops: ONNX needs an output distinct from the input
        output = ex.add("Identity", ["input"], "output", "output")
    model.graph.input.append(helper.make_tensor_value_info("input", float32, [batch, *graph.input_shape]))
    model.graph.output.append(
        helper.make_tensor_value_info(output, float32, [batch, *graph.by_name[graph.output].shape])
    )
    return model
