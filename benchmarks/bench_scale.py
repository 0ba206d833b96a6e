"""How analysis time and memory grow with graph size: synthetic chains and branchy graphs.

Usage: python benchmarks/bench_scale.py [--sizes 1000,10000,100000]

Each size runs in a fresh subprocess (so peak RSS is that size's), which parses a generated spec
once and times `analyze` (graph expansion, counting, memory plan, roofline) end to end. Prints time,
nodes, peak RSS and the growth ratio between sizes (time ratio / node ratio: 1.0 is linear).
Targets (issue 6): 100k nodes in <= 10 s and <= 1 GiB, growing within 1.3x of linear.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHAIN = """version: 1
name: chain{n}
input: [8, 16, 16]
stages:
  s:
    - {{name: c, op: conv2d, out: 8, kernel: 3, repeat: {repeat}}}
{extra}"""

BRANCHY = """version: 1
name: branchy{n}
input: [16, 16, 16]
blocks:
  module:  # an Inception-like module: four branches of 1-2 nodes, concatenated: 7 nodes
    layers:
      - {{name: a, op: conv2d, out: 4, kernel: 1, inputs: [input]}}
      - {{name: b1, op: conv2d, out: 4, kernel: 1, inputs: [input]}}
      - {{name: b2, op: conv2d, out: 4, kernel: 3}}
      - {{name: c1, op: conv2d, out: 4, kernel: 1, inputs: [input]}}
      - {{name: c2, op: conv2d, out: 4, kernel: 3}}
      - {{name: d, op: maxpool, kernel: 3, stride: 1, padding: 1, inputs: [input]}}
      - {{name: cat, op: concat, inputs: [a, b2, c2, d]}}
stages:
  s:
{uses}"""


def chain_spec(nodes: int) -> str:
    per_layer = 10_000  # the repeat limit: longer chains are several repeated layers
    layers, rest = divmod(nodes, per_layer)
    extra = "".join(
        f"    - {{name: c{i}, op: conv2d, out: 8, kernel: 3, repeat: {per_layer}}}\n"
        for i in range(1, layers)
    )
    if rest and layers:
        extra += f"    - {{name: tail, op: conv2d, out: 8, kernel: 3, repeat: {rest}}}\n"
    return CHAIN.format(n=nodes, repeat=per_layer if layers else rest, extra=extra)


def branchy_spec(nodes: int) -> str:
    modules = max(1, nodes // 7)
    per_use = 5_000
    uses = ""
    for i in range(0, modules, per_use):
        uses += f"    - {{name: m{i}, block: module, repeat: {min(per_use, modules - i)}}}\n"
    return BRANCHY.format(n=nodes, uses=uses)


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from costmodel.cost.analysis import analyze
from costmodel.hw import load_profile
from costmodel.spec.model import parse_spec
spec = parse_spec(sys.stdin.read(), "generated.yaml")
hw = load_profile("snapdragon855")
start = time.perf_counter()
result = analyze(spec, hw)
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "nodes": result.total.nodes, "rss": rss}))
"""


def run(text: str) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT)], input=text, text=True, capture_output=True, check=True
    )
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'graph':10s} {'target':>8s} {'nodes':>8s} {'time':>9s} {'peak RSS':>10s} "
        f"{'growth vs previous':>20s}"
    )
    for kind, make in (("chain", chain_spec), ("branchy", branchy_spec)):
        previous: dict[str, float] | None = None
        for size in sizes:
            figures = run(make(size))
            growth = ""
            if previous:
                ratio = (figures["seconds"] / previous["seconds"]) / (figures["nodes"] / previous["nodes"])
                growth = f"{ratio:.2f}x of linear"
            print(
                f"{kind:10s} {size:8d} {int(figures['nodes']):8d} {figures['seconds']:8.2f}s "
                f"{figures['rss'] / 2**20:8.0f} MiB {growth:>20s}"
            )
            previous = figures


if __name__ == "__main__":
    main()
