"""Measured latency on this machine's CPU: the graph exported to ONNX, run with onnxruntime.

The measured counterpart of the roofline estimate. The model is `onnx_export.export_onnx` of the
graph (random float32 weights, fixed seed); onnxruntime runs it on the CPU execution provider with
all graph optimisations (BN folding, conv+activation fusion, ...) and sequential execution, with
`threads` intra-op threads and one inter-op thread by default. Each run is one `session.run` on the
same input, timed with `time.perf_counter`; `warmup` runs come first and are not recorded.

onnx, onnxruntime and numpy are imported when `measure_latency` is called:
`pip install 'costmodel[measure]'`. Nothing here prints.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import Graph
from costmodel.measure.onnx_export import export_onnx, require

PROVIDER = "CPUExecutionProvider"


@dataclass(frozen=True)
class MeasuredLatency:
    """Wall-clock seconds of one inference of `batch` samples, over `runs` timed runs."""

    median_s: float
    p10_s: float
    p90_s: float
    runs: int
    warmup: int
    batch: int
    threads: int  # intra-op threads
    inter_op_threads: int
    onnxruntime_version: str
    provider: str = PROVIDER

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = (len(sorted_values) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def _check(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CostModelError(ErrorCode.OPTION, f"{name} must be an integer >= {minimum}, got {value!r}")


def measure_latency(
    graph: Graph,
    batch: int = 1,
    threads: int = 1,
    warmup: int = 10,
    runs: int = 50,
    *,
    inter_op_threads: int = 1,
    seed: int = 0,
) -> MeasuredLatency:
    """Time `runs` inferences of the graph at `batch` with onnxruntime on this CPU.

    Raises CostModelError for invalid counts, graphs ONNX cannot express, and when onnx,
    onnxruntime or numpy is missing.
    """
    for name, value, minimum in (
        ("batch", batch, 1),
        ("threads", threads, 1),
        ("warmup", warmup, 0),
        ("runs", runs, 1),
        ("inter_op_threads", inter_op_threads, 1),
    ):
        _check(name, value, minimum)
    ort, np = require("onnxruntime"), require("numpy")
    model = export_onnx(graph, batch=batch, seed=seed)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: onnxruntime must not write to the terminal
    session = ort.InferenceSession(model.SerializeToString(), options, providers=[PROVIDER])
    del model  # the session holds its own copy of the weights
    feed = {
        "input": np.random.default_rng(seed).standard_normal((batch, *graph.input_shape), dtype=np.float32)
    }
    for _ in range(warmup):
        session.run(None, feed)
    samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return MeasuredLatency(
        median_s=percentile(samples, 50),
        p10_s=percentile(samples, 10),
        p90_s=percentile(samples, 90),
        runs=runs,
        warmup=warmup,
        batch=batch,
        threads=threads,
        inter_op_threads=inter_op_threads,
        onnxruntime_version=str(ort.__version__),
    )
