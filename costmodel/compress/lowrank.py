"""Low-rank factorisation: a conv2d or linear node replaced by a chain of cheaper ones.

Methods (per node; the last factor keeps the node's name, bias, and the norm/act after it, so
consumers and diffs see the same name; the earlier factors are NAME.f1, NAME.f2, ... without bias):

- `svd`: W (m x n) = U (m x r) V (r x n): a linear layer, or a 1x1 conv, becomes n -> r -> m.
  Params r (m + n) instead of m n.
- `kx1`: a k x k conv becomes k x 1 then 1 x k (Szegedy et al., Rethinking the Inception
  Architecture, CVPR 2016, Sec. 3.2: a 3x3 as 3x1 + 1x3 is 33% cheaper at equal channels); the
  rank is the channels between the two (default: the output channels).
- `stack3`: a k x k conv (odd k >= 5) becomes (k - 1) / 2 stacked 3 x 3 convs (ibid. Sec. 3.1: a
  5x5 as two 3x3 is 28% cheaper at equal channels); the rank is the channels between them
  (default: the output channels).
- `tucker`: Tucker-2 (Kim et al., Compression of Deep CNNs for Fast and Low Power Mobile
  Applications, ICLR 2016): 1x1 down to r_in, k x k core r_in -> r_out, 1x1 up; a rank r gives
  r_in = r_out = r, a fraction f gives r_in = f c_in, r_out = f c_out (rounded, at least 1).
- `separable`: depthwise k x k on the input channels, then 1x1 to the outputs (Howard et al.,
  MobileNets, 2017, Sec. 3.1: cost ratio 1/N + 1/Dk^2). No norm between the two is added.

A rank is a number of channels (an integer >= 1) or a fraction in (0, 1) of the channels it
reduces; a rank larger than the layer's channels is an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from costmodel.compress.design import NewNode, rebuild, same_node
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import Graph, Node
from costmodel.ops.registry import REGISTRY

METHODS = ("svd", "kx1", "stack3", "tucker", "separable")


@dataclass(frozen=True)
class Factorization:
    """Factorise the conv2d/linear nodes `glob` matches by `method`, to `rank` (None: the default)."""

    glob: str
    method: str
    rank: float | None = None  # an integer >= 1 (channels) or a fraction in (0, 1)


def parse_factorizations(texts: list[str]) -> list[Factorization]:
    """'GLOB=METHOD[:RANK]' rules (the --factorize values)."""
    rules = []
    for text in texts:
        glob, sep, rest = text.rpartition("=")
        method, _, rank_text = rest.partition(":")
        if not sep or not glob or method not in METHODS:
            raise CostModelError(
                ErrorCode.OPTION,
                f"--factorize: expected GLOB=METHOD[:RANK], METHOD one of {', '.join(METHODS)}; got '{text}'",
            )
        rules.append(Factorization(glob, method, _parse_rank(rank_text, text) if rank_text else None))
    return rules


def _parse_rank(text: str, rule: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0.0 < value < 1.0 or (value >= 1.0 and value.is_integer())):
        raise CostModelError(
            ErrorCode.OPTION,
            f"--factorize '{rule}': a rank is an integer >= 1 or a fraction in (0, 1), got '{text}'",
        )
    return value


def rank_of(rank: float | None, channels: int, default: int, node: str) -> int:
    """The rank in channels: `default` when unset, a fraction of `channels`, or the number itself."""
    if rank is None:
        return default
    value = max(1, round(rank * channels)) if rank < 1.0 else int(rank)
    if value > channels:
        raise CostModelError(
            ErrorCode.OPTION, f"rank {value} is larger than the layer's {channels} channels", node=node
        )
    return value


def _suits(method: str, node: Node) -> bool:
    """Whether `method` applies to `node` (dense conv or linear of the right kernel)."""
    if node.op.name == "linear":
        return method == "svd"
    if node.op.name != "conv2d" or node.attrs["groups"] != 1:
        return False
    kernel: tuple[int, int] = tuple(node.attrs["kernel"])
    if method == "svd":
        return kernel == (1, 1)
    if method == "stack3":
        return bool(kernel[0] == kernel[1] and kernel[0] >= 5 and kernel[0] % 2 == 1)
    if method == "kx1":
        return bool(kernel[0] == kernel[1] > 1)
    return kernel != (1, 1)


def factorize_graph(graph: Graph, rules: list[Factorization]) -> Graph:
    """`graph` with every node a rule matches replaced by its factors (later rules win)."""
    chosen: dict[str, Factorization] = {}
    for rule in rules:
        matched = [
            n for n in graph.nodes if n.op.name in ("conv2d", "linear") and fnmatchcase(n.name, rule.glob)
        ]
        if not matched:
            raise CostModelError(
                ErrorCode.OPTION, f"--factorize '{rule.glob}': the glob matches no conv2d or linear node"
            )
        suited = [n for n in matched if _suits(rule.method, n)]
        if not suited:
            raise CostModelError(
                ErrorCode.OPTION,
                f"--factorize '{rule.glob}={rule.method}': no matched node suits the method "
                f"(e.g. {matched[0].name}: {matched[0].op.name} {_kernel_text(matched[0])})",
            )
        chosen.update({n.name: rule for n in suited})
    nodes: list[NewNode] = []
    for node in graph.nodes:
        applied = chosen.get(node.name)
        if applied is None:
            nodes.append(same_node(node))
        else:
            in_channels = graph.by_name[node.inputs[0]].shape[0]
            nodes.extend(factors(node, in_channels, applied.method, applied.rank))
    return rebuild(graph, nodes, label="factorised")


def _kernel_text(node: Node) -> str:
    if node.op.name == "linear":
        return ""
    kh, kw = node.attrs["kernel"]
    return f"{kh}x{kw} groups={node.attrs['groups']}"


def _conv(node: Node, suffix: str, inputs: tuple[str, ...], out: int, **attrs: Any) -> NewNode:
    """A conv factor of `node` (named NAME.suffix, or NAME for the last), unbiased unless the last."""
    base = {**node.attrs, "stride": (1, 1), "dilation": (1, 1), "groups": 1, "bias": False}
    if not suffix:
        base["bias"] = node.attrs["bias"]
    name = f"{node.name}.{suffix}" if suffix else node.name
    return NewNode(name, REGISTRY["conv2d"], {**base, "out": out, **attrs}, inputs, node)


def factors(node: Node, in_channels: int, method: str, rank: float | None) -> list[NewNode]:
    """The chain of nodes that replaces `node` (whose input has `in_channels` channels)."""
    out, source, name = node.attrs["out"], node.inputs, node.name
    if method == "svd":
        r = rank_of(rank, min(in_channels, out), min(in_channels, out), name)
        if node.op.name == "linear":
            first = NewNode(f"{name}.f1", node.op, {"out": r, "bias": False}, source, node)
            return [first, NewNode(name, node.op, dict(node.attrs), (first.name,), node)]
        first = _conv(node, "f1", source, r, kernel=(1, 1), padding=(0, 0))
        return [first, _conv(node, "", (first.name,), out, kernel=(1, 1), padding=(0, 0))]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        node.attrs[k] for k in ("kernel", "stride", "padding", "dilation")
    )
    if method == "kx1":
        r = rank_of(rank, out, out, name)
        first = _conv(
            node, "f1", source, r, kernel=(kh, 1), stride=(sh, 1), padding=(ph, 0), dilation=(dh, 1)
        )
        return [
            first,
            _conv(
                node,
                "",
                (first.name,),
                out,
                kernel=(1, kw),
                stride=(1, sw),
                padding=(0, pw),
                dilation=(1, dw),
            ),
        ]
    if method == "stack3":
        return _stack3(node, rank, out, (ph, pw))
    if method == "tucker":
        r_in = rank_of(rank, in_channels, in_channels, name)
        r_out = rank_of(rank, out, out, name)
        down = _conv(node, "f1", source, r_in, kernel=(1, 1), padding=(0, 0))
        core = _conv(node, "f2", (down.name,), r_out, stride=(sh, sw), dilation=(dh, dw))
        return [down, core, _conv(node, "", (core.name,), out, kernel=(1, 1), padding=(0, 0))]
    depthwise = _conv(node, "f1", source, in_channels, groups=in_channels, stride=(sh, sw), dilation=(dh, dw))
    return [depthwise, _conv(node, "", (depthwise.name,), out, kernel=(1, 1), padding=(0, 0))]


def _stack3(node: Node, rank: float | None, out: int, padding: tuple[Any, Any]) -> list[NewNode]:
    """(k - 1) / 2 stacked 3x3 convs: the same receptive field; the stride on the first."""
    count = (node.attrs["kernel"][0] - 1) // 2
    r = rank_of(rank, out, out, node.name)

    def each(pad: Any) -> Any:
        if isinstance(pad, int):
            if pad % count:
                raise CostModelError(
                    ErrorCode.OPTION, f"padding {pad} cannot be split over {count} 3x3 convs", node=node.name
                )
            return pad // count
        return pad

    step = (each(padding[0]), each(padding[1]))
    chain: list[NewNode] = []
    source = node.inputs
    for i in range(1, count + 1):
        last = i == count
        stride = node.attrs["stride"] if i == 1 else (1, 1)
        factor = _conv(
            node,
            "" if last else f"f{i}",
            source,
            out if last else r,
            kernel=(3, 3),
            stride=stride,
            padding=step,
        )
        chain.append(factor)
        source = (factor.name,)
    return chain
