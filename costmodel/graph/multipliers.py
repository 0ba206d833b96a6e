"""The multipliers and overrides that change a spec's graph: spec vars given other values
(`--set`) and the depth multiplier (`--depth`). The width multiplier lives with the expander,
which scales channels where a layer declares them."""

from __future__ import annotations

import math
from typing import Any

from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.spec.schema import Spec


def depth_scaled(repeat: int, depth: float) -> int:
    """A repeat count under the depth multiplier: ceil(repeat * depth), at least 1.

    The rule of EfficientNet (Tan & Le, ICML 2019, Section 3.3): torchvision's
    `_MBConvConfig.adjust_depth` and the reference TF `round_repeats` both round up, computed in
    floating point as here (2 x 1.1 = 2.2000000000000002 -> 3).
    """
    if depth == 1.0:
        return repeat
    return max(1, math.ceil(repeat * depth))


def vars_with_overrides(spec: Spec, overrides: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The spec's vars with some set to other values: only vars the spec declares, each to a value
    of the same kind (a number for a number, true/false for a flag, text for text)."""
    merged = dict(spec.vars)
    for name, value in overrides:
        if name not in spec.vars:
            known = ", ".join(sorted(spec.vars)) or "none"
            raise CostModelError(
                ErrorCode.OPTION,
                f"--set {name}: the spec has no var '{name}'{did_you_mean(name, spec.vars)} "
                f"(its vars: {known})",
            )
        old = spec.vars[name]
        kinds = (bool,) if isinstance(old, bool) else (str,) if isinstance(old, str) else (int, float)
        if not isinstance(value, kinds) or (kinds != (bool,) and isinstance(value, bool)):
            raise CostModelError(
                ErrorCode.OPTION, f"--set {name}: expected a value like {old!r}, got {value!r}"
            )
        merged[name] = value
    try:
        return Spec._width_divisor(merged)  # the spec's own check of the divisor
    except ValueError as exc:
        raise CostModelError(ErrorCode.OPTION, f"--set: {exc}") from None
