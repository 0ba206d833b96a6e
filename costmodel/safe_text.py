"""Text that came from a file (a spec's title, a layer name, a profile's name, a CSV label), made
safe for where it is shown. The consoles never interpret markup or emoji codes
(costmodel/commands/common.py), so `[/bold]` or `[link=...]` in a title is shown as written; here:

- `printable`: control characters (ESC, BEL, ...) removed, so a title cannot clear the screen or
  set the window title; tabs and newlines become spaces. Applied where such text is read (YAML
  strings in costmodel/spec/yamlsrc.py, CSV fields in costmodel/hw/measurements.py).
- `markdown_cell`: a markdown table cell that renders as the text (no inline HTML, no links).
- `spreadsheet_cell`: a CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection":
  a text cell starting with = + - @, tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"[\t\n]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN = {"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;", "[": "\\[", "]": "\\]"}
_MARKDOWN_RE = re.compile("|".join(re.escape(c) for c in _MARKDOWN))


def printable(text: str) -> str:
    """`text` without control characters (C0 but tab and newline, DEL, C1); those two as spaces
    only when `text` is one line's worth (a name), kept in longer notes."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", text)


def one_line_name(text: str) -> str:
    """A name on one line: control characters removed, tabs and newlines as spaces."""
    return _SPACE.sub(" ", printable(text))


def markdown_cell(text: str) -> str:
    return _MARKDOWN_RE.sub(lambda m: _MARKDOWN[m.group(0)], text)


def spreadsheet_cell(value: Any) -> Any:
    """A text cell that starts like a formula, quoted with an apostrophe; numbers unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
