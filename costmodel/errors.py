"""One error type for everything a user can get wrong, carrying the place it points at.

Every rejection of user input (a spec, a hardware profile, a CLI option) is a `CostModelError`
with a stable code, so tests and scripts can match on the code and people read one line:

    FILE:LINE:COL: error[E104] s1.b1: unknown op 'conv2' (did you mean 'conv2d'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class ErrorCode(str, Enum):
    """Stable error codes; documented in docs/errors.md. Never renumber a code."""

    YAML_SYNTAX = "E101"  # the file is not valid YAML
    DUPLICATE_KEY = "E102"  # the same key twice in one mapping (PyYAML would keep the last silently)
    UNKNOWN_KEY = "E103"  # a key the format does not define
    UNKNOWN_OP = "E104"  # an op type that is not in the registry
    UNKNOWN_BLOCK = "E105"  # a block use naming no declared block
    BAD_VALUE = "E106"  # a value of the wrong type or out of range
    MISSING_KEY = "E107"  # a required key is absent
    EXPRESSION = "E108"  # an expression that does not parse or evaluate
    UNKNOWN_INPUT = "E201"  # `inputs:` names no producer
    CYCLE = "E202"  # layers depend on each other in a cycle
    SHAPE_MISMATCH = "E203"  # a tensor of the wrong shape or channel count flows into an op
    LIMIT = "E301"  # a size cap was exceeded (repeat count, tensor size, node count, nesting)
    FILE = "E401"  # a file that cannot be found or read
    HARDWARE = "E402"  # a hardware profile that is invalid or unknown
    OPTION = "E403"  # a command-line option with an invalid value


@dataclass(frozen=True)
class SourcePos:
    """A place in a YAML file; line and column are 1-based as editors show them."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class CostModelError(Exception):
    """A user-facing error: code, optional place, optional node name, and the message."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        pos: SourcePos | None = None,
        node: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pos = pos
        self.node = node

    def with_context(self, *, pos: SourcePos | None = None, node: str | None = None) -> CostModelError:
        """Fill in the place or node if the raiser did not know it (outer layers know more)."""
        return CostModelError(self.code, self.message, pos=self.pos or pos, node=self.node or node)

    def __str__(self) -> str:
        # Every part is bounded: a 3 MB op name or file name must not make a 6 MB error line.
        where = (
            f"{excerpt(self.pos.file, MAX_FILE_CHARS)}:{self.pos.line}:{self.pos.col}: " if self.pos else ""
        )
        node = f" {excerpt(self.node, MAX_NODE_CHARS)}:" if self.node else ""
        return one_line(f"{where}error[{self.code.value}]{node} {excerpt(self.message, MAX_MESSAGE_CHARS)}")


MAX_FILE_CHARS = 240  # of a file name in an error line (PATH_MAX is 4096)
MAX_NODE_CHARS = 160
MAX_MESSAGE_CHARS = 600
EXCERPT_CHARS = 80  # of a value quoted in a message


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text`, or its start and end around a count of what was left out when it is longer than
    `limit` characters: error lines stay short whatever a file holds."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 4
    return f"{text[:head]}...[{len(text) - head - tail} more characters]...{text[-tail:]}"


def one_line(text: str) -> str:
    """Escape newlines and other unprintable characters (names and values come from the file), so
    an error is always exactly one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def unknown_name(what: str, name: str, choices: list[str] | tuple[str, ...], listed: str = "one of") -> str:
    """'unknown runtime 'nccn' (did you mean 'ncnn'?) (bundled: ...)': one line."""
    return f"unknown {what} '{excerpt(name)}'{did_you_mean(name, choices)} ({listed}: {', '.join(choices)})"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
