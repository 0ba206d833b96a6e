"""ONNX graphs written the way exporters write them (torch.onnx, tf2onnx), for the importer's tests.

Each builder returns the model and the counts it should give, computed here from the layer sizes
with the formulas of the counting conventions (conv MACs = out elements x cin/groups x kh x kw,
linear MACs = in x out, BN params = 2 x channels), never by running costmodel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Net:
    """A graph under construction: nodes, initializers, and the tensor last written."""

    nodes: list[Any] = field(default_factory=list)
    inits: list[Any] = field(default_factory=list)
    count: int = 0

    def const(self, name: str, array: Any) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, outputs: int = 1, **attrs: Any) -> Any:
        self.count += 1
        outs = [f"t{self.count}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if outputs == 1 else outs

    def weight(self, name: str, shape: tuple[int, ...]) -> str:
        return self.const(name, np.zeros(shape, dtype=np.float32))

    def model(self, output: str, input_shape: list[Any], opset: int = 17) -> Any:
        graph = helper.make_graph(
            self.nodes,
            "test",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
            self.inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def torch_style() -> tuple[Any, int, int]:
    """Conv+BN+ReLU6 (Clip with constant bounds), a decomposed hardswish, an SE gate with
    relu6(x + 3) / 6, global pooling, a Reshape whose shape comes from Shape/Gather/Concat, and a
    Gemm with transB=1 and a bias, named as torch.onnx names them."""
    n = Net()
    cin, c, h = 3, 16, 32
    w = n.weight("conv.w", (c, cin, 3, 3))
    x = n.node("Conv", ["x", w], "/features/features.0/features.0.0/Conv", pads=[1, 1, 1, 1], strides=[2, 2])
    scale = [n.weight(f"bn.{k}", (c,)) for k in ("s", "b", "m", "v")]
    x = n.node("BatchNormalization", [x, *scale], "/features/features.0/features.0.1/BatchNormalization")
    zero, six = n.const("zero", np.float32(0)), n.const("six", np.float32(6))
    x = n.node("Clip", [x, zero, six], "/features/features.0/features.0.2/Clip")
    three = n.const("three", np.float32(3))
    # hardswish as torch wrote it before opset 14: x * clip(x + 3, 0, 6) / 6
    a = n.node("Add", [x, three], "/features/features.1/Add")
    a = n.node("Clip", [a, zero, six], "/features/features.1/Clip")
    a = n.node("Mul", [x, a], "/features/features.1/Mul")
    x = n.node("Div", [a, six], "/features/features.1/Div")
    # squeeze-and-excitation: pool, 1x1 conv 16 -> 4 (bias), relu, 1x1 conv 4 -> 16, hardsigmoid
    s = n.node("GlobalAveragePool", [x], "/features/features.2/avgpool/GlobalAveragePool")
    s = n.node(
        "Conv", [s, n.weight("fc1.w", (4, c, 1, 1)), n.weight("fc1.b", (4,))], "/features/features.2/fc1/Conv"
    )
    s = n.node("Relu", [s], "/features/features.2/relu/Relu")
    s = n.node(
        "Conv", [s, n.weight("fc2.w", (c, 4, 1, 1)), n.weight("fc2.b", (c,))], "/features/features.2/fc2/Conv"
    )
    s = n.node("Add", [s, three], "/features/features.2/hs/Add")
    s = n.node("Clip", [s, zero, six], "/features/features.2/hs/Clip")
    s = n.node("Div", [s, six], "/features/features.2/hs/Div")
    x = n.node("Mul", [s, x], "/features/features.2/Mul")
    x = n.node("GlobalAveragePool", [x], "/avgpool/GlobalAveragePool")
    # x.view(x.size(0), -1): the shape computed from the tensor's own shape
    shape = n.node("Shape", [x], "/Shape")
    batch = n.node("Gather", [shape, n.const("zero_i", np.int64(0))], "/Gather", axis=0)
    batch = n.node("Unsqueeze", [batch, n.const("axes0", np.array([0], dtype=np.int64))], "/Unsqueeze")
    target = n.node("Concat", [batch, n.const("minus1", np.array([-1], dtype=np.int64))], "/Concat", axis=0)
    x = n.node("Reshape", [x, target], "/Reshape")
    out = n.node(
        "Gemm",
        [x, n.weight("fc.w", (10, c)), n.weight("fc.b", (10,))],
        "/classifier/classifier.0/Gemm",
        transB=1,
    )
    model = n.model(out, ["batch", cin, h, h])
    hw = h // 2
    params = c * cin * 9 + 2 * c + (4 * c + 4) + (c * 4 + c) + (10 * c + 10)
    macs = hw * hw * c * cin * 9 + c * 4 + 4 * c + c * 10
    return model, params, macs


def tf2onnx_style() -> tuple[Any, int, int]:
    """SAME padding through auto_pad, a depthwise conv with a bias (BN folded into it by the
    exporter), x * sigmoid(x), max pooling, Flatten, MatMul by a constant followed by a bias Add,
    and the exact GELU as Div/Erf/Add/Mul/Mul."""
    n = Net()
    cin, c, h = 3, 8, 30
    x = n.node(
        "Conv",
        ["x", n.weight("c1.w", (c, cin, 3, 3)), n.weight("c1.b", (c,))],
        "model/conv1/Conv2D",
        strides=[2, 2],
        auto_pad="SAME_UPPER",
    )
    sig = n.node("Sigmoid", [x], "model/act1/Sigmoid")
    x = n.node("Mul", [x, sig], "model/act1/mul")
    x = n.node(
        "Conv",
        [x, n.weight("dw.w", (c, 1, 3, 3)), n.weight("dw.b", (c,))],
        "model/dw/depthwise",
        group=c,
        pads=[1, 1, 1, 1],
    )
    x = n.node("MaxPool", [x], "model/pool/MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])
    x = n.node("Flatten", [x], "model/flatten/Flatten", axis=1)
    side = math.ceil(h / 2)  # 15 after SAME stride 2; pool: (15 + 1 - 3) // 2 + 1 = 7
    pooled = (15 + 1 - 3) // 2 + 1
    features = c * pooled * pooled
    x = n.node("MatMul", [x, n.weight("d1.w", (features, 32))], "model/dense1/MatMul")
    x = n.node("Add", [x, n.weight("d1.b", (32,))], "model/dense1/BiasAdd")
    g = n.node("Div", [x, n.const("sqrt2", np.float32(math.sqrt(2)))], "model/gelu/Div")
    g = n.node("Erf", [g], "model/gelu/Erf")
    g = n.node("Add", [g, n.const("one", np.float32(1))], "model/gelu/Add")
    g = n.node("Mul", [x, g], "model/gelu/Mul")
    out = n.node("Mul", [g, n.const("half", np.float32(0.5))], "model/gelu/Mul_1")
    model = n.model(out, [1, cin, h, h])
    params = c * cin * 9 + c + c * 9 + c + features * 32 + 32
    macs = side * side * c * cin * 9 + side * side * c * 9 + features * 32
    return model, params, macs


def with_unsupported() -> Any:
    """A conv followed by two LeakyRelu and a Softmax, which costmodel has no op for."""
    n = Net()
    x = n.node("Conv", ["x", n.weight("w", (4, 3, 1, 1))], "/conv/Conv")
    x = n.node("LeakyRelu", [x], "/act1/LeakyRelu")
    x = n.node("LeakyRelu", [x], "/act2/LeakyRelu")
    x = n.node("Softmax", [x], "/softmax/Softmax", axis=1)
    return n.model(x, [1, 3, 8, 8])


def save(model: Any, path: Any) -> Any:
    onnx.save(model, str(path))
    return path
