"""Per-layer timings (one conv or linear layer timed alone) as measurements for `calibrate`.

The columns are those of ../shared/data/h200/per_layer_fp16.csv: model, batch, dtype, layer, type
(Conv2d or Linear), in_shape and out_shape (NCHW, 'x'-separated), kernel and stride ('KxK'),
groups, ms. Each row becomes a one-layer spec (no norm, no activation: the timing covers the
layer's own kernels only), analysed at the row's batch and precision, held out with its model.
"""

from __future__ import annotations

import math

from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode, SourcePos, excerpt

LAYER_COLUMNS = ("model", "dtype", "layer", "type", "in_shape", "out_shape", "ms")
DTYPES = {"fp16": "fp16", "float16": "fp16", "fp32": "fp32", "float32": "fp32", "bf16": "bf16"}


def _dims(text: str, what: str, pos: SourcePos) -> list[int]:
    try:
        dims = [int(part) for part in text.strip().lower().split("x")]
    except ValueError:
        raise CostModelError(
            ErrorCode.BAD_VALUE, f"bad {what} {excerpt(text)!r} (expected e.g. 1x16x112x112)", pos=pos
        ) from None
    if not dims or min(dims) < 1:
        raise CostModelError(
            ErrorCode.BAD_VALUE, f"bad {what} {excerpt(text)!r}: sizes must be >= 1", pos=pos
        )
    return dims


def _square(text: str, what: str, pos: SourcePos) -> int:
    dims = _dims(text, what, pos)
    if len(dims) != 2 or dims[0] != dims[1]:
        raise CostModelError(
            ErrorCode.BAD_VALUE, f"{what} {excerpt(text)!r}: only square KxK is supported", pos=pos
        )
    return dims[0]


def _layer_spec(row: dict[str, str], pos: SourcePos) -> tuple[str, int]:
    """The one-layer spec text of a row, and the row's batch."""
    kind = row["type"].strip()
    in_shape, out_shape = _dims(row["in_shape"], "in_shape", pos), _dims(row["out_shape"], "out_shape", pos)
    batch = in_shape[0]
    if kind == "Linear" and len(in_shape) == 2 and len(out_shape) == 2:
        layer = f"{{name: layer, op: linear, out: {out_shape[1]}}}"
        return _spec_text(f"[{in_shape[1]}]", layer), batch
    if kind != "Conv2d" or len(in_shape) != 4 or len(out_shape) != 4:
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"type {excerpt(kind)!r} with shapes {excerpt(row['in_shape'])} -> {excerpt(row['out_shape'])}: "
            "expected Conv2d with NCHW shapes or Linear with NxC shapes",
            pos=pos,
        )
    k, s = _square(row.get("kernel", ""), "kernel", pos), _square(row.get("stride", ""), "stride", pos)
    groups = int(row.get("groups") or 1)
    height, out_height = in_shape[2], out_shape[2]
    padding = max(math.ceil(((out_height - 1) * s + k - height) / 2), 0)  # what gives out_shape
    layer = (
        f"{{name: layer, op: conv2d, out: {out_shape[1]}, kernel: {k}, stride: {s}, "
        f"padding: {padding}, groups: {groups}}}"
    )
    return _spec_text(f"[{in_shape[1]}, {in_shape[2]}, {in_shape[3]}]", layer), batch


def _spec_text(input_shape: str, layer: str) -> str:
    return (
        "version: 1\nname: layer\ntitle: one timed layer\nsource: a per-layer timing\n"
        f"input: {input_shape}\ndefaults: {{norm: none, act: none}}\nstages:\n  s:\n    - {layer}\n"
    )


def layer_row(row: dict[str, str], pos: SourcePos) -> tuple[str, AnalysisOptions, str, str]:
    """One per-layer row: its one-layer spec text, options, label and model (hw/measurements.py
    makes the Measurement)."""
    dtype = DTYPES.get(row["dtype"].strip().lower())
    if dtype is None:
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"dtype {excerpt(row['dtype'])!r} (expected one of {', '.join(DTYPES)})",
            pos=pos,
        )
    text, batch = _layer_spec(row, pos)
    model = row["model"].strip()
    label = f"{model} b{batch} {row['layer'].strip()}"
    options = AnalysisOptions(batch=batch, precision=dtype)
    return text, options, label, model
