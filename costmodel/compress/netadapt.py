"""NetAdapt (Yang et al., ECCV 2018), as MobileNetV3 used it (Howard et al., ICCV 2019, Sec. 4.2).

Each step makes one proposal per prunable channel group (shrinking an expansion layer, or the
bottleneck shared by the blocks a residual ties together, which keeps every residual valid): the
smallest reduction, in multiples of the divisor, that saves at least Delta R of latency (1% of the
original by default). The proposal with the best Delta accuracy / |Delta latency| is taken
(MobileNetV3's rule), until the latency is at or under the target. Accuracy comes from a pluggable
callable `(graph, name, macs) -> top-1`, where `name` is the design's (the original's spec name, or
`proposal_name(...)` of a proposal: what a CSV of measured accuracies is keyed by; the search's
sources plug in through compress/adapt_accuracy.py); the default is a proxy, the fraction of the
original MACs kept (in %), labelled "proxy" wherever it is shown: it knows nothing of what a
fine-tuned network keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from costmodel.compress.groups import groups_of, trace_channels
from costmodel.compress.prune import apply_pruning
from costmodel.cost.analysis import AnalysisResult, analyze_graph
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.model import Graph
from costmodel.hw.profile import HardwareProfile

Accuracy = Callable[[Graph, str, int], float]  # (design, its name, its MACs) -> top-1 %


@dataclass(frozen=True)
class AdaptStep:
    """One step of the trajectory: the group shrunk (none for step 0) and the design after it."""

    step: int
    group: str
    channels_before: int
    channels_after: int
    latency_s: float
    macs: int
    params: int
    accuracy: float
    graph: Graph


def macs_kept_proxy(original_macs: int) -> Accuracy:
    """The default accuracy source: the share of the original MACs kept, in % ("proxy")."""
    return lambda graph, name, macs: 100.0 * macs / original_macs


def proposal_name(design: str, step: int, group: str) -> str:
    """The name of the proposal shrinking `group` at `step` (a CSV of accuracies is keyed by it)."""
    return f"{design}_step{step:02d}_{group}"


def adapt(
    graph: Graph,
    hw: HardwareProfile,
    options: AnalysisOptions,
    target_s: float,
    *,
    delta_r: float = 0.01,
    divisor: int = 8,
    accuracy: Accuracy | None = None,
) -> list[AdaptStep]:
    """The NetAdapt trajectory from `graph` down to `target_s` seconds on `hw`."""
    if not 0.0 < delta_r < 1.0:
        raise CostModelError(ErrorCode.OPTION, f"--delta-r: expected a fraction in (0, 1), got {delta_r}")
    first = analyze_graph(graph, hw, options).total
    if not 0.0 < target_s < first.latency_s:
        raise CostModelError(
            ErrorCode.OPTION,
            f"target {target_s:.6g} s is not below the design's latency {first.latency_s:.6g} s",
        )
    score = accuracy or macs_kept_proxy(first.macs)
    step_s = delta_r * first.latency_s
    trace = trace_channels(graph)
    groups = groups_of(trace, graph)
    kept = {g.name: g.channels for g in groups if g.prunable}
    cut = partial(apply_pruning, graph, trace, groups)  # the original's trace, traced once
    _check_reachable(cut, hw, options, kept, target_s, divisor)
    top1 = score(graph, graph.spec.name, first.macs)
    trajectory = [AdaptStep(0, "", 0, 0, first.latency_s, first.macs, first.params, top1, graph)]
    while trajectory[-1].latency_s > target_s:
        current = trajectory[-1]
        best: tuple[float, AdaptStep] | None = None
        for name, channels in kept.items():
            found = _smallest_cut(cut, hw, options, kept, name, current.latency_s - step_s, divisor)
            if found is None:
                continue
            new_channels, pruned, result = found
            total = result.total
            proposal = AdaptStep(
                current.step + 1,
                name,
                channels,
                new_channels,
                total.latency_s,
                total.macs,
                total.params,
                score(pruned, proposal_name(graph.spec.name, current.step + 1, name), total.macs),
                pruned,
            )
            ratio = (proposal.accuracy - current.accuracy) / (current.latency_s - total.latency_s)
            if best is None or ratio > best[0]:
                best = (ratio, proposal)
        if best is None:
            raise CostModelError(
                ErrorCode.OPTION,
                f"no group can save another {step_s:.6g} s: the target {target_s:.6g} s is out of reach "
                f"(reached {current.latency_s:.6g} s)",
            )
        kept[best[1].group] = best[1].channels_after
        trajectory.append(best[1])
    return trajectory


def _check_reachable(
    cut: Callable[[dict[str, int]], Graph],
    hw: HardwareProfile,
    options: AnalysisOptions,
    kept: dict[str, int],
    target_s: float,
    divisor: int,
) -> None:
    """Refuse at once a target below the design with every group cut as far as NetAdapt may cut it
    (one divisor of channels): one analysis instead of a whole trajectory that ends short."""
    smallest = {name: c - max(0, (c - divisor) // divisor) * divisor for name, c in kept.items()}
    floor_s = analyze_graph(cut(smallest), hw, options).total.latency_s
    if target_s < floor_s:
        raise CostModelError(
            ErrorCode.OPTION,
            f"the target {target_s:.6g} s is out of reach: with every prunable group cut to its "
            f"smallest ({divisor}-channel steps) the latency is {floor_s:.6g} s",
        )


def _smallest_cut(
    cut: Callable[[dict[str, int]], Graph],
    hw: HardwareProfile,
    options: AnalysisOptions,
    kept: dict[str, int],
    name: str,
    goal_s: float,
    divisor: int,
) -> tuple[int, Graph, AnalysisResult] | None:
    """The fewest divisor-steps off group `name` that bring the latency to `goal_s` or under
    (doubling, then bisecting), with the pruned graph and its analysis; None if none does."""
    most = (kept[name] - divisor) // divisor  # never below one divisor of channels

    def trial(steps: int) -> tuple[int, Graph, AnalysisResult]:
        channels = kept[name] - steps * divisor
        pruned = cut({**kept, name: channels})
        return channels, pruned, analyze_graph(pruned, hw, options)

    if most < 1:
        return None
    low, high = 0, 1
    found = trial(1)
    while found[2].total.latency_s > goal_s:
        if high == most:
            return None
        low, high = high, min(2 * high, most)
        found = trial(high)
    while high - low > 1:
        middle = (low + high) // 2
        candidate = trial(middle)
        if candidate[2].total.latency_s <= goal_s:
            high, found = middle, candidate
        else:
            low = middle
    return found
