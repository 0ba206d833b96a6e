"""Latency lookup tables of a search space: one entry per (stage, block choice, input shape).

FBNet (Wu et al., CVPR 2019, Section 3.2), ProxylessNAS (Cai et al., ICLR 2019, Section 3.3)
and Once-for-All (Cai et al., ICLR 2020, Section 3.3) predict a candidate's latency as the sum of
its blocks' latencies, each measured on its own. Here each entry is the analysis of one stage of
the space with one combination of its choices, alone: a model whose input is the stage's input
(read from DRAM) and whose output is the stage's output (written to DRAM). Summing a candidate's
entries gives its params and MACs exactly; its latency and energy are at least the analysis of the
assembled candidate, because in the assembled model a tensor handed from one stage to the next
may stay on chip (the analysis' cache residency), which a block measured alone cannot know; with
the on-chip cache off (`cache=False`) the sum equals the analysis. Kernels do not fuse across
stages in these spaces; where they did, the table would also count a kernel launch too many.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from dataclasses import dataclass, replace
from typing import Any

from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.design.space import Candidate, Space
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile

LUT_COLUMNS = (
    "stage",
    "choices",
    "width",
    "depth",
    "input_shape",
    "output_shape",
    "latency_s",
    "energy_j",
    "params",
    "macs",
    "kernels",
)


@dataclass(frozen=True)
class LutEntry:
    """One stage with one combination of its choices, on one input shape, analysed alone."""

    stage: str
    choices: tuple[tuple[str, Any], ...]  # (decision label, value) of the stage's decisions
    width: float
    depth: float
    input_shape: tuple[int, ...]  # (C, H, W) entering the stage
    output_shape: tuple[int, ...]
    latency_s: float
    energy_j: float
    params: int
    macs: int
    kernels: int

    def row(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "choices": " ".join(f"{label}={value}" for label, value in self.choices),
            "width": self.width,
            "depth": self.depth,
            "input_shape": "x".join(map(str, self.input_shape)),
            "output_shape": "x".join(map(str, self.output_shape)),
            "latency_s": self.latency_s,
            "energy_j": self.energy_j,
            "params": self.params,
            "macs": self.macs,
            "kernels": self.kernels,
        }


@dataclass(frozen=True)
class LutTable:
    """A space's lookup table on one profile (what `costmodel lut` writes)."""

    space: Space
    hw: HardwareProfile
    entries: list[LutEntry]
    runtime: str | None = None  # the runtime the entries were costed under


def _stage_alone(space: Space, candidate: Candidate, stage: str, shape: tuple[int, ...], first: bool) -> Any:
    """The candidate's spec cut down to `stage`, its input the tensor entering the stage."""
    spec = space.spec(candidate)
    update: dict[str, Any] = {"stages": {stage: spec.stages[stage]}, "aux": {}}
    if not first:
        update["input"] = shape
    return spec.model_copy(update=update)


def build_lut(
    space: Space, hw: HardwareProfile, options: AnalysisOptions = AnalysisOptions()
) -> list[LutEntry]:
    """Entries for every stage, every combination of its choices and every input shape the
    earlier stages can hand it, at every width x depth x resolution of the space."""
    groups = space.stage_groups()
    multipliers = [i for i, d in enumerate(space.decisions) if d.target == "*"]
    entries: list[LutEntry] = []
    for chosen in itertools.product(*(range(len(space.decisions[i].values)) for i in multipliers)):
        base = list(space.default)
        for i, value in zip(multipliers, chosen, strict=True):
            base[i] = value
        candidate_options = space.options(tuple(base), options)
        shapes: set[tuple[int, ...]] = {()}
        for n, stage in enumerate(space.base.stages):
            indices = groups.get(stage, ())
            next_shapes: set[tuple[int, ...]] = set()
            for shape in sorted(shapes):
                for combo in itertools.product(*(range(len(space.decisions[i].values)) for i in indices)):
                    candidate = list(base)
                    for i, value in zip(indices, combo, strict=True):
                        candidate[i] = value
                    ends = (n == 0, n == len(space.base.stages) - 1)
                    entry = _entry(space, tuple(candidate), stage, shape, ends, hw, candidate_options)
                    entries.append(entry)
                    next_shapes.add(entry.output_shape)
            shapes = next_shapes
    return entries


def _entry(
    space: Space,
    candidate: Candidate,
    stage: str,
    shape: tuple[int, ...],
    ends: tuple[bool, bool],
    hw: HardwareProfile,
    options: AnalysisOptions,
) -> LutEntry:
    """The entry of `stage` alone; `ends`: whether it is the model's first / last stage (only
    those hold the fp32 input's quantize and the output's dequantize of an integer model)."""
    first = ends[0]
    alone = _stage_alone(space, candidate, stage, shape, first)
    stage_options = options if first else replace(options, resolution=None)
    result = analyze(alone, hw, stage_options, model_ends=ends)
    return LutEntry(
        stage,
        _own_choices(space, candidate, stage),
        options.width,
        options.depth,
        tuple(result.input_shape[1:]),
        tuple(result.nodes[-1].shape),
        result.totals.latency_s,
        result.totals.energy_j,
        result.totals.params,
        result.totals.macs,
        result.kernels,
    )


def _own_choices(space: Space, candidate: Candidate, stage: str) -> tuple[tuple[str, Any], ...]:
    indices = space.stage_groups().get(stage, ())
    return tuple((space.decisions[i].label, space.decisions[i].values[candidate[i]]) for i in indices)


def lookup(entries: list[LutEntry], space: Space, candidate: Candidate) -> list[LutEntry]:
    """The entries a candidate is assembled from, stage by stage (FBNet's sum runs over these)."""
    options = space.options(candidate)
    by_key = {(e.stage, e.choices, e.width, e.depth, e.input_shape): e for e in entries}
    if len(space.base.input) != 3 or not all(isinstance(v, int) for v in space.base.input):
        raise CostModelError(
            ErrorCode.OPTION, "latency tables need an image spec with a fixed [C, H, W] input"
        )
    channels, height, width = (int(v) for v in space.base.input)
    side = options.resolution
    shape: tuple[Any, ...] = (channels, side, side) if side is not None else (channels, height, width)
    chosen: list[LutEntry] = []
    for stage in space.base.stages:
        own = _own_choices(space, candidate, stage)
        entry = by_key[(stage, own, options.width, options.depth, shape)]
        chosen.append(entry)
        shape = entry.output_shape
    return chosen


def lut_csv(entries: list[LutEntry]) -> str:
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=LUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(entry.row())
    return stream.getvalue()


def lut_json(space: Space, hw: HardwareProfile, entries: list[LutEntry], runtime: str | None = None) -> str:
    from costmodel.present.versioned import versioned

    data = versioned(
        {
            "space": space.name,
            "hardware": hw.name,
            "runtime": runtime or hw.runtime,
            "note": "each entry is its stage analysed alone (input read from DRAM, output written to "
            "DRAM); the sum over a candidate's stages overestimates its latency where tensors stay "
            "on chip between stages (docs/search.md)",
            "entries": [
                entry.row()
                | {"input_shape": list(entry.input_shape), "output_shape": list(entry.output_shape)}
                for entry in entries
            ],
        }
    )
    return json.dumps(data, indent=1) + "\n"


def lut_sum(entries: list[LutEntry], metric: str) -> float:
    """The sum of one metric over entries (FBNet's predicted latency when metric is latency_s)."""
    return math.fsum(float(getattr(e, metric)) for e in entries)
