"""Print params and MACs of spec files (a quick check while writing archspecs).

Usage: python scripts/count.py archspecs/mbv3_small.yaml [--width W] [--layers]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from costmodel.errors import CostModelError  # noqa: E402
from costmodel.graph.build import BuildOptions, build_graph  # noqa: E402
from costmodel.spec.model import load_spec  # noqa: E402


def main(argv: list[str]) -> int:
    width = 1.0
    if "--width" in argv:
        width = float(argv[argv.index("--width") + 1])
    show_layers = "--layers" in argv
    for path in [a for a in argv if a.endswith((".yaml", ".yml"))]:
        try:
            graph = build_graph(load_spec(path), BuildOptions(width=width))
        except CostModelError as exc:
            print(exc)
            return 2
        params = macs = 0
        for node in graph.nodes:
            cost = node.op.cost([graph.node(i).shape for i in node.inputs], node.shape, node.attrs)
            params += cost.params
            macs += cost.macs
            if show_layers and (cost.params or cost.macs):
                print(
                    f"  {node.name:40s} {node.op.name:15s} {list(node.shape)!s:20s} "
                    f"params={cost.params:>10,d} macs={cost.macs:>14,d}"
                )
        print(f"{path}: nodes={len(graph.nodes)} params={params} macs={macs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
