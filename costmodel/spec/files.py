"""Reading the project's input files and finding the bundled ones.

`read_text` is the ONE reader of user files (specs, block libraries, hardware profiles, measurement
CSVs): it reads only regular files (a FIFO would block for ever, /dev/zero never ends), checks the
size before reading, and names the file in one bounded line when it cannot.

Specs, block libraries and hardware profiles are YAML mappings. The bundled `archspecs/` and
`hardware/` folders sit at the top of a source checkout and are copied into the package by a
non-editable install (pyproject.toml maps them), so names resolve from any working directory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode, SourcePos, excerpt
from costmodel.spec.yamlsrc import LocDict, load_yaml_text

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def is_regular_file(path: Path) -> bool:
    """True for an existing regular file (or a link to one); False for anything else, including a
    name the OS cannot even look up (too long, a NUL byte)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_directory(path: Path) -> bool:
    """True for an existing directory; False for anything else or a name the OS refuses."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def exists(path: Path) -> bool:
    """Whether anything exists at `path`; False for a name the OS refuses (too long, NUL)."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _check_regular(path: Path, mode: int, size: int) -> None:
    if not stat.S_ISREG(mode):
        raise CostModelError(
            ErrorCode.FILE,
            f"cannot read {excerpt(str(path))}: {_kind(mode)}, not a regular file",
            pos=SourcePos(excerpt(str(path)), 1, 1),
        )
    if size > limits.MAX_FILE_BYTES:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"file is {size} bytes, more than the {limits.MAX_FILE_BYTES} allowed",
            pos=SourcePos(excerpt(str(path)), 1, 1),
        )


_READ: dict[str, None] = {}  # paths this process read (insertion-ordered, bounded): see was_read
_MAX_REMEMBERED = 1000


def was_read(path: Path) -> bool:
    """Whether `path` is (the same file as) one this process read: an output must not replace an
    input (`report spec.yaml -o spec.yaml`). Links and hard links count as the same file."""
    for seen in reversed(_READ):
        try:
            if os.path.samefile(seen, path):
                return True
        except (OSError, ValueError):
            continue
    return False


def refuse_special_file(path: Path) -> None:
    """E401 for a name that exists but is not a regular file (a FIFO blocks whoever opens it, a
    device never ends): for readers of their own, such as the ONNX reader (costmodel/onnx/),
    whose models are larger than the size limit of `read_bytes`."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return  # missing or unreadable: the reader says so
    if not stat.S_ISREG(mode):
        raise CostModelError(
            ErrorCode.FILE,
            f"cannot read {excerpt(str(path))}: {_kind(mode)}, not a regular file",
            pos=SourcePos(excerpt(str(path)), 1, 1),
        )


def read_bytes(path: Path) -> bytes:
    """The bytes of a regular file of at most limits.MAX_FILE_BYTES; anything else is E401/E301.
    The kind is checked before opening (opening a FIFO blocks) and again on the open file (the
    name may have been swapped in between); the read is bounded either way."""
    name = excerpt(str(path))
    try:
        info = os.stat(path)
        _check_regular(path, info.st_mode, info.st_size)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as stream:
            info = os.fstat(stream.fileno())
            _check_regular(path, info.st_mode, info.st_size)
            data = stream.read(limits.MAX_FILE_BYTES + 1)
        _READ[str(path)] = None
        if len(_READ) > _MAX_REMEMBERED:
            del _READ[next(iter(_READ))]
    except FileNotFoundError:
        raise CostModelError(ErrorCode.FILE, f"no such file: {name}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CostModelError(
            ErrorCode.FILE, f"cannot read {name}: {excerpt(reason)}", pos=SourcePos(name, 1, 1)
        ) from None
    if len(data) > limits.MAX_FILE_BYTES:  # it grew while we read it
        _check_regular(path, stat.S_IFREG, len(data))
    return data


def read_text(path: Path) -> str:
    """A regular UTF-8 text file (a leading byte-order mark is dropped); see `read_bytes`."""
    data = read_bytes(path)
    if data.startswith(_UTF16_BOMS):
        raise CostModelError(
            ErrorCode.FILE,
            f"cannot read {excerpt(str(path))}: UTF-16 text; save it as UTF-8",
            pos=SourcePos(excerpt(str(path)), 1, 1),
        )
    data = data.removeprefix(_UTF8_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # point at the first byte that is not UTF-8
        before = exc.object[: exc.start].decode("utf-8", "replace")
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise CostModelError(
            ErrorCode.FILE,
            f"cannot read {excerpt(str(path))}: not UTF-8 text ({exc.reason})",
            pos=SourcePos(excerpt(str(path)), line, col),
        ) from None


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
