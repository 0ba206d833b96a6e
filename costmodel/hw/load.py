"""Finding and loading hardware profiles: bundled names, YAML paths, and `host` (this machine,
detected at run time by costmodel/hw/host.py)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from costmodel.errors import CostModelError, ErrorCode, did_you_mean, excerpt
from costmodel.hw.host import detect_host_profile
from costmodel.hw.pairing import check_runtime_entries
from costmodel.hw.profile import HardwareProfile
from costmodel.hw.runtime import located_error
from costmodel.ops.registry import OP_CLASSES
from costmodel.spec.files import bundled_dir, is_regular_file, parse_yaml_mapping, read_text
from costmodel.spec.yamlsrc import LocDict

HOST = "host"  # detected at run time (costmodel/hw/host.py), not a file


def list_profiles() -> list[Path]:
    return sorted(bundled_dir("hardware").glob("*.yaml"))


def resolve_profile_path(name_or_path: str) -> Path:
    """A profile file: a path that is a regular file, a YAML path (read errors name it), or a
    bundled name. A folder that happens to be called like a profile does not hide the bundled one."""
    path = Path(name_or_path)
    if is_regular_file(path) or path.suffix in (".yaml", ".yml"):
        return path
    bundled = bundled_dir("hardware") / f"{name_or_path}.yaml"
    if path.parent == Path(".") and is_regular_file(bundled):
        return bundled
    if path.parent != Path("."):
        return path  # a path: "no such file" or "a directory" when it is read
    names = [p.stem for p in list_profiles()] + [HOST]
    raise CostModelError(
        ErrorCode.HARDWARE,
        f"unknown hardware profile '{excerpt(name_or_path)}'"
        f"{did_you_mean(name_or_path, names)} (bundled: {', '.join(names)})",
    )


def _check_efficiency_keys(data: LocDict) -> None:
    """Op classes are keys of a mapping, so pydantic cannot name a misspelt one: check here."""
    efficiency = data.get("efficiency")
    if not isinstance(efficiency, LocDict):
        return
    for key in efficiency:
        if key not in OP_CLASSES:
            raise CostModelError(
                ErrorCode.UNKNOWN_KEY,
                f"efficiency: unknown op class '{key}'"
                f"{did_you_mean(key, OP_CLASSES)} (op classes: "
                f"{', '.join(OP_CLASSES)})",
                pos=efficiency.key_pos[key],
            )
    for op_class in OP_CLASSES:
        if op_class not in efficiency:
            raise CostModelError(
                ErrorCode.MISSING_KEY,
                f"efficiency has no entry for op class '{op_class}'",
                pos=efficiency.pos,
            )


def load_profile(name_or_path: str) -> HardwareProfile:
    if name_or_path == HOST:
        return detect_host_profile()
    path = resolve_profile_path(name_or_path)
    data = parse_yaml_mapping(read_text(path), str(path), "hardware profile")
    _check_efficiency_keys(data)
    try:
        profile = HardwareProfile.model_validate({**data, "file": str(path)})
    except ValidationError as exc:
        raise located_error(exc, data) from None
    check_runtime_entries(data, profile)
    return profile
