"""Quantisation, completed: conversion nodes where the compute precision changes, and the
per-channel scales of integer weights.

Conversions. A tensor is produced in its producer's compute precision (`NodeCount.compute`; a view
passes on its source's). Where a consumer computes in another precision the runtime converts the
tensor first; each (tensor, target precision) gets one conversion node, shared by every consumer
that needs it, placed just before the first of them (in its stage and block) and named after the
tensor: `PRODUCER.quantize`, `PRODUCER.dequantize` or `PRODUCER.cast`. It is an elementwise node
(it fuses into its producer's kernel like an activation when the producer feeds nothing else), so
its ops, bytes and latency go through the memory plan and the roofline as any node's, and it is a
row of its own in every table. Ops per element, after ONNX's QuantizeLinear / DequantizeLinear and
the affine scheme r = S (q - Z) of Jacob et al., "Quantization and Training of Neural Networks for
Efficient Integer-Arithmetic-Only Inference", CVPR 2018, eq. (1):

- quantize to int8: q = clamp(round(x / S) + Z): 4 (multiply by 1/S, round, add Z, clamp);
- dequantize from int8: x = (q - Z) S: 2 (subtract Z, multiply by S);
- to fp8: saturate(x / S): 2 (multiply by 1/S, saturating convert; no zero point); from fp8: 1;
- between fp32, fp16 and bf16: a cast, 1 (the conversion);
- int8 <-> fp8: a dequantize then a quantize (the sum).

It reads the tensor in the source precision and writes it in the target one, and runs at the
narrower of the two (on the unit and kernels of the low-precision layer it serves).

Boundaries: the graph input arrives in fp32 and the model's outputs leave in fp32. An integer
first layer reads the input through a quantize (`INPUT.quantize`), an integer last layer's output
goes through a dequantize; a float first or last layer reads and writes its own precision, as
before (a cast at the boundary is the caller's). An embedding's input is token ids: never quantized.

Scales. Integer weights (int8, int4) of conv2d and linear nodes carry one fp32 scale per output
channel, symmetric (zero point 0, none stored), as TFLite's int8 quantization specification has
for conv weights; the scales are added to the node's weight bytes. Activation scales and zero
points are one pair per tensor: negligible, not counted. The requantization of int32 accumulators
to int8 inside an int8 layer belongs to that layer's kernel and is not a conversion node.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from costmodel.cost.counting import NodeCount
from costmodel.cost.precision import BYTES_PER_ELEMENT
from costmodel.names import OpClass

QUANTIZE_OPS = {"int8": 4, "fp8": 2}  # per element, into a scaled format
DEQUANTIZE_OPS = {"int8": 2, "fp8": 1}  # per element, out of a scaled format
CAST_OPS = 1  # between unscaled floats
INTEGER_PRECISIONS = frozenset({"int8", "int4"})
BOUNDARY_PRECISION = "fp32"  # of the graph input and the model outputs
SCALE_BYTES = 4  # one fp32 scale per output channel of integer conv/linear weights
SCALED_WEIGHT_OPS = frozenset({"conv2d", "linear"})
READS_IDS = frozenset({"embedding"})  # its input holds token ids, not values


def conversion(source: str, target: str) -> tuple[str, int]:
    """(op name, ops per element) of converting a tensor from `source` to `target` precision."""
    ops = DEQUANTIZE_OPS.get(source, 0) + QUANTIZE_OPS.get(target, 0)
    if target in QUANTIZE_OPS:
        return "quantize", ops
    if source in DEQUANTIZE_OPS:
        return "dequantize", ops
    return "cast", CAST_OPS


def scale_bytes(count: NodeCount) -> int:
    """Bytes of the per-output-channel fp32 scales of an integer conv2d or linear node, else 0."""
    if (
        count.op not in SCALED_WEIGHT_OPS
        or count.precision not in INTEGER_PRECISIONS
        or not count.weight_bytes
    ):
        return 0
    channels = count.shape[0] if count.op == "conv2d" else count.shape[-1]
    return channels * SCALE_BYTES


@dataclass(frozen=True)
class Quantized:
    """The counts with conversions inserted and scales added, and what was done (for the assumptions)."""

    counts: list[NodeCount]
    conversions: int
    scale_bytes: int

    def describe(self) -> str:
        """One line for the assumptions ('' when nothing changed: a single float precision)."""
        if not self.conversions and not self.scale_bytes:
            return ""
        return (
            f"quantization: {self.conversions} quantize/dequantize/cast node(s) where the compute precision "
            "changes (quantize 4 ops per element, dequantize 2, cast 1; graph input and outputs in fp32); "
            f"integer conv/linear weights carry one fp32 scale per output channel ({self.scale_bytes:,} B, "
            "symmetric, in weight_bytes); per-tensor activation scales not counted"
        )


def quantize(
    counts: list[NodeCount], input_shape: tuple[int, ...], model_ends: tuple[bool, bool] = (True, True)
) -> Quantized:
    """`counts` with a conversion node wherever a tensor's precision differs from its reader's
    compute precision (graph input and outputs in fp32 for integer layers) and integer weights'
    scales in their weight bytes. A single float precision throughout returns `counts` unchanged.
    `model_ends` (input, output): False where the graph's input or output is not the model's (a
    stage analysed alone), so that no fp32 boundary conversion is added there."""
    computes = {c.compute for c in counts}
    if len(computes) <= 1 and not (computes | {c.precision for c in counts}) & INTEGER_PRECISIONS:
        return Quantized(counts, 0, 0)  # one float precision: nothing to convert (the common case)
    scales = 0
    scaled: list[NodeCount] = []
    for count in counts:
        extra = scale_bytes(count)
        scales += extra
        scaled.append(replace(count, weight_bytes=count.weight_bytes + extra) if extra else count)
    inserted = _Conversions(scaled, input_shape, model_ends)
    out = inserted.run()
    return Quantized(out, inserted.made, scales)


def _bytes(precision: str) -> int:
    return int(BYTES_PER_ELEMENT[precision])


class _Conversions:
    """Walks the counts once, inserting conversion nodes (see the module docstring)."""

    def __init__(
        self, counts: list[NodeCount], input_shape: tuple[int, ...], model_ends: tuple[bool, bool]
    ) -> None:
        self.counts = counts
        self.input_shape = input_shape
        self.model_input, self.model_output = model_ends
        self.by_name = {c.name: c for c in counts}
        self.taken = set(self.by_name)
        self.tensor: dict[str, str | None] = {}  # precision of each node's output; None: the fp32 input
        self.made = 0
        self.converted: dict[tuple[str, str], str] = {}  # (tensor, target) -> conversion node

    def run(self) -> list[NodeCount]:
        out: list[NodeCount] = []
        consumed: set[str] = set()
        for count in self.counts:
            consumed.update(count.inputs)
            if count.is_view:
                self.tensor[count.name] = self._precision_of(count.inputs[0]) if count.inputs else None
                out.append(count)
                continue
            self.tensor[count.name] = count.compute
            inputs = tuple(self._input(count, slot, source, out) for slot, source in enumerate(count.inputs))
            out.append(count if inputs == count.inputs else replace(count, inputs=inputs))
        for count in self.counts if self.model_output else ():  # the model outputs leave in fp32
            precision = self.tensor[count.name]
            if count.name not in consumed and precision in INTEGER_PRECISIONS:
                elements = count.out_bytes // _bytes(count.compute)
                out.append(
                    self._node(count.name, count.shape, elements, precision, BOUNDARY_PRECISION, count)
                )
        return out

    def _precision_of(self, source: str) -> str | None:
        return self.tensor.get(source) if source in self.by_name else None

    def _input(self, reader: NodeCount, slot: int, source: str, out: list[NodeCount]) -> str:
        """The name `reader` reads input `slot` from: `source`, or a conversion of it."""
        target = reader.compute
        precision = self._precision_of(source)
        if precision is None:  # the graph input (or a view of it): fp32 values
            if not self.model_input or target not in INTEGER_PRECISIONS or reader.op in READS_IDS:
                return source
            precision = BOUNDARY_PRECISION
        if precision == target:
            return source
        key = (source, target)
        if key not in self.converted:
            elements = reader.input_bytes[slot] // _bytes(target)
            producer = self.by_name.get(source)
            shape = producer.shape if producer is not None else self.input_shape
            node = self._node(source, shape, elements, precision, target, reader)
            out.append(node)
            self.converted[key] = node.name
        return self.converted[key]

    def _node(
        self,
        source: str,
        shape: tuple[int, ...],
        elements: int,
        precision: str,
        target: str,
        place: NodeCount,
    ) -> NodeCount:
        """A conversion of `source` (`elements` values) from `precision` to `target`, in the stage
        and block of `place`, running at the narrower of the two precisions."""
        op, per_element = conversion(precision, target)
        name = _free_name(f"{source}.{op}", self.taken)
        self.taken.add(name)
        self.made += 1
        runs_at = target if _bytes(target) <= _bytes(precision) else precision
        read, written = elements * _bytes(precision), elements * _bytes(target)
        node = NodeCount(
            name,
            op,
            OpClass.ELEMENTWISE,
            place.stage,
            place.block,
            place.block_kind,
            name,  # a layer of its own: a visible row in per-layer tables
            shape,
            False,
            runs_at,
            (source,),
            (read,),
            0,
            0,
            elements * per_element,
            0,
            read,
            written,
            written,
            runs_at,
        )
        node.batch = place.batch  # the work per sample (cost/utilisation.py) is per batch element
        return node


def _free_name(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`, ... when a node already has it."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate
