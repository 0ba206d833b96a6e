"""Speed and memory of analysing an ONNX file end to end (issue 13).

Usage: python benchmarks/bench_onnx.py [--repeat N] [--units U]
Writes a ResNet-like ONNX model of about 1,000 nodes (U residual units of conv-BN-ReLU x 2 and an
add, with float32 weights in the file), then:
  - times `costmodel analyze MODEL.onnx --format json` as a fresh process (best of N);
  - measures, in a fresh process, the peak resident memory analysing adds over the process after
    importing costmodel, onnx and numpy (ru_maxrss before and after), against the file's size.
Targets: <= 1 s end to end, peak memory added < 2 x the file size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import sys
import onnx, numpy, costmodel.onnx.load, costmodel.cost.analysis, costmodel.hw
import onnx.shape_inference
def rss(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))
with open("/proc/self/clear_refs", "w") as refs:  # restart the peak (VmHWM) from here
    refs.write("5")
before = rss("VmRSS:")
from costmodel.cost.analysis import analyze
from costmodel.hw import load_profile
from costmodel.spec.model import load_spec
result = analyze(load_spec(sys.argv[1]), load_profile("snapdragon855"))
after = rss("VmHWM:")
print(before * 1024, after * 1024, len(result.nodes))
"""


def write_model(path: Path, units: int, channels: int = 64) -> int:
    """A residual CNN of `units` units (9 ONNX nodes each); returns the node count."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []

    def weight(name: str, shape: tuple[int, ...]) -> str:
        inits.append(numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name))
        return name

    def conv_bn_relu(x: str, prefix: str, relu: bool) -> str:
        nodes.append(
            helper.make_node(
                "Conv",
                [x, weight(f"{prefix}.w", (channels, channels, 3, 3))],
                [f"{prefix}.c"],
                name=f"/{prefix}/Conv",
                pads=[1, 1, 1, 1],
            )
        )
        stats = [weight(f"{prefix}.bn{k}", (channels,)) for k in range(4)]
        nodes.append(
            helper.make_node(
                "BatchNormalization",
                [f"{prefix}.c", *stats],
                [f"{prefix}.b"],
                name=f"/{prefix}/BatchNormalization",
            )
        )
        if not relu:
            return f"{prefix}.b"
        nodes.append(helper.make_node("Relu", [f"{prefix}.b"], [f"{prefix}.r"], name=f"/{prefix}/Relu"))
        return f"{prefix}.r"

    nodes.append(
        helper.make_node(
            "Conv",
            ["x", weight("stem.w", (channels, 3, 3, 3))],
            ["stem"],
            name="/stem/Conv",
            pads=[1, 1, 1, 1],
        )
    )
    x = "stem"
    for unit in range(units):
        prefix = f"layer.{unit}"
        y = conv_bn_relu(conv_bn_relu(x, f"{prefix}.a", True), f"{prefix}.b", False)
        nodes.append(helper.make_node("Add", [x, y], [f"{prefix}.sum"], name=f"/{prefix}/Add"))
        nodes.append(helper.make_node("Relu", [f"{prefix}.sum"], [f"{prefix}.out"], name=f"/{prefix}/Relu"))
        x = f"{prefix}.out"
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 56, 56])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits,
    )  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return len(nodes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--units", type=int, default=143)  # 7 x 143 + 1 = 1,002 nodes
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.onnx"
        count = write_model(path, args.units)
        size = path.stat().st_size
        command = [sys.executable, "-m", "costmodel", "analyze", str(path), "--format", "json"]
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, str(path)], check=True, capture_output=True, text=True, cwd=ROOT
        )
        before, after, rows = (int(v) for v in probe.stdout.split())
    added = after - before
    print(f"model: {count} ONNX nodes, {rows} costmodel nodes, file {size / 1e6:.1f} MB")
    median = sorted(times)[len(times) // 2]
    print(f"CLI end to end (analyze --format json): best {min(times):.3f} s, median {median:.3f} s (<= 1 s)")
    print(
        f"peak memory added by analysing: {added / 1e6:.1f} MB = {added / size:.2f} x the file (target < 2 x)"
    )


if __name__ == "__main__":
    main()
