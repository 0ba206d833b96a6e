"""Generation summary of a language model: a prompt of P tokens, then G generated tokens.

- time to first token (TTFT): the prefill of the P prompt tokens (its last position's logits give
  the first new token);
- time per output token (TPOT): the mean latency of the decode steps, step i attending to P + i
  positions (i = 1 .. G - 1; with G = 1 there is no decode step and TPOT is 0). A step's latency
  is a sum of per-kernel max(compute, DRAM) terms, each linear in the context, so it is piecewise
  linear; the mean is taken over at most DECODE_SAMPLES evenly spaced steps (exact when G - 1 is
  at most that, an interpolation otherwise: said in `sampled_steps`);
- tokens per second: batch / TPOT (every sequence of the batch gets a token per step);
- total: TTFT + (G - 1) x TPOT.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from costmodel import limits
from costmodel.cost.analysis import AnalysisResult, analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile
from costmodel.spec.model import Spec

DECODE_SAMPLES = 9


@dataclass(frozen=True)
class GenerationSummary:
    """Latency and throughput of generating `gen` tokens after a `prompt`-token prompt."""

    spec_name: str
    hardware_name: str
    batch: int
    prompt: int
    gen: int
    ttft_s: float
    tpot_s: float
    tokens_per_s: float
    total_s: float
    prefill_macs: int
    decode_macs_first: int  # the first decode step (context prompt + 1)
    peak_kv_cache_bytes: int  # at the last step (context prompt + gen - 1), all sequences
    decode_memory_bound_share: float  # of the last decode step's latency
    sampled_steps: tuple[int, ...]  # the decode contexts analysed

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _steps(prompt: int, gen: int) -> tuple[int, ...]:
    """Contexts of the decode steps to analyse: all of them, or DECODE_SAMPLES evenly spaced."""
    first, last = prompt + 1, prompt + gen - 1
    if last < first:
        return ()
    count = last - first + 1
    if count <= DECODE_SAMPLES:
        return tuple(range(first, last + 1))
    return tuple(
        sorted({first + round(i * (count - 1) / (DECODE_SAMPLES - 1)) for i in range(DECODE_SAMPLES)})
    )


def _mean_latency(contexts: tuple[int, ...], latencies: list[float]) -> float:
    """The mean over every step from the first to the last sampled context, with the latency
    interpolated linearly between samples (trapezoids weighted by the steps they cover)."""
    if len(contexts) == 1:
        return latencies[0]
    if len(contexts) == contexts[-1] - contexts[0] + 1:
        return sum(latencies) / len(latencies)
    area = 0.0
    for i in range(len(contexts) - 1):
        area += (latencies[i] + latencies[i + 1]) / 2 * (contexts[i + 1] - contexts[i])
    return area / (contexts[-1] - contexts[0])


def generation_summary(
    spec: Spec, hw: HardwareProfile, options: AnalysisOptions, prompt: int, gen: int
) -> GenerationSummary:
    """TTFT, TPOT and tokens/s of generating `gen` tokens after a `prompt`-token prompt."""
    if not 1 <= prompt <= limits.MAX_SEQUENCE or not 1 <= gen <= limits.MAX_SEQUENCE - prompt:
        raise CostModelError(
            ErrorCode.OPTION,
            f"--prompt and --gen must be >= 1 with prompt + gen <= {limits.MAX_SEQUENCE}, "
            f"got {prompt} and {gen}",
        )
    prefill = analyze(spec, hw, dataclasses.replace(options, phase="prefill", context=prompt))
    contexts = _steps(prompt, gen)
    decodes: list[AnalysisResult] = [
        analyze(spec, hw, dataclasses.replace(options, phase="decode", context=c)) for c in contexts
    ]
    tpot = _mean_latency(contexts, [d.total.latency_s for d in decodes]) if decodes else 0.0
    last = decodes[-1] if decodes else prefill
    return GenerationSummary(
        spec_name=spec.name,
        hardware_name=hw.name,
        batch=options.batch,
        prompt=prompt,
        gen=gen,
        ttft_s=prefill.total.latency_s,
        tpot_s=tpot,
        tokens_per_s=options.batch / tpot if tpot else 0.0,
        total_s=prefill.total.latency_s + (gen - 1) * tpot,
        prefill_macs=prefill.total.macs,
        decode_macs_first=decodes[0].total.macs if decodes else 0,
        peak_kv_cache_bytes=last.footprint.kv_cache_bytes,
        decode_memory_bound_share=last.total.memory_bound_s / last.total.latency_s
        if last.total.latency_s
        else 0.0,
        sampled_steps=contexts,
    )
