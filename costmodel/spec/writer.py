"""Writing a Graph as spec YAML: `graph_to_spec(graph) -> str`, text that `load_spec`/`parse_spec`
reads back into a graph with the same ops, attributes, shapes and therefore the same counts.

Used by `costmodel import` (an ONNX model as an editable spec) and meant for any code that makes or
changes graphs and wants a spec a person can read (compression what-ifs, search candidates).

What the text looks like:
- Stages are the graph's stages, in order (a stage that comes back after another gets `_2`).
- A layer's name is its node name inside the stage, dots as `_` (`features.3.block.0.conv` ->
  stage `features`, layer `m3_block_0_conv`: names start with a letter, so a digit gets `m`).
- `inputs:` only where the input is not the layer just before.
- Every attribute that differs from the op's default, with conv/linear `bias` always written.
- Folding (`fold=True`): a run of consecutive groups of nodes (the graph's blocks, e.g. the units of
  a ResNet stage) with the same ops, attributes and wiring, each reading only the one before it, is
  written once under `blocks:` and used with `repeat: n`; so is a run of identical single layers
  without strides. Folding never changes a count: the expanded graph has the same nodes in order.

The graph's ops must all be in the op registry (an ONNX model's unsupported ops cannot be written).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import Graph, Node
from costmodel.ops import REGISTRY

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_ALWAYS = frozenset({"bias", "stride"})  # attributes whose default depends on context: always written


def _identifier(text: str, taken: set[str]) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "layer"
    if name[0].isdigit():
        name = "m" + name
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return (
        text
        if _PLAIN.match(text) and text not in ("true", "false", "null", "yes", "no")
        else json.dumps(text)
    )


class _Items(tuple[Any, ...]):
    """A list attribute (a shape, a permutation): written as a list even when it is two equal
    numbers, which a pair attribute writes as one."""


def _value(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        if not isinstance(value, _Items) and len(value) == 2 and value[0] == value[1]:  # a pair
            return _scalar(value[0])
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return _scalar(value)


def _attrs(node: Node) -> list[tuple[str, Any]]:
    """The attributes a spec must give for the node's op to get `node.attrs`."""
    op = REGISTRY.get(node.op.name)
    if op is None or op is not node.op:
        raise CostModelError(
            ErrorCode.UNKNOWN_OP,
            f"op '{node.op.name}' is not in the op registry and cannot be written to a spec",
            node=node.name,
        )
    written = []
    for key, spec in op.attrs.items():
        value = node.attrs.get(key, spec.default)
        if key in _ALWAYS or value != spec.default:
            written.append((key, _Items(value) if spec.kind == "ints" else value))
    return written


def _mapping(items: list[tuple[str, Any]]) -> str:
    def text(key: str, value: Any) -> str:
        if key == "inputs":  # always a list, even of one name twice (x * x)
            return "[" + ", ".join(_scalar(v) for v in value) + "]"
        return _value(value)

    return "{" + ", ".join(f"{key}: {text(key, value)}" for key, value in items) + "}"


def _signature(nodes: list[Node], readers: dict[str, list[str]]) -> tuple[Any, ...] | None:
    """What a group of nodes computes, independent of names: ops, attributes and wiring (inputs as
    positions in the group, -1 for the one outside input). None: not foldable (more than one
    outside input, or a node other than the last read from outside the group)."""
    position = {node.name: i for i, node in enumerate(nodes)}
    external = {i for node in nodes for i in node.inputs if i not in position}
    if len(external) != 1:
        return None
    items = []
    for node in nodes:
        wiring = tuple(position.get(i, -1) for i in node.inputs)
        items.append((node.op.name, tuple(_attrs(node)), wiring))
    if any(reader not in position for node in nodes[:-1] for reader in readers.get(node.name, [])):
        return None  # a node other than the group's output is read from elsewhere
    return tuple(items)


@dataclass
class _Run:
    """Consecutive nodes written as one layer: one node, or `count` copies of a group."""

    nodes: list[Node]
    count: int = 1
    group: int = 1  # nodes per copy


@dataclass
class _Writer:
    graph: Graph
    fold: bool
    lines: list[str] = field(default_factory=list)
    block_lines: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # node name -> 'stage.layer' reference
    taken_stages: set[str] = field(default_factory=set)
    blocks: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def stages(self) -> list[tuple[str, list[Node]]]:
        runs: list[tuple[str, list[Node]]] = []
        for node in self.graph.nodes:
            if node.op.name == "input":
                continue
            if not runs or runs[-1][0] != node.stage:
                runs.append((node.stage, []))
            runs[-1][1].append(node)
        return [(_identifier(stage, self.taken_stages), nodes) for stage, nodes in runs]

    def readers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for node in self.graph.nodes:
            for source in node.inputs:
                found.setdefault(source, []).append(node.name)
        return found

    def runs(self, nodes: list[Node], readers: dict[str, list[str]]) -> list[_Run]:
        groups: list[list[Node]] = []
        for node in nodes:
            if groups and groups[-1][0].block == node.block:
                groups[-1].append(node)
            else:
                groups.append([node])
        runs: list[_Run] = []
        for group in groups:
            runs.extend(self.fold_group(group, runs, readers))
        return runs

    def fold_group(self, group: list[Node], runs: list[_Run], readers: dict[str, list[str]]) -> list[_Run]:
        """`group` as a further copy of the run before it, or as runs of its own."""
        if self.fold and runs:
            last = runs[-1]
            previous = last.nodes[-last.group :]
            foldable = len(group) == len(previous) and (len(group) > 1 or _stride_free(group))
            names = {node.name for node in group}
            handed_over = all(reader in names for reader in readers.get(previous[-1].name, []))
            if foldable and handed_over and _follows(group, previous):
                signature = _signature(group, readers)
                if signature is not None and signature == _signature(previous, readers):
                    last.nodes.extend(group)
                    last.count += 1
                    last.group = len(group)
                    return []
        if len(group) > 1 and self.fold and _signature(group, readers) is not None:
            return [_Run(group, 1, len(group))]  # may be followed by copies of itself
        return [_Run([node]) for node in group]

    def reference(self, source: str, stage: str) -> str:
        ref = self.where.get(source, "input")
        return ref.removeprefix(f"{stage}.") if ref.startswith(f"{stage}.") and ref.count(".") == 1 else ref

    def write_run(self, run: _Run, stage: str, taken: set[str], previous: str | None) -> str:
        first = run.nodes[0]
        items: list[tuple[str, Any]]
        if run.count == 1 and run.group == 1:
            items = [
                ("name", _identifier(first.name.removeprefix(f"{first.stage}."), taken)),
                ("op", first.op.name),
            ]
            items += _attrs(first)
        else:
            copy = run.nodes[: run.group]
            name = _identifier(
                (first.block if run.group > 1 else first.name).removeprefix(f"{first.stage}."), taken
            )
            items = [("name", name)]
            if run.group > 1:
                items.append(("block", self.block_for(copy)))
            else:
                items += [("op", first.op.name), *_attrs(first)]
            if run.count > 1:
                items.append(("repeat", run.count))
        sources = [i for i in first.inputs if i not in {n.name for n in run.nodes[: run.group]}]
        if run.group == 1:
            sources = list(first.inputs)
        if sources != [previous or "input"] and sources:  # no sources: an op reading nothing (param)
            items.append(("inputs", [self.reference(s, stage) for s in sources]))
        self.lines.append(f"    - {_mapping(items)}")
        layer = str(items[0][1])
        self.where[run.nodes[-1].name] = f"{stage}.{layer}"
        return run.nodes[-1].name

    def block_for(self, nodes: list[Node]) -> str:
        """The name of a block (written under `blocks:`) computing `nodes` from one input."""
        key = _signature(nodes, {}) or tuple(node.name for node in nodes)
        if key in self.blocks:
            return self.blocks[key]
        name = _identifier(f"unit_{len(self.blocks) + 1}", set(self.blocks.values()))
        self.blocks[key] = name
        local: dict[str, str] = {}
        taken: set[str] = set()
        self.block_lines.append(f"  {name}:")
        self.block_lines.append("    layers:")
        for index, node in enumerate(nodes):
            layer = _identifier(node.name.rsplit(".", 1)[-1], taken)
            items: list[tuple[str, Any]] = [("name", layer), ("op", node.op.name), *_attrs(node)]
            sources = [local.get(i, "input") for i in node.inputs]
            default = [local[nodes[index - 1].name]] if index else ["input"]
            if sources != default and sources:  # no sources: an op that reads nothing (param)
                items.append(("inputs", sources))
            local[node.name] = layer
            self.block_lines.append(f"      - {_mapping(items)}")
        return name


def _stride_free(nodes: list[Node]) -> bool:
    return all(tuple(node.attrs.get("stride") or (1, 1)) == (1, 1) for node in nodes)


def _follows(group: list[Node], previous: list[Node]) -> bool:
    """Whether the group's one outside input is the output of the copy before it."""
    names = {node.name for node in group}
    outside = {i for node in group for i in node.inputs if i not in names}
    return outside == {previous[-1].name}


def graph_to_spec(
    graph: Graph, *, name: str | None = None, title: str | None = None, fold: bool = True
) -> str:
    """Spec YAML for `graph` (see the module docs); `name`/`title` default to the graph's spec's.

    Raises CostModelError (E104) for a node whose op is not in the registry."""
    writer = _Writer(graph, fold)
    readers = writer.readers()
    previous: str | None = None
    for stage, nodes in writer.stages():
        writer.lines.append(f"  {stage}:")
        taken: set[str] = set()
        for run in writer.runs(nodes, readers):
            if run.count == 1 and run.group > 1:  # a unit that did not repeat: its layers inline
                for node in run.nodes:
                    previous = writer.write_run(_Run([node]), stage, taken, previous)
            else:
                previous = writer.write_run(run, stage, taken, previous)
    spec = graph.spec
    head = [
        "version: 1",
        f"name: {_scalar(_identifier(name or spec.name, set()))}",
        f"title: {json.dumps(title if title is not None else spec.title)}",
    ]
    if spec.source:
        head.append(f"source: {json.dumps(spec.source)}")
    head.append(f"input: [{', '.join(str(d) for d in graph.input_shape)}]")
    if writer.block_lines:
        head += ["blocks:", *writer.block_lines]
    return "\n".join([*head, "stages:", *writer.lines]) + "\n"


def same_graph(a: Graph, b: Graph) -> bool:
    """Whether two graphs have the same ops, attributes and shapes in the same order (what makes
    their counts equal, whatever the nodes are called)."""
    return [(n.op.name, n.attrs, n.shape) for n in a.nodes] == [
        (n.op.name, n.attrs, n.shape) for n in b.nodes
    ]
