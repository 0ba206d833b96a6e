"""Normalisation and activations: elementwise ops that inference engines fuse into the kernel
before them (costmodel/cost/memory/)."""

from __future__ import annotations

import math

from costmodel.names import OpClass
from costmodel.ops.lowering import simple
from costmodel.ops.registry import (
    Attrs,
    LoweredNode,
    OnnxBuilder,
    OnnxLowering,
    OpCost,
    OpType,
    Shape,
    ShapeError,
    fixed_class,
    register,
    same_shape,
)


def _batchnorm_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    if len(inputs[0]) not in (1, 3):
        raise ShapeError(f"batchnorm expects [C, H, W] or [features], got {list(inputs[0])}")
    return inputs[0]


def _batchnorm_cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
    # gamma and beta are learnable; running mean/var are buffers (torchvision's count).
    # At inference BN is a per-channel scale and shift: 2 ops per element when not folded.
    return OpCost(params=2 * out[0], ops=2 * math.prod(out))


def _batchnorm_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """BatchNormalization at inference: random gamma and beta, running mean, running var > 0."""
    channels = (ins[0][0],)
    inputs = [
        node.inputs[0],
        ex.uniform(node, "weight", channels, 0.5, 1.5),
        ex.uniform(node, "bias", channels, -0.1, 0.1),
        ex.uniform(node, "running_mean", channels, -0.1, 0.1),
        ex.uniform(node, "running_var", channels, 0.5, 1.5),
    ]
    ex.add("BatchNormalization", inputs, node.name, node.name, epsilon=1e-5)


register(
    OpType(
        "batchnorm",
        "batch normalisation (inference: per-channel scale and shift)",
        _batchnorm_shape,
        _batchnorm_cost,
        fixed_class(OpClass.ELEMENTWISE),
        onnx=_batchnorm_onnx,
    )
)

# Elementwise ops per output element, as a plain C kernel would compute them.
ELEMENTWISE_OPS = {
    "relu": 1,  # max(x, 0)
    "relu6": 2,  # min(max(x, 0), 6)
    "hardsigmoid": 3,  # clamp(x + 3, 0, 6) / 6: add, clamp, multiply
    "hardswish": 4,  # x * hardsigmoid(x)
    "sigmoid": 4,  # exp, add, reciprocal, negate
    "swish": 5,  # x * sigmoid(x)
    "tanh": 5,
    "gelu": 8,  # tanh approximation
}


def _relu6_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    low, high = ex.floats(f"{node.name}/min", [0.0]), ex.floats(f"{node.name}/max", [6.0])
    ex.add("Clip", [node.inputs[0], low, high], node.name, node.name)


def _swish_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    x = node.inputs[0]
    sigmoid = ex.add("Sigmoid", [x], f"{node.name}/sigmoid", f"{node.name}/sigmoid")
    ex.add("Mul", [x, sigmoid], node.name, node.name)


def _gelu_onnx(ex: OnnxBuilder, node: LoweredNode, ins: list[Shape]) -> None:
    """0.5 * x * (1 + Erf(x / sqrt 2)): PyTorch's default GELU (onnxruntime fuses it)."""
    x, name = node.inputs[0], node.name
    scaled = ex.add("Div", [x, ex.floats(f"{name}/sqrt2", [math.sqrt(2.0)])], f"{name}/div", f"{name}/div")
    erf = ex.add("Erf", [scaled], f"{name}/erf", f"{name}/erf")
    plus = ex.add("Add", [erf, ex.floats(f"{name}/one", [1.0])], f"{name}/add", f"{name}/add")
    times = ex.add("Mul", [x, plus], f"{name}/mul", f"{name}/mul")
    ex.add("Mul", [times, ex.floats(f"{name}/half", [0.5])], name, name)


ACTIVATION_ONNX: dict[str, OnnxLowering] = {
    "relu": simple("Relu"),
    "relu6": _relu6_onnx,  # Clip(0, 6)
    "hardsigmoid": simple("HardSigmoid", alpha=1 / 6, beta=0.5),  # PyTorch's definition
    "hardswish": simple("HardSwish"),
    "sigmoid": simple("Sigmoid"),
    "swish": _swish_onnx,  # x * Sigmoid(x)
    "tanh": simple("Tanh"),
    "gelu": _gelu_onnx,
}


def _activation(name: str, ops_per_element: int) -> OpType:
    def cost(inputs: list[Shape], out: Shape, attrs: Attrs) -> OpCost:
        return OpCost(ops=ops_per_element * math.prod(out))

    return OpType(
        name,
        f"{name} activation ({ops_per_element} ops per element)",
        same_shape,
        cost,
        fixed_class(OpClass.ELEMENTWISE),
        onnx=ACTIVATION_ONNX[name],
    )


for _name, _ops_per_element in ELEMENTWISE_OPS.items():
    register(_activation(_name, _ops_per_element))

ACTIVATIONS = tuple(ELEMENTWISE_OPS)
NORMS = ("batchnorm",)
