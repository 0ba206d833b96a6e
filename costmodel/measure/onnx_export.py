"""Export a primitive-op Graph to an ONNX model with random weights, for measuring real hardware.

Every registered op maps to standard ONNX ops (opset 17, float32, the batch fixed in the shapes):

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import Graph, Node
from costmodel.ops.registry import Shape
from costmodel.ops.shapes import padding_totals

if TYPE_CHECKING:
    import numpy as np
    import onnx

OPSET = 17
LEARNABLE_SUFFIXES = ("/weight", "/bias")  # initializers that are learnable params
INSTALL_HINT = "pip install 'costmodel[measure]' (or: pip install onnx onnxruntime numpy)"


def require(module: str) -> Any:
    """Import an optional dependency of measuring, or say how to install it."""
    import importlib

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

    def uniform(self, node: Node, what: str, shape: tuple[int, ...], low: float, high: float) -> str:
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

    def he_uniform(self, node: Node, what: str, shape: tuple[int, ...], gain: float, fan_in: int) -> str:
        """Weights with variance gain / fan_in, so activations keep their scale layer to layer."""
        bound = math.sqrt(3 * gain / fan_in)
        return self.uniform(node, what, shape, -bound, bound)

    def reserve(self, node: Node, shape: tuple[int, ...]) -> None:
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


_Exporter = Callable[[_Export, Node, list[Shape]], None]


def _pads(node: Node, in_shape: Shape, dilation: tuple[int, int]) -> list[int]:
    """ONNX pads [h_begin, w_begin, h_end, w_end]; TF SAME puts the odd pixel at the end."""
    begins, ends = [], []
    for axis in range(2):
        total = padding_totals(
            in_shape[1 + axis],
            node.attrs["kernel"][axis],
            node.attrs["stride"][axis],
            dilation[axis],
            node.attrs["padding"][axis],
        )
        begins.append(total // 2)
        ends.append(total - total // 2)
    return begins + ends


def _conv(ex: _Export, node: Node, ins: list[Shape]) -> None:
    attrs = node.attrs
    groups, (kh, kw) = attrs["groups"], attrs["kernel"]
    cin_per_group = ins[0][0] // groups
    fan_in = cin_per_group * kh * kw
    inputs = [node.inputs[0], ex.he_uniform(node, "weight", (attrs["out"], cin_per_group, kh, kw), 2, fan_in)]
    if attrs["bias"]:
        bound = 1 / math.sqrt(fan_in)
        inputs.append(ex.uniform(node, "bias", (attrs["out"],), -bound, bound))
    ex.add(
        "Conv",
        inputs,
        node.name,
        node.name,
        kernel_shape=[kh, kw],
        strides=list(attrs["stride"]),
        pads=_pads(node, ins[0], attrs["dilation"]),
        dilations=list(attrs["dilation"]),
        group=groups,
    )


def _linear(ex: _Export, node: Node, ins: list[Shape]) -> None:
    fin, fout = ins[0][0], node.attrs["out"]
    inputs = [node.inputs[0], ex.he_uniform(node, "weight", (fout, fin), 1, fin)]
    if node.attrs["bias"]:
        bound = 1 / math.sqrt(fin)
        inputs.append(ex.uniform(node, "bias", (fout,), -bound, bound))
    ex.add("Gemm", inputs, node.name, node.name, transB=1)


def _batchnorm(ex: _Export, node: Node, ins: list[Shape]) -> None:
    channels = (ins[0][0],)
    inputs = [
        node.inputs[0],
        ex.uniform(node, "weight", channels, 0.5, 1.5),
        ex.uniform(node, "bias", channels, -0.1, 0.1),
        ex.uniform(node, "running_mean", channels, -0.1, 0.1),
        ex.uniform(node, "running_var", channels, 0.5, 1.5),
    ]
    ex.add("BatchNormalization", inputs, node.name, node.name, epsilon=1e-5)


def _simple(op_type: str, **attrs: Any) -> _Exporter:
    def export(ex: _Export, node: Node, ins: list[Shape]) -> None:
        ex.add(op_type, list(node.inputs), node.name, node.name, **attrs)

    return export


def _relu6(ex: _Export, node: Node, ins: list[Shape]) -> None:
    low, high = ex.floats(f"{node.name}/min", [0.0]), ex.floats(f"{node.name}/max", [6.0])
    ex.add("Clip", [node.inputs[0], low, high], node.name, node.name)


def _swish(ex: _Export, node: Node, ins: list[Shape]) -> None:
    x = node.inputs[0]
    sigmoid = ex.add("Sigmoid", [x], f"{node.name}/sigmoid", f"{node.name}/sigmoid")
    ex.add("Mul", [x, sigmoid], node.name, node.name)


def _gelu(ex: _Export, node: Node, ins: list[Shape]) -> None:
    x, name = node.inputs[0], node.name
    scaled = ex.add("Div", [x, ex.floats(f"{name}/sqrt2", [math.sqrt(2.0)])], f"{name}/div", f"{name}/div")
    erf = ex.add("Erf", [scaled], f"{name}/erf", f"{name}/erf")
    plus = ex.add("Add", [erf, ex.floats(f"{name}/one", [1.0])], f"{name}/add", f"{name}/add")
    times = ex.add("Mul", [x, plus], f"{name}/mul", f"{name}/mul")
    ex.add("Mul", [times, ex.floats(f"{name}/half", [0.5])], name, name)


def _ceil_mode_pads(node: Node, in_shape: Shape, pads: list[int]) -> list[int]:
    """Pads for which ONNX's ceil-mode size rule gives costmodel's (PyTorch's) output size.

    PyTorch drops a last window that would start in the end padding; onnxruntime does too, but
    the ONNX spec only says so from opset 22 (before it, shape inference counts that window).
    Trimming the end padding by less than a stride removes just that window: ceil mode lets the
    last window run past the input anyway, so the windows stay the same (an average pool that
    counts padding may divide its last window by less).
    """
    pads = list(pads)
    for axis in range(2):
        size, kernel = in_shape[1 + axis], node.attrs["kernel"][axis]
        stride, want = node.attrs["stride"][axis], node.shape[1 + axis]
        while -(-(size + pads[axis] + pads[2 + axis] - kernel) // stride) + 1 > want and pads[2 + axis] > 0:
            pads[2 + axis] -= 1
    return pads


def _pool(op_type: str) -> _Exporter:
    def export(ex: _Export, node: Node, ins: list[Shape]) -> None:
        attrs = node.attrs
        pads = _pads(node, ins[0], (1, 1))
        if attrs["ceil_mode"]:
            pads = _ceil_mode_pads(node, ins[0], pads)
        extra = {}
        if op_type == "AveragePool":  # PyTorch counts the zero padding; TF SAME does not
            extra["count_include_pad"] = 0 if "same" in attrs["padding"] else 1
        ex.add(
            op_type,
            [node.inputs[0]],
            node.name,
            node.name,
            kernel_shape=list(attrs["kernel"]),
            strides=list(attrs["stride"]),
            pads=pads,
            ceil_mode=int(attrs["ceil_mode"]),
            **extra,
        )

    return export


def _adaptive_avgpool(ex: _Export, node: Node, ins: list[Shape]) -> None:
    (_, height, width), (out_h, out_w) = ins[0], node.attrs["size"]
    if height % out_h or width % out_w:
        raise CostModelError(
            ErrorCode.SHAPE_MISMATCH,
            f"ONNX export of adaptive_avgpool needs the input size {height}x{width} "
            f"to be a multiple of the output size {out_h}x{out_w} (uneven windows "
            "have no ONNX equivalent)",
            pos=node.pos,
            node=node.name,
        )
    kernel = [height // out_h, width // out_w]
    ex.add("AveragePool", [node.inputs[0]], node.name, node.name, kernel_shape=kernel, strides=kernel)


def _add(ex: _Export, node: Node, ins: list[Shape]) -> None:
    ex.add("Add" if len(node.inputs) == 2 else "Sum", list(node.inputs), node.name, node.name)


def _slice(ex: _Export, node: Node, ins: list[Shape]) -> None:
    name = node.name
    ex.add(
        "Slice",
        [
            node.inputs[0],
            ex.ints(f"{name}/starts", [node.attrs["start"]]),
            ex.ints(f"{name}/ends", [node.attrs["stop"]]),
            ex.ints(f"{name}/axes", [1]),
        ],
        name,
        name,
    )


def _channel_shuffle(ex: _Export, node: Node, ins: list[Shape]) -> None:
    name, groups = node.name, node.attrs["groups"]
    channels, rest = ins[0][0], list(ins[0][1:])
    split = ex.add(
        "Reshape",
        [node.inputs[0], ex.ints(f"{name}/split_shape", [ex.batch, groups, channels // groups, *rest])],
        f"{name}/split",
        f"{name}/split",
    )
    perm = [0, 2, 1, *range(3, 3 + len(rest))]
    swapped = ex.add("Transpose", [split], f"{name}/transpose", f"{name}/transpose", perm=perm)
    ex.add("Reshape", [swapped, ex.ints(f"{name}/shape", [ex.batch, channels, *rest])], name, name)


EXPORTERS: dict[str, _Exporter] = {
    "conv2d": _conv,
    "linear": _linear,
    "batchnorm": _batchnorm,
    "relu": _simple("Relu"),
    "relu6": _relu6,
    "hardsigmoid": _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    "hardswish": _simple("HardSwish"),
    "sigmoid": _simple("Sigmoid"),
    "swish": _swish,
    "tanh": _simple("Tanh"),
    "gelu": _gelu,
    "maxpool": _pool("MaxPool"),
    "avgpool": _pool("AveragePool"),
    "global_avgpool": _simple("GlobalAveragePool"),
    "adaptive_avgpool": _adaptive_avgpool,
    "flatten": _simple("Flatten", axis=1),
    "dropout": _simple("Identity"),
    "identity": _simple("Identity"),
    "add": _add,
    "mul": _simple("Mul"),
    "concat": _simple("Concat", axis=1),
    "slice": _slice,
    "channel_shuffle": _channel_shuffle,
}


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
        exporter = EXPORTERS.get(node.op.name)
        if exporter is None:  # a newly registered op without an exporter: say so, never skip it
            raise CostModelError(
                ErrorCode.UNKNOWN_OP, f"op '{node.op.name}' has no ONNX export", pos=node.pos, node=node.name
            )
        exporter(ex, node, [shapes[name] for name in node.inputs])
    output = graph.output
    if output == "input":  # a graph without ops: ONNX needs an output distinct from the input
        output = ex.add("Identity", ["input"], "output", "output")
    model.graph.input.append(helper.make_tensor_value_info("input", float32, [batch, *graph.input_shape]))
    model.graph.output.append(
        helper.make_tensor_value_info(output, float32, [batch, *graph.by_name[graph.output].shape])
    )
    return model


def learnable_param_count(model: onnx.ModelProto) -> int:
    """Elements of the initializers that are learnable params (BN running stats excluded)."""
    return sum(
        math.prod(init.dims) for init in model.graph.initializer if init.name.endswith(LEARNABLE_SUFFIXES)
    )
