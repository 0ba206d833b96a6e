"""Reading an ONNX file without its weights: the protobuf wire format, scanned over a memory map.

A cost model needs every tensor's shape but none of its values, except the small constants of
shape arithmetic (a Reshape's target shape). `onnx.load` reads the whole file into one buffer and
parses it into a second copy, so a model costs twice its size in memory before any analysis. Here
the file is scanned field by field, reading only the bytes the headers and small fields need
(protobuf's wire format: a varint key `field << 3 | wire type`, then a varint, a fixed 4 or 8
bytes, or a length and that many bytes);
the ModelProto is copied except the data of large initializers (TensorProto.raw_data and the packed
numeric fields), whose pages are never read. Their dims, type and name stay, which is all shape
inference and the importer use, as for weights held in external data files.

Field numbers are those of onnx.proto (ModelProto.graph = 7, GraphProto.initializer = 5,
TensorProto float_data 4, int32_data 5, int64_data 7, raw_data 9, double_data 10, uint64_data 11).
"""

from __future__ import annotations

import os
from pathlib import Path

MODEL_GRAPH = 7
GRAPH_INITIALIZER = 5
TENSOR_DATA_FIELDS = frozenset({4, 5, 7, 9, 10, 11})  # float, int32, int64, raw, double, uint64
SMALL_TENSOR_BYTES = 4096  # kept: shape constants are a few int64s; weights are far larger

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message (a truncated or non-ONNX file)."""


class _File:
    """A file read through one window of `WINDOW` bytes, refilled at the position asked for: the
    scan goes forward, so headers and small fields come from the window, and the weights it skips
    are never read (a memory map would not do: the kernel maps the cached pages around each page
    touched, so the weights' pages would count as the process's memory)."""

    WINDOW = 1 << 16

    def __init__(self, fd: int, size: int) -> None:
        self.fd, self.size = fd, size
        self.start, self.data = 0, b""

    def _fill(self, pos: int) -> None:
        self.start, self.data = pos, os.pread(self.fd, self.WINDOW, pos)

    def byte(self, pos: int) -> int:
        offset = pos - self.start
        if not 0 <= offset < len(self.data):
            self._fill(pos)
            offset = 0
            if not self.data:
                raise WireError("the file ends inside a field")
        return self.data[offset]

    def read(self, start: int, end: int) -> bytes:
        if not (self.start <= start and end <= self.start + len(self.data)):
            if end - start > self.WINDOW:
                data = os.pread(self.fd, end - start, start)
                if len(data) != end - start:
                    raise WireError("the file ends inside a field")
                return data
            self._fill(start)
            if end > self.start + len(self.data):
                raise WireError("the file ends inside a field")
        return self.data[start - self.start : end - self.start]


def _varint(buf: _File, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise WireError("a varint runs past the end of its message")
        byte = buf.byte(pos)
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _next_field(buf: _File, pos: int, end: int) -> tuple[int, int, int, int]:
    """The field starting at `pos`: (number, wire type, start of its payload, its end)."""
    key, pos = _varint(buf, pos, end)
    number, wire = key >> 3, key & 7
    if wire == VARINT:
        _, pos = _varint(buf, pos, end)
        payload = pos
    elif wire in (FIXED64, FIXED32):
        payload, pos = pos, pos + (8 if wire == FIXED64 else 4)
    elif wire == LENGTH:
        length, payload = _varint(buf, pos, end)
        pos = payload + length
    else:
        raise WireError(f"unsupported wire type {wire} (field {number})")
    if pos > end or number == 0:
        raise WireError("a field runs past the end of its message")
    return number, wire, payload, pos


def _rebuilt(buf: _File, start: int, end: int, level: int) -> bytes:
    """The message at [start, end) with large tensor data left out; `level` 0 is the ModelProto,
    1 its GraphProto, 2 an initializer (TensorProto). One forward pass over the file: a nested
    message is rebuilt where it is met, so the read window only moves forward."""
    out = bytearray()
    pos = start
    while pos < end:
        number, wire, payload, field_end = _next_field(buf, pos, end)
        descend = wire == LENGTH and (
            (level == 0 and number == MODEL_GRAPH) or (level == 1 and number == GRAPH_INITIALIZER)
        )
        if descend:
            inner = _rebuilt(buf, payload, field_end, level + 1)
            out += _encode_varint(number << 3 | LENGTH) + _encode_varint(len(inner)) + inner
        elif not (level == 2 and number in TENSOR_DATA_FIELDS and field_end - payload > SMALL_TENSOR_BYTES):
            out += buf.read(pos, field_end)  # else: the weights, skipped without reading them
        pos = field_end
    return bytes(out)


def model_bytes_without_weights(path: Path) -> bytes:
    """The serialized ModelProto of `path` without the data of its large initializers."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise WireError("the file is empty")
        return _rebuilt(_File(file.fileno(), size), 0, size, 0)
