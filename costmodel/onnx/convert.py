"""An ONNX model as a costmodel Graph: every data-path node mapped onto the op registry, or listed.

`import_onnx(path)` reads the model (costmodel/onnx/reader.py), tries the exporter patterns at each
node (patterns.py), then the op's mapping (layers.py, elementwise.py), and builds the Graph node by
node with costmodel's own shape rules; each shape is checked against onnx's shape inference, so a
mapping that misreads an op fails loudly instead of counting something else.

A node that cannot be mapped becomes an `onnx:OPTYPE` node that costs nothing and is listed in
`Imported.unsupported`; analysing such a graph is an error naming every unsupported op type with its
count and first node (costmodel/onnx/load.py), unless the user allows them (--allow-unsupported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import BuildOptions, Graph, Node
from costmodel.graph.shapes import infer_shape
from costmodel.names import OpClass
from costmodel.onnx import layers
from costmodel.onnx.context import Context, Mapped, Mapper, Unsupported
from costmodel.onnx.elementwise import MAPPERS as ELEMENTWISE_MAPPERS
from costmodel.onnx.naming import groups, node_name
from costmodel.onnx.patterns import PATTERNS
from costmodel.onnx.reader import OnnxModel
from costmodel.ops import REGISTRY
from costmodel.ops.registry import Attrs, OpType, Shape, fixed_class, no_cost
from costmodel.spec.schema import Spec

MAPPERS: dict[str, Mapper] = {
    **ELEMENTWISE_MAPPERS,
    "Conv": layers.map_conv,
    "MaxPool": layers.map_pool,
    "AveragePool": layers.map_pool,
    "Gemm": layers.map_gemm,
    "MatMul": layers.map_matmul,
    "BatchNormalization": layers.map_batchnorm,
}
UNSUPPORTED_PREFIX = "onnx:"


def _given_shape(inputs: list[Shape], attrs: Attrs) -> Shape:
    shape: Shape = attrs["shape"]
    return shape


@cache
def unsupported_op(op_type: str) -> OpType:
    """The stand-in for an ONNX op costmodel cannot count: zero cost, shown as `onnx:OPTYPE`. Never
    in the registry, so no spec can use it."""
    return OpType(
        f"{UNSUPPORTED_PREFIX}{op_type}",
        f"ONNX {op_type}, not modelled (counted as zero with --allow-unsupported)",
        _given_shape,
        no_cost,
        fixed_class(OpClass.DATA),
        min_inputs=0,
        max_inputs=1_000_000,
        is_view=True,
    )


@dataclass(frozen=True)
class UnsupportedOp:
    """Every node of one unsupported op type: how many, the first one's name, and why."""

    op_type: str
    count: int
    first: str
    reason: str

    def describe(self) -> str:
        why = f"; {self.reason}" if self.reason else ""
        return f"{self.op_type} x{self.count} (first: {self.first}{why})"


@dataclass
class Imported:
    """An ONNX model as a graph, with the op types it could not map."""

    graph: Graph
    unsupported: tuple[UnsupportedOp, ...]
    producer: str
    opset: int


@dataclass
class _Builder:
    model: OnnxModel
    spec: Spec
    ctx: Context
    tensors: dict[str, str] = field(default_factory=dict)  # ONNX tensor -> costmodel node name
    nodes: list[Node] = field(default_factory=list)
    by_name: dict[str, Node] = field(default_factory=dict)
    covered: set[int] = field(default_factory=set)  # ids of ONNX nodes a pattern took
    unsupported: dict[str, list[Any]] = field(default_factory=dict)  # op -> [count, first, reason]

    def unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.by_name:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    def append(self, node: Node, output: str) -> None:
        if len(self.nodes) >= limits.MAX_NODES:
            raise CostModelError(ErrorCode.LIMIT, f"the model has more than {limits.MAX_NODES} nodes")
        self.nodes.append(node)
        self.by_name[node.name] = node
        self.tensors[output] = node.name

    def inputs_of(self, tensors: tuple[str, ...], index: int) -> tuple[str, ...]:
        missing = [t for t in tensors if t not in self.tensors]
        if missing:
            raise CostModelError(
                ErrorCode.UNKNOWN_INPUT,
                f"tensor '{missing[0]}' is read before any node writes it",
                pos=self.model.pos(index),
            )
        return tuple(self.tensors[t] for t in tensors)

    def add_mapped(self, mapped: Mapped, index: int) -> None:
        first = mapped.name_node
        raw = node_name(first.name, first.op_type, index, mapped.op, len(mapped.nodes) > 1)
        name = self.unique(raw + mapped.suffix)
        op, pos = REGISTRY[mapped.op], self.model.pos(index)
        # Attributes the mapping leaves out take the op's defaults, as a spec's layer does.
        attrs = {**{key: spec.default for key, spec in op.attrs.items()}, **mapped.attrs}
        inputs = self.inputs_of(mapped.inputs, index)
        shape = infer_shape(op, [self.by_name[i].shape for i in inputs], attrs, pos, name)
        expected = self.ctx.shape(mapped.output)
        if expected is not None and tuple(expected) != shape:
            raise CostModelError(
                ErrorCode.SHAPE_MISMATCH,
                f"{mapped.op} gives {list(shape)} but ONNX's shape inference says {list(expected)} "
                f"for '{mapped.output}'",
                pos=pos,
                node=name,
            )
        layer, block, stage = groups(name)
        self.append(Node(name, op, attrs, inputs, shape, layer, block, mapped.op, stage, pos), mapped.output)
        self.covered.update(id(n) for n in mapped.nodes)

    def add_unsupported(self, node: Any, why: Unsupported, index: int) -> None:
        raw = node_name(node.name, node.op_type, index, why.op_type.lower(), False)
        entry = self.unsupported.setdefault(why.op_type, [0, raw, why.reason])
        entry[0] += 1
        inputs = self.inputs_of(self.ctx.data_inputs(node), index)
        op = unsupported_op(why.op_type)
        for number, output in enumerate(o for o in node.output if o):
            dims = self.ctx.shape(output)
            shape = tuple(dims) if dims else (1,)
            name = self.unique(raw if number == 0 else f"{raw}_out{number}")
            layer, block, stage = groups(name)
            pos = self.model.pos(index)
            self.append(
                Node(name, op, {"shape": shape}, inputs, shape, layer, block, op.name, stage, pos), output
            )

    def visit(self, node: Any, index: int) -> None:
        if id(node) in self.covered or all(self.ctx.is_constant(o) for o in node.output):
            return
        if node.domain not in ("", "ai.onnx"):
            self.add_unsupported(node, Unsupported(f"{node.domain}.{node.op_type}", "a custom domain"), index)
            return
        pattern = PATTERNS.get(node.op_type)
        matched = pattern(self.ctx, node) if pattern is not None else None
        mapper: Callable[[Context, Any], Any] | None = MAPPERS.get(node.op_type)
        if matched is not None:
            result: list[Mapped] | Unsupported = [matched]
        elif mapper is not None:
            result = mapper(self.ctx, node)
        else:
            result = Unsupported(node.op_type)
        if isinstance(result, Unsupported):
            self.add_unsupported(node, result, index)
            return
        for mapped in result:
            self.add_mapped(mapped, index)


def _input_node(model: OnnxModel, spec: Spec) -> Node:
    shape = tuple(int(size) for size in spec.input)  # an imported model's input is all numbers
    return Node(
        "input",
        REGISTRY["input"],
        {"shape": shape},
        (),
        shape,
        "input",
        "input",
        "input",
        "input",
        model.pos(0),
    )


def build_imported(model: OnnxModel, spec: Spec) -> Imported:
    """The graph of `model` (under the default build options) and its unsupported op types."""
    builder = _Builder(model, spec, Context.of(model))
    builder.append(_input_node(model, spec), model.input_name)
    for index, node in enumerate(model.nodes):
        builder.visit(node, index)
    output = model.outputs[0] if model.outputs else ""
    if output not in builder.tensors:
        raise CostModelError(
            ErrorCode.FILE, f"{model.path}: the output '{output}' is not computed from the input"
        )
    graph = Graph(
        spec,
        BuildOptions(),
        tuple(int(size) for size in spec.input),
        builder.by_name,
        builder.nodes,
        builder.tensors[output],
        False,
    )
    unsupported = tuple(
        UnsupportedOp(op_type, count, first, reason)
        for op_type, (count, first, reason) in builder.unsupported.items()
    )
    return Imported(graph, unsupported, model.producer, model.opset)
