"""Channel dependency groups: the output channels that must shrink together, derived from a graph.

Every tensor's channels are traced as a list of *atoms*. A conv2d (dense, groups 1) or a linear
layer makes fresh atoms (its output channels: a *space* named after the node); ops that keep the
channels pass the list on. The rules, as dependency-graph pruning tools apply them:

- a residual `add` ties its inputs channel by channel (and the output is the same channels);
- a depthwise conv (groups == input channels) keeps its input's channels: input and output tie;
  a channel multiplier m repeats each input channel m times;
- `mul` (the squeeze-and-excitation scale) ties the gate's channels to the scaled tensor's;
- `concat` maps each input to a slice of its output; `slice` takes a range of its input;
- `channel_shuffle` (g groups) permutes the channels, and pruning keeps it a shuffle only if the
  same position is removed in every group: those g channels tie;
- `flatten` repeats each channel once per spatial position (a linear layer after it loses
  H x W features per channel pruned).

A *group* is a set of spaces joined by ties. It is prunable when none of its spaces is fixed (the
input, the model's output, a grouped conv's input and output, an op these rules do not know) and
its ties are regular: each tie class holds exactly one channel of each space, so removing k classes
removes k channels from every space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from costmodel.graph.model import Graph, Node

# Ops that keep their (single) input's channels: norms, activations, pooling, views.
_KEEPS_CHANNELS = frozenset(
    {
        "batchnorm",
        "relu",
        "relu6",
        "hardswish",
        "hardsigmoid",
        "sigmoid",
        "swish",
        "tanh",
        "gelu",
        "maxpool",
        "avgpool",
        "global_avgpool",
        "adaptive_avgpool",
        "dropout",
        "identity",
    }
)


@dataclass(frozen=True)
class ChannelGroup:
    """Output channels of `members` (conv2d/linear nodes) that must be pruned together.

    `followers`: depthwise convs whose channels are these (they shrink with the group, as do the
    norms, activations and SE gates between). `prunable` is False with the `reason` when the group
    must keep its channels."""

    name: str  # the first member in graph order
    members: tuple[str, ...]
    followers: tuple[str, ...]
    channels: int
    prunable: bool
    reason: str = ""


@dataclass
class ChannelTrace:
    """The atoms of every node's output, the tie classes, and the groups they form."""

    atoms: dict[str, list[int]]  # node -> its output channels as atom ids
    space_of: list[str]  # atom id -> the node that made it
    tie: list[int]  # union-find parent over atom ids
    fixed: set[str] = field(default_factory=set)  # spaces that must keep their channels
    followers: dict[str, list[str]] = field(default_factory=dict)  # space -> depthwise convs on it

    def find(self, atom: int) -> int:
        """The representative atom of `atom`'s tie class (with path halving)."""
        tie = self.tie
        while tie[atom] != atom:
            tie[atom] = tie[tie[atom]]
            atom = tie[atom]
        return atom

    def union(self, a: int, b: int) -> None:
        """Tie two atoms: they must be kept or removed together."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.tie[max(ra, rb)] = min(ra, rb)

    def fresh(self, space: str, count: int) -> list[int]:
        """`count` new atoms of the space `space`."""
        start = len(self.space_of)
        self.space_of.extend([space] * count)
        self.tie.extend(range(start, start + count))
        return list(range(start, start + count))

    def fix(self, atoms: list[int]) -> None:
        """The spaces of `atoms` must keep their channels."""
        self.fixed.update(self.space_of[a] for a in set(atoms))


def trace_channels(graph: Graph) -> ChannelTrace:
    """Trace every node's output channels through `graph` (see the module docstring)."""
    trace = ChannelTrace({}, [], [])
    for node in graph.nodes:
        trace.atoms[node.name] = _node_atoms(trace, node, [trace.atoms[i] for i in node.inputs])
    trace.fix(trace.atoms[graph.output])
    return trace


def is_depthwise(node: Node, in_channels: int) -> bool:
    """A conv whose every group is one input channel (MobileNet's depthwise conv)."""
    return node.op.name == "conv2d" and node.attrs["groups"] == in_channels and in_channels > 1


def _node_atoms(trace: ChannelTrace, node: Node, ins: list[list[int]]) -> list[int]:
    op = node.op.name
    if op == "input":
        atoms = trace.fresh(node.name, node.shape[0])
        trace.fix(atoms)
        return atoms
    if op in _KEEPS_CHANNELS:
        return ins[0]
    if op == "conv2d":
        return _conv_atoms(trace, node, ins[0])
    if op == "linear":
        return trace.fresh(node.name, node.shape[0])
    if op == "flatten":
        per_channel = node.shape[0] // max(1, len(ins[0]))
        return [a for a in ins[0] for _ in range(per_channel)]
    if op in ("add", "mul"):
        return _tie_inputs(trace, ins)
    if op == "concat":
        return [a for atoms in ins for a in atoms]
    if op == "slice":
        return ins[0][node.attrs["start"] : node.attrs["stop"]]
    if op == "channel_shuffle":
        return _shuffle(trace, ins[0], node.attrs["groups"])
    # An op these rules do not know: nothing it touches is pruned.
    for atoms in ins:
        trace.fix(atoms)
    out = trace.fresh(node.name, node.shape[0])
    trace.fix(out)
    return out


def _conv_atoms(trace: ChannelTrace, node: Node, ins: list[int]) -> list[int]:
    groups = node.attrs["groups"]
    if groups == 1:
        return trace.fresh(node.name, node.shape[0])
    if is_depthwise(node, len(ins)):
        for space in {trace.space_of[a] for a in ins}:
            trace.followers.setdefault(space, []).append(node.name)
        multiplier = node.shape[0] // len(ins)
        return [a for a in ins for _ in range(multiplier)]
    # A grouped conv: pruning would have to keep every group the same size; left alone.
    trace.fix(ins)
    out = trace.fresh(node.name, node.shape[0])
    trace.fix(out)
    return out


def _tie_inputs(trace: ChannelTrace, ins: list[list[int]]) -> list[int]:
    """add, or mul with same-channel inputs: channel i of every input is one channel."""
    widest = max(ins, key=len)
    for atoms in ins:
        if len(atoms) == len(widest):
            for a, b in zip(atoms, widest, strict=True):
                trace.union(a, b)
        elif len(atoms) != 1:  # a broadcast the rules do not model
            trace.fix(atoms)
            trace.fix(widest)
    return widest


def _shuffle(trace: ChannelTrace, ins: list[int], groups: int) -> list[int]:
    per_group = len(ins) // groups
    for j in range(per_group):
        for i in range(1, groups):
            trace.union(ins[j], ins[i * per_group + j])
    return [ins[i * per_group + j] for j in range(per_group) for i in range(groups)]


def channel_groups(graph: Graph) -> list[ChannelGroup]:
    """The channel groups of `graph`, in the order of their first member."""
    return groups_of(trace_channels(graph), graph)


def groups_of(trace: ChannelTrace, graph: Graph) -> list[ChannelGroup]:
    """Join the spaces that share a tie class into groups, and judge each one."""
    spaces: dict[str, list[int]] = {}
    for atom, space in enumerate(trace.space_of):
        spaces.setdefault(space, []).append(atom)
    classes: dict[int, list[int]] = {}
    for atom in range(len(trace.space_of)):
        classes.setdefault(trace.find(atom), []).append(atom)
    # spaces joined by any tie class form one group (union-find over space names)
    parent = {space: space for space in spaces}

    def root(space: str) -> str:
        while parent[space] != space:
            space = parent[space]
        return space

    for atoms in classes.values():
        first = root(trace.space_of[atoms[0]])
        for atom in atoms[1:]:
            other = root(trace.space_of[atom])
            if other != first:
                parent[other] = first
    order = {node.name: i for i, node in enumerate(graph.nodes)}
    members: dict[str, list[str]] = {}
    for space in sorted(spaces, key=order.__getitem__):
        members.setdefault(root(space), []).append(space)
    groups = [_judge(trace, names, spaces, classes) for names in members.values()]
    return [g for g in groups if g.members[0] != "input"]


def _judge(
    trace: ChannelTrace, names: list[str], spaces: dict[str, list[int]], classes: dict[int, list[int]]
) -> ChannelGroup:
    channels = len(spaces[names[0]])
    followers = tuple(dict.fromkeys(f for name in names for f in trace.followers.get(name, [])))
    reason = ""
    if any(name in trace.fixed for name in names):
        reason = "fixed: touches the input, the output, a grouped conv or an unknown op"
    else:
        for name in names:
            for atom in spaces[name]:
                tied = classes[trace.find(atom)]
                if len(tied) != len(names) or {trace.space_of[a] for a in tied} != set(names):
                    reason = "irregular: its channels are tied unevenly"
                    break
            if reason:
                break
    return ChannelGroup(names[0], tuple(names), followers, channels, not reason, reason)
