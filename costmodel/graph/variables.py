"""The values of a spec's vars for one build: the spec's own, those given with --set, and those an
LLM phase implies (--phase prefill|decode, --context N set the vars `tokens` and `cached`)."""

from __future__ import annotations

from typing import Any

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.graph.model import BuildOptions
from costmodel.graph.multipliers import vars_with_overrides
from costmodel.spec.schema import Spec

PHASES = ("prefill", "decode")
# The vars a language-model spec declares for the phases: the tokens of this step (its input is
# [tokens]) and the positions already in the KV cache that each new token also attends to.
PHASE_VARS = ("tokens", "cached")


def spec_vars(spec: Spec, options: BuildOptions) -> dict[str, Any]:
    """The spec's vars under --set and the phase options."""
    return vars_with_overrides(spec, options.vars + phase_overrides(spec, options))


def phase_overrides(spec: Spec, options: BuildOptions) -> tuple[tuple[str, Any], ...]:
    """The (var, value) pairs of a phase: prefill of N tokens (tokens=N, cached=0), or one decode
    step attending to N positions (tokens=1, cached=N-1). N: --context, or the spec's `tokens`."""
    if options.phase is None:
        if options.context is not None:
            raise CostModelError(ErrorCode.OPTION, "--context needs --phase prefill or decode")
        return ()
    if options.phase not in PHASES:
        raise CostModelError(
            ErrorCode.OPTION, f"unknown phase '{options.phase}'{did_you_mean(options.phase, PHASES)}"
        )
    missing = [name for name in PHASE_VARS if name not in spec.vars]
    if missing:
        raise CostModelError(
            ErrorCode.OPTION,
            f"--phase needs a language-model spec declaring the vars {', '.join(PHASE_VARS)} "
            f"('{spec.name}' lacks {', '.join(missing)}; see docs/spec-format.md, Modelling transformers)",
        )
    given = dict(options.vars)
    context = options.context if options.context is not None else given.get("tokens", spec.vars["tokens"])
    if isinstance(context, bool) or not isinstance(context, int) or not 1 <= context <= limits.MAX_SEQUENCE:
        raise CostModelError(ErrorCode.OPTION, f"context must be 1..{limits.MAX_SEQUENCE}, got {context!r}")
    if options.phase == "prefill":
        return (("tokens", context), ("cached", 0))
    return (("tokens", 1), ("cached", context - 1))
