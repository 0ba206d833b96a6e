"""Reading a CSV of measured latencies (for `validate-latency` and `calibrate`).

The file is read by the one reader (costmodel/spec/files.py: regular files only, bounded, UTF-8
with or without a byte-order mark). Every degenerate form is a located error rather than a guess:
a header with no rows, a duplicate column (csv.DictReader would keep the last silently), a row
with more or fewer fields than the header, a quoted field that runs past its line, a latency that
is not a positive number within limits.MIN_LATENCY_MS..MAX_LATENCY_MS.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from costmodel import limits
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode, SourcePos, excerpt
from costmodel.hw.layer_measurements import LAYER_COLUMNS, layer_row
from costmodel.safe_text import one_line_name
from costmodel.spec.files import read_text

COLUMNS = ("spec", "latency_ms", "width", "resolution", "precision", "batch", "label")
REQUIRED = ("spec", "latency_ms")


@dataclass(frozen=True)
class Measurement:
    spec: str
    options: AnalysisOptions
    latency_s: float
    label: str
    pos: SourcePos
    spec_text: str = ""  # a spec given inline (a single timed layer) instead of by name
    group: str = ""  # the model it belongs to when held out (default: the spec's name)


def _fields(line: str, pos: SourcePos) -> list[str]:
    try:
        return [one_line_name(field) for field in next(csv.reader([line], strict=True))]
    except (csv.Error, StopIteration) as exc:
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"not a CSV row ({exc}); a quoted field must end on its own line",
            pos=pos,
        ) from None


def _header(fields: list[str], pos: SourcePos) -> list[str]:
    names = [name.strip() for name in fields]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise CostModelError(ErrorCode.DUPLICATE_KEY, f"duplicate column '{excerpt(name)}'", pos=pos)
    required, columns = (LAYER_COLUMNS, LAYER_COLUMNS) if "in_shape" in names else (REQUIRED, COLUMNS)
    for column in required:
        if column not in names:
            raise CostModelError(
                ErrorCode.MISSING_KEY,
                f"missing column '{column}' (columns: {', '.join(columns)})",
                pos=pos,
            )
    return names


def _latency_s(text: str, pos: SourcePos, column: str = "latency_ms") -> float:
    try:
        latency_ms = float(text)
    except ValueError:
        raise CostModelError(
            ErrorCode.BAD_VALUE, f"bad number: {column} {excerpt(text)!r}", pos=pos
        ) from None
    if not (math.isfinite(latency_ms) and limits.MIN_LATENCY_MS <= latency_ms <= limits.MAX_LATENCY_MS):
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"latency must be a positive number of milliseconds from {limits.MIN_LATENCY_MS:g} to "
            f"{limits.MAX_LATENCY_MS:g}, got {excerpt(text)}",
            pos=pos,
        )
    return latency_ms / 1e3


def _measurement(row: dict[str, str], pos: SourcePos) -> Measurement:
    if "in_shape" in row:  # a per-layer timing (hw/layer_measurements.py)
        text, layer_options, label, model = layer_row(row, pos)
        return Measurement("layer", layer_options, _latency_s(row["ms"], pos, "ms"), label, pos, text, model)
    latency = _latency_s(row["latency_ms"], pos)
    try:
        width = float(row.get("width") or 1.0)
        resolution = int(row["resolution"]) if row.get("resolution") else None
        batch = int(row.get("batch") or 1)
    except ValueError as exc:
        raise CostModelError(ErrorCode.BAD_VALUE, f"bad number: {excerpt(str(exc))}", pos=pos) from None
    options = AnalysisOptions(
        batch=batch,
        precision=(row.get("precision") or "").strip() or None,  # None: the profile's default
        width=width,
        resolution=resolution,
    )
    spec = row["spec"].strip()
    if not spec:
        raise CostModelError(ErrorCode.BAD_VALUE, "empty spec name", pos=pos)
    return Measurement(spec, options, latency, (row.get("label") or spec).strip(), pos)


def load_measurements(path: Path) -> list[Measurement]:
    """CSV with columns spec, latency_ms and optionally width, resolution, precision, batch, label.
    Lines starting with '#' are comments (sources)."""
    file = excerpt(str(path))
    lines = read_text(path).splitlines()
    numbered = [
        (i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise CostModelError(ErrorCode.BAD_VALUE, "no measurements", pos=SourcePos(file, 1, 1))
    header_pos = SourcePos(file, numbered[0][0], 1)
    names = _header(_fields(numbered[0][1], header_pos), header_pos)
    if len(numbered) == 1:
        raise CostModelError(ErrorCode.BAD_VALUE, "no measurements: only a header", pos=header_pos)
    if len(numbered) - 1 > limits.MAX_MEASUREMENTS:
        raise CostModelError(
            ErrorCode.LIMIT, f"more than {limits.MAX_MEASUREMENTS} measurements", pos=header_pos
        )
    measurements = []
    for line_no, line in numbered[1:]:
        pos = SourcePos(file, line_no, 1)
        fields = _fields(line, pos)
        if len(fields) != len(names):
            raise CostModelError(
                ErrorCode.BAD_VALUE, f"{len(fields)} fields, the header has {len(names)}", pos=pos
            )
        measurements.append(_measurement(dict(zip(names, fields, strict=True)), pos))
    return measurements
