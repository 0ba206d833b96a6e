"""Hostile shapes of issue 16, at n and 2n: every stage must grow near-linearly (at most n log n).

Usage: python benchmarks/bench_hostile.py [--scale 1.0]

Shapes (sizes at scale 1; --scale multiplies them):
- fanout: one conv feeding n parallel ReLUs (the greedy memory scheduler), `analyze`;
- diff: two n-node chains with different layer names, `diff --group-by node` (the alignment);
- imports: one block library named n times in `imports:`, `validate`;
- globs: n precision globs over a 1.2 n-node chain, `analyze`;
- scalars: a file of n scalars (past the value limit: rejected, and how fast).
Each shape runs in-process through the CLI entry points' own functions; prints seconds at n and 2n
and the growth ratio t(2n) / t(n): 2.0 is linear, 2.2 about n log n, 4.0 quadratic.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from costmodel import api  # noqa: E402
from costmodel.errors import CostModelError  # noqa: E402
from costmodel.spec.model import load_spec  # noqa: E402

HEAD = "version: 1\nname: {name}\ninput: [4, 8, 8]\n"


def fanout(n: int, tmp: Path) -> Callable[[], object]:
    """One conv, then n ReLUs that all read it: n + 1 nodes, n of them ready at once."""
    layers = ["    - {name: c, op: conv2d, out: 4, kernel: 1}"]
    layers += [f"    - {{name: r{i}, op: relu, inputs: [c]}}" for i in range(n)]
    path = tmp / f"fanout{n}.yaml"
    path.write_text(HEAD.format(name="fanout") + "stages:\n  s1:\n" + "\n".join(layers) + "\n")
    return lambda: api.analyze(str(path))


def _chain_layers(n: int) -> str:
    """n 1x1 convs in a row, as layers of at most 5,000 repeats each (the repeat limit is 10,000)."""
    chunks = [min(5_000, n - start) for start in range(0, n, 5_000)]
    return "".join(
        f"    - {{name: c{j}, op: conv2d, out: 4, kernel: 1, repeat: {r}}}\n" for j, r in enumerate(chunks)
    )


def _chain(n: int, tmp: Path, name: str) -> Path:
    path = tmp / f"{name}{n}.yaml"
    path.write_text(HEAD.format(name=name) + "stages:\n  s1:\n" + _chain_layers(n))
    return path


def diff(n: int, tmp: Path) -> Callable[[], object]:
    """Two n-node chains whose layer names all differ: aligned by kind, not by name."""
    a, b = _chain(n, tmp, "a"), _chain(n, tmp, "b")
    b.write_text(b.read_text().replace("name: c", "name: d"))
    return lambda: api.diff(str(a), str(b), group_by="node")


def imports(n: int, tmp: Path) -> Callable[[], object]:
    library = tmp / "lib.yaml"
    blocks = "".join(f"  b{i}:\n    layers:\n      - {{op: relu}}\n" for i in range(200))
    library.write_text("version: 1\nblocks:\n" + blocks)
    path = tmp / f"imports{n}.yaml"
    path.write_text(
        HEAD.format(name="imports")
        + "imports: ["
        + ", ".join(["lib"] * n)
        + "]\nstages:\n  s1:\n    - {block: b0}\n"
    )
    return lambda: load_spec(path)


def globs(n: int, tmp: Path) -> Callable[[], object]:
    nodes = n * 6 // 5
    plan = "".join(f'  "s1.x{i}*": fp16\n' for i in range(n))
    path = tmp / f"globs{n}.yaml"
    path.write_text(
        HEAD.format(name="globs") + "precision:\n" + plan + "stages:\n  s1:\n" + _chain_layers(nodes)
    )
    return lambda: api.analyze(str(path))


def scalars(n: int, tmp: Path) -> Callable[[], object]:
    path = tmp / f"scalars{n}.yaml"
    path.write_text("x: [" + ",".join("1" for _ in range(n)) + "]\n")

    def run() -> object:
        try:
            return load_spec(path)
        except CostModelError as exc:
            return exc

    return run


SHAPES: dict[str, tuple[Callable[[int, Path], Callable[[], object]], int]] = {
    "fanout (greedy scheduler)": (fanout, 8_000),
    "diff --group-by node (alignment)": (diff, 4_800),
    "imports of one library": (imports, 5_000),
    "precision globs": (globs, 20_000),
    "scalars (rejected)": (scalars, 1_000_000),
}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default="", help="run only shapes whose name contains this")
    args = parser.parse_args()
    print(f"{'shape':36} {'n':>9} {'t(n) s':>8} {'t(2n) s':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for name, (make, base) in SHAPES.items():
            if args.only not in name:
                continue
            n = max(2, int(base * args.scale))
            small, large = timed(make(n, tmp)), timed(make(2 * n, tmp))
            print(f"{name:36} {n:>9} {small:>8.2f} {large:>8.2f} {large / small:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
