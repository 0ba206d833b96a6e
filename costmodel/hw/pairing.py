"""A hardware profile under a runtime: the effective profile the roofline uses.

A profile's efficiencies belong to the runtime they were calibrated or estimated with
(`runtime:`). Under another runtime the profile becomes, in this order:

1. calibrated pair: the profile's `runtimes: {NAME: partial profile}` entry, deep-merged into the
   profile (any field: efficiency, overhead_s_per_kernel, memory.dram_bytes_per_s,
   precisions.X.efficiency_scale, and fields added later), validated by the same model;
2. otherwise: the profile's efficiencies with the runtime's generic numbers, its dispatch cost
   (overhead_s_per_kernel) and its relative speed per op class [EST] against the profile's runtime.

Under its own runtime a profile is used as it is. The runtime's mechanisms (fusion, Winograd,
arithmetic precision) apply in every case: they are what the runtime does, not how fast it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw.profile import HardwareProfile
from costmodel.hw.runtime import Runtime, load_runtime, located_error, runtime_names, unknown_name
from costmodel.ops.registry import OP_CLASSES
from costmodel.spec.yamlsrc import LocDict

# What an override may not change: which unit and which runtime the profile is.
_FIXED_KEYS = ("version", "name", "runtime", "runtimes", "file")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `override` laid over it: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class RuntimeUse:
    """Which runtime an analysis used and where its efficiencies come from (JSON `runtime`)."""

    name: str | None
    title: str
    calibrated: bool  # the profile's own runtime, or a pair with a `runtimes:` entry
    basis: str  # one line: where the efficiencies come from

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "calibrated": self.calibrated,
            "efficiencies": self.basis,
        }

    def describe(self) -> str:
        return f"{self.name or 'unnamed'}" + (f" ({self.title})" if self.title else "") + f": {self.basis}"


def runtime_use(hw: HardwareProfile, runtime: Runtime | None) -> RuntimeUse:
    """How `runtime` pairs with `hw` (see the module docstring)."""
    if runtime is None:
        return RuntimeUse(None, "", True, "the profile's own efficiencies (the profile names no runtime)")
    if runtime.name in hw.runtimes:
        return RuntimeUse(runtime.name, runtime.title, True, f"calibrated for ({hw.name}, {runtime.name})")
    if runtime.name == hw.runtime:
        return RuntimeUse(
            runtime.name, runtime.title, True, f"the profile's own runtime: {hw.name}'s efficiencies"
        )
    factors = _relative_factors(hw, runtime)
    scaled = f", x relative speed [EST] ({_factor_text(factors)})" if factors else ""
    dispatch = (
        f", dispatch {runtime.overhead_s_per_kernel * 1e6:g} us per kernel"
        if runtime.overhead_s_per_kernel is not None
        else ""
    )
    own = hw.runtime or "an unnamed runtime"
    return RuntimeUse(
        runtime.name,
        runtime.title,
        False,
        f"not calibrated: {hw.name}'s efficiencies (measured with {own}){scaled}{dispatch}",
    )


def _factor_text(factors: dict[str, float]) -> str:
    values = set(factors.values())
    if len(values) == 1 and len(factors) == len(OP_CLASSES):
        return f"{values.pop():.3g} for every op class"
    return ", ".join(f"{c} {f:.3g}" for c, f in factors.items())


def _relative_factors(hw: HardwareProfile, runtime: Runtime) -> dict[str, float]:
    """Per op class, this runtime's speed over that of the profile's runtime, where both are
    stated against the same reference (or the profile's runtime is the reference)."""
    target = runtime.relative_speed
    if target is None or hw.runtime is None:
        return {}
    if hw.runtime == target.reference:
        own: dict[str, float] = {}
    else:
        mine = load_runtime(hw.runtime).relative_speed
        if mine is None or mine.reference != target.reference:
            return {}
        own = mine.factors
    factors = {c: target.factors.get(c, 1.0) / own.get(c, 1.0) for c in OP_CLASSES}
    return {c: f for c, f in factors.items() if f != 1.0}


_EFFECTIVE: dict[tuple[int, int], tuple[HardwareProfile, Runtime, HardwareProfile]] = {}


def with_runtime(hw: HardwareProfile, runtime: Runtime | None) -> HardwareProfile:
    """The effective profile of `hw` under `runtime` (the module docstring says how). The same
    profile object when nothing changes, so the default runtime costs nothing."""
    if runtime is None or (runtime.name == hw.runtime and runtime.name not in hw.runtimes):
        return hw
    key = (id(hw), id(runtime))
    cached = _EFFECTIVE.get(key)
    if cached is not None and cached[0] is hw and cached[1] is runtime:
        return cached[2]
    data = hw.model_dump()
    if runtime.name in hw.runtimes:
        data = deep_merge(data, hw.runtimes[runtime.name])
    elif runtime.name != hw.runtime:
        data = _generic(data, hw, runtime)
    if runtime.launch is not None:  # a mechanism of the runtime, calibrated pair or not
        data["launch"] = runtime.launch
    data["runtime"] = runtime.name
    effective = HardwareProfile.model_validate(data)
    if len(_EFFECTIVE) > 256:
        _EFFECTIVE.clear()
    _EFFECTIVE[key] = (hw, runtime, effective)
    return effective


def _generic(data: dict[str, Any], hw: HardwareProfile, runtime: Runtime) -> dict[str, Any]:
    """An uncalibrated pair: the runtime's dispatch cost and relative speeds on the profile."""
    sources = dict(data["sources"])
    if runtime.overhead_s_per_kernel is not None:
        data["overhead_s_per_kernel"] = runtime.overhead_s_per_kernel
        sources["overhead_s_per_kernel"] = f"runtime {runtime.name}: " + runtime.sources.get(
            "overhead_s_per_kernel", ""
        )
    factors = _relative_factors(hw, runtime)
    if factors:
        efficiency = dict(data["efficiency"])
        for op_class, factor in factors.items():
            # a fraction of peak: a faster runtime cannot pass the peak itself
            efficiency[op_class] = min(1.0, efficiency[op_class] * factor)
            sources[f"efficiency.{op_class}"] = (
                f"[EST] {hw.name}'s efficiency x {factor:.3g}, runtime {runtime.name}'s relative speed: "
                + runtime.sources.get(f"relative_speed.factors.{op_class}", "")
            )
        data["efficiency"] = efficiency
    data["sources"] = sources
    return data


def check_runtime_entries(data: LocDict, profile: HardwareProfile) -> None:
    """A profile's `runtime:` and `runtimes:` name known runtimes, and every override gives a
    valid profile when merged (errors at the override's line)."""
    known = runtime_names()
    named = data.get("runtime")
    if isinstance(named, str) and named not in known:
        raise CostModelError(
            ErrorCode.HARDWARE,
            "runtime: " + unknown_name("runtime", named, known, "bundled"),
            pos=data.key_pos["runtime"],
        )
    entries = data.get("runtimes")
    if not isinstance(entries, LocDict):
        return
    base = profile.model_dump()
    for name, override in entries.items():
        if name not in known:
            raise CostModelError(
                ErrorCode.HARDWARE,
                "runtimes: " + unknown_name("runtime", name, known, "bundled"),
                pos=entries.key_pos[name],
            )
        _check_override(name, override, base)


def _check_override(name: str, override: Any, base: dict[str, Any]) -> None:
    if not isinstance(override, LocDict):
        raise CostModelError(ErrorCode.HARDWARE, f"runtimes.{name}: expected a mapping of profile fields")
    for key in _FIXED_KEYS:
        if key in override:
            raise CostModelError(
                ErrorCode.HARDWARE,
                f"runtimes.{name}.{key}: a runtime's override cannot change the profile's {key}",
                pos=override.key_pos[key],
            )
    efficiency = override.get("efficiency")
    if isinstance(efficiency, LocDict):
        for op_class in efficiency:
            if op_class not in OP_CLASSES:
                raise CostModelError(
                    ErrorCode.UNKNOWN_KEY,
                    f"runtimes.{name}.efficiency: " + unknown_name("op class", op_class, list(OP_CLASSES)),
                    pos=efficiency.key_pos[op_class],
                )
    try:
        HardwareProfile.model_validate(deep_merge(base, override))
    except ValidationError as exc:
        raise located_error(exc, override, ("runtimes", name)) from None
