"""Structured pruning: remove a fraction of the channels of the groups a glob matches.

`--prune 'GLOB=FRACTION'` removes FRACTION of the channels of every prunable channel group that
has a member (a conv2d or linear node whose output channels the group holds) matching GLOB; the
channels kept are rounded to a multiple of the divisor (8 by default, never below one divisor:
`max(d, floor(kept + d/2) / d) * d`, capped at the group's channels). Later rules win over earlier
ones for a group both match. The last channels of each tie class order are the ones removed (which
channels go does not change any count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase

from costmodel.compress.design import NewNode, rebuild, same_node
from costmodel.compress.groups import ChannelGroup, ChannelTrace, groups_of, is_depthwise, trace_channels
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import Graph, Node


@dataclass(frozen=True)
class PruneRule:
    """Remove `fraction` of the channels of the groups `glob` matches."""

    glob: str
    fraction: float


def parse_fraction(text: str, what: str) -> float:
    """A number strictly between 0 and 1, or a one-line error naming `what`."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise CostModelError(ErrorCode.OPTION, f"{what}: expected a fraction in (0, 1), got '{text}'")
    return value


def parse_rules(texts: list[str]) -> list[PruneRule]:
    """'GLOB=FRACTION' rules (the --prune values)."""
    rules = []
    for text in texts:
        glob, sep, value = text.rpartition("=")
        if not sep or not glob:
            raise CostModelError(ErrorCode.OPTION, f"--prune: expected GLOB=FRACTION, got '{text}'")
        rules.append(PruneRule(glob, parse_fraction(value, f"--prune '{text}'")))
    return rules


def kept_channels(channels: int, fraction: float, divisor: int) -> int:
    """Channels left after removing `fraction`, rounded to a multiple of `divisor`."""
    kept = channels * (1.0 - fraction)
    rounded = max(divisor, int(kept + divisor / 2) // divisor * divisor)
    return min(channels, rounded)


def matches(group: ChannelGroup, glob: str) -> bool:
    """Whether `glob` matches the group's name or any of its members."""
    return any(fnmatchcase(name, glob) for name in (group.name, *group.members))


def plan_pruning(groups: list[ChannelGroup], rules: list[PruneRule], divisor: int) -> dict[str, int]:
    """Group name -> channels kept, for every group a rule changes."""
    if divisor < 1:
        raise CostModelError(ErrorCode.OPTION, f"--divisor must be >= 1, got {divisor}")
    kept: dict[str, int] = {}
    for rule in rules:
        matched = [g for g in groups if matches(g, rule.glob)]
        if not matched:
            raise CostModelError(
                ErrorCode.OPTION,
                f"--prune '{rule.glob}': the glob matches no channel group (see --show-groups)",
            )
        prunable = [g for g in matched if g.prunable]
        if not prunable:
            raise CostModelError(
                ErrorCode.OPTION,
                f"--prune '{rule.glob}': matches only groups that cannot be pruned ({matched[0].name}: "
                f"{matched[0].reason})",
            )
        for group in prunable:
            kept[group.name] = kept_channels(group.channels, rule.fraction, divisor)
    return kept


def removed_atoms(trace: ChannelTrace, groups: list[ChannelGroup], kept: dict[str, int]) -> set[int]:
    """The atoms (channels) that go: the last tie classes of each pruned group."""
    removed: set[int] = set()
    classes: dict[int, list[int]] = {}
    for atom in range(len(trace.space_of)):
        classes.setdefault(trace.find(atom), []).append(atom)
    first_atoms: dict[str, list[int]] = {}
    for atom, space in enumerate(trace.space_of):
        first_atoms.setdefault(space, []).append(atom)
    for group in groups:
        if group.name in kept:
            for atom in first_atoms[group.name][kept[group.name] :]:
                removed.update(classes[trace.find(atom)])
    return removed


def prune(graph: Graph, rules: list[PruneRule], divisor: int = 8) -> Graph:
    """`graph` with the channels the rules remove taken out of every node that holds them."""
    trace = trace_channels(graph)
    groups = groups_of(trace, graph)
    return apply_pruning(graph, trace, groups, plan_pruning(groups, rules, divisor))


def prune_channels(graph: Graph, kept: dict[str, int]) -> Graph:
    """`graph` with the groups named in `kept` (prunable ones) cut to that many channels."""
    trace = trace_channels(graph)
    return apply_pruning(graph, trace, groups_of(trace, graph), kept)


def apply_pruning(
    graph: Graph, trace: ChannelTrace, groups: list[ChannelGroup], kept: dict[str, int]
) -> Graph:
    """`graph` (traced as `trace`, grouped as `groups`) with the groups in `kept` cut to that size."""
    gone = removed_atoms(trace, groups, kept)
    nodes = [_pruned_node(node, trace, gone) for node in graph.nodes]
    return rebuild(graph, nodes, label="pruned")


def _left(atoms: list[int], gone: set[int]) -> int:
    return sum(1 for a in atoms if a not in gone)


def _pruned_node(node: Node, trace: ChannelTrace, gone: set[int]) -> NewNode:
    op = node.op.name
    out = _left(trace.atoms[node.name], gone)
    if op in ("conv2d", "linear") and out != node.attrs["out"]:
        if op == "conv2d" and node.attrs["groups"] > 1:
            ins = trace.atoms[node.inputs[0]]
            if is_depthwise(node, len(ins)):
                return same_node(node, out=out, groups=_left(ins, gone))
        return same_node(node, out=out)
    if op == "slice":
        ins = trace.atoms[node.inputs[0]]
        start, stop = node.attrs["start"], node.attrs["stop"]
        return same_node(node, start=_left(ins[:start], gone), stop=_left(ins[:stop], gone))
    return same_node(node)
