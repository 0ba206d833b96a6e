"""What an operator mapping sees of the ONNX model, and what it returns.

A mapping turns one ONNX node (or a chain of them, for the patterns exporters emit) into costmodel
op nodes (`Mapped`), or says it cannot (`Unsupported`), never a silent zero. Shapes here are
costmodel's: the ONNX dims without the batch dimension.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from costmodel.onnx.reader import Dims, OnnxModel


@dataclass(frozen=True)
class Mapped:
    """One costmodel node: its op, attributes, ONNX input tensors (data only) and output tensor.

    `nodes`: the ONNX nodes it stands for (more than one for a recognised pattern); the node name
    comes from `name_node` and `suffix` tells the outputs of one ONNX node apart (Split)."""

    op: str
    attrs: dict[str, Any]
    inputs: tuple[str, ...]
    output: str
    nodes: tuple[Any, ...]
    name_node: Any
    suffix: str = ""


@dataclass(frozen=True)
class Unsupported:
    """An ONNX node costmodel cannot count (yet): its op type and why, for the error message."""

    op_type: str
    reason: str = ""


Result = list[Mapped] | Unsupported


@dataclass
class Context:
    """The model plus the indexes the mappings need (who consumes a tensor, constants' values)."""

    model: OnnxModel
    consumers: dict[str, list[Any]] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, model: OnnxModel) -> Context:
        consumers: dict[str, list[Any]] = {}
        for node in model.nodes:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        return cls(model, consumers, set(model.outputs))

    def dims(self, tensor: str) -> Dims | None:
        """The tensor's ONNX dims (batch included), when shape inference knew them."""
        return self.model.shapes.get(tensor)

    def shape(self, tensor: str) -> Dims | None:
        """The tensor's costmodel shape: the ONNX dims without the batch."""
        dims = self.model.shapes.get(tensor)
        return None if dims is None or not dims else dims[1:]

    def is_constant(self, tensor: str) -> bool:
        return self.model.is_constant(tensor)

    def data_inputs(self, node: Any) -> tuple[str, ...]:
        return tuple(name for name in node.input if name and not self.model.is_constant(name))

    def scalar(self, tensor: str) -> float | None:
        """The value of a constant tensor of one element, else None."""
        if not tensor or not self.model.is_constant(tensor):
            return None
        value = self.model.value(tensor)
        return float(value.reshape(-1)[0]) if value.size == 1 else None

    def ints(self, tensor: str) -> list[int] | None:
        """The values of a constant integer tensor (Slice's starts, Split's sizes), else None."""
        if not tensor or not self.model.is_constant(tensor):
            return None
        return [int(v) for v in self.model.value(tensor).reshape(-1)]

    def only_consumer(self, tensor: str) -> Any | None:
        """The one node reading `tensor`, when exactly one does and it is not a graph output."""
        readers = self.consumers.get(tensor, [])
        return readers[0] if len(readers) == 1 and tensor not in self.outputs else None

    def next_op(self, tensor: str, op_type: str) -> Any | None:
        """The only consumer of `tensor` when it is an `op_type` node."""
        node = self.only_consumer(tensor)
        return node if node is not None and node.op_type == op_type else None


@cache
def _helper() -> Any:
    from costmodel.measure.onnx_export import require

    return require("onnx").helper


def attr(node: Any, name: str, default: Any = None) -> Any:
    """An attribute of an ONNX node (strings decoded), or `default`."""
    for attribute in node.attribute:
        if attribute.name == name:
            value = _helper().get_attribute_value(attribute)
            return value.decode() if isinstance(value, bytes) else value
    return default


def close(value: float | None, target: float) -> bool:
    """Whether a constant is `target` up to float32 rounding (exporters write 1/6, sqrt 2, ...)."""
    return value is not None and math.isclose(value, target, rel_tol=1e-5, abs_tol=1e-7)


Mapper = Callable[[Context, Any], Result]
