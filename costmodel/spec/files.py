"""Reading the project's YAML files and finding the bundled ones.

Specs, block libraries and hardware profiles are YAML mappings. The bundled `archspecs/` and
`hardware/` folders sit at the top of a source checkout and are copied into the package by a
non-editable install (pyproject.toml maps them), so names resolve from any working directory.
"""

from __future__ import annotations

from pathlib import Path

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.spec.yamlsrc import LocDict, load_yaml_text


def read_text(path: Path) -> str:
    try:
        with path.open("rb") as stream:  # bounded: /dev/zero or a huge file must not fill memory
            data = stream.read(limits.MAX_FILE_BYTES + 1)
        if len(data) > limits.MAX_FILE_BYTES:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"file is larger than the {limits.MAX_FILE_BYTES} bytes allowed",
                pos=SourcePos(str(path), 1, 1),
            )
        return data.decode("utf-8")
    except FileNotFoundError:
        raise CostModelError(ErrorCode.FILE, f"no such file: {path}") from None
    except UnicodeDecodeError as exc:  # point at the first byte that is not UTF-8
        before = exc.object[: exc.start].decode("utf-8", "replace")
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise CostModelError(
            ErrorCode.FILE,
            f"cannot read {path}: not UTF-8 text ({exc.reason})",
            pos=SourcePos(str(path), line, col),
        ) from None
    except OSError as exc:
        raise CostModelError(ErrorCode.FILE, f"cannot read {path}: {exc}") from None


def parse_yaml_mapping(text: str, file: str, what: str) -> LocDict:
    """Parse a YAML file that must hold a mapping (specs, block libraries, profiles)."""
    data = load_yaml_text(text, file)
    if not isinstance(data, LocDict):
        raise CostModelError(
            ErrorCode.BAD_VALUE,
            f"a {what} must be a YAML mapping, got {type(data).__name__}",
            pos=SourcePos(file, 1, 1),
        )
    return data


def bundled_dir(kind: str) -> Path:
    """Where the bundled `archspecs/` or `hardware/` live: beside the package when installed,
    or at the top of a source checkout (an editable install)."""
    package_dir = Path(__file__).resolve().parent.parent  # costmodel/
    for candidate in (package_dir / "bundled" / kind, package_dir.parent / kind):
        if candidate.is_dir():
            return candidate
    return package_dir / "bundled" / kind
