"""Safe, source-mapped YAML loading.

PyYAML's `safe_load` forgets where each value came from and silently keeps the last of two duplicate
keys. We compose the document into nodes with the safe loader (no Python tags, no object
construction), then build plain dicts and lists that remember the line and column of every key and
item, so any later stage can point at the exact place in the file. Aliases are expanded with a cap
on the total number of values, so an alias bomb ("billion laughs") fails fast with bounded memory.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from costmodel import limits
from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.safe_text import printable

_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# YAML 1.2 floats that PyYAML's YAML 1.1 resolver leaves as strings: an exponent without a dot or
# without a sign (1e9, 9.75e12). Datasheet figures are written this way; read them as numbers.
_YAML12_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+\Z")

# The YAML 1.2 core schema's plain numbers and booleans (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
# PyYAML resolves with YAML 1.1, which also reads 010 as octal 8, 1:00 as sexagesimal 60, 1_000 as
# 1000, 0b10 as 2 and yes/no/on/off as booleans. costmodel follows YAML 1.2: a 1.1-only boolean
# is text, and a 1.1-only number form is an error (E106) rather than a silent surprise.
_YAML12_INT = re.compile(r"[-+]?[0-9]+\Z|0o[0-7]+\Z|0x[0-9a-fA-F]+\Z")
_YAML12_FLOAT_CORE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z|[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z"
)
_YAML12_OCTAL = re.compile(r"0o[0-7]+\Z")
_YAML12_BOOL = {"true", "True", "TRUE", "false", "False", "FALSE"}
_RESOLVER = yaml.resolver.Resolver()
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+\Z")

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


# libyaml's composer is ~10x faster than PyYAML's pure-Python one and keeps the same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocDict(dict[str, Any]):
    """A mapping that remembers where it starts and where each key is."""

    pos: SourcePos
    key_pos: dict[str, SourcePos]


class LocList(list[Any]):
    """A sequence that remembers where it starts and where each item is."""

    pos: SourcePos
    item_pos: list[SourcePos]


def _pos(file: str, node: yaml.Node) -> SourcePos:
    mark = node.start_mark
    return SourcePos(file, mark.line + 1, mark.column + 1)


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, depth: int = 0) -> Any:
        self.count += 1
        if self.count > limits.MAX_VALUES:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"document expands to more than {limits.MAX_VALUES} values (through aliases: an alias bomb?)",
                pos=_pos(self.file, node),
            )
        if depth > limits.MAX_DEPTH:
            raise CostModelError(
                ErrorCode.LIMIT, f"nesting deeper than {limits.MAX_DEPTH} levels", pos=_pos(self.file, node)
            )
        if node.tag not in _STANDARD_TAGS:
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"unsupported YAML tag '{node.tag}' (only plain values, lists and mappings)",
                pos=_pos(self.file, node),
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = LocList()
            seq.pos = _pos(self.file, node)
            seq.item_pos = []
            for item in node.value:
                seq.append(self.convert(item, depth + 1))
                seq.item_pos.append(_pos(self.file, item))
            return seq
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag == "tag:yaml.org,2002:str"
            and not node.style  # plain: libyaml gives "", PyYAML None
            and len(node.value) <= limits.MAX_NUMBER_CHARS
            and _YAML12_FLOAT.match(node.value)
        ):
            return float(node.value)  # plain (unquoted) only: "1e9" in quotes stays a string
        if isinstance(node, yaml.ScalarNode) and not node.style:
            plain = self._yaml12_plain(node)
            if plain is not None:
                return plain
        if node.tag in _NUMBER_TAGS and len(node.value) > limits.MAX_NUMBER_CHARS:
            # int('9' * 5000) raises and '1:2:3:...' (base 60) takes quadratic time: refuse early
            raise CostModelError(
                ErrorCode.LIMIT,
                f"number literal longer than {limits.MAX_NUMBER_CHARS} characters",
                pos=_pos(self.file, node),
            )
        try:
            value = self.constructor.construct_object(node, deep=False)
        except Exception:  # noqa: BLE001 - "!!int abc" (ValueError), "!!bool x" (KeyError), "!!int" (IndexError)
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"invalid {node.tag.rsplit(':', 1)[-1]} value {node.value[:40]!r}",
                pos=_pos(self.file, node),
            ) from None
        # "\e[2J" in a quoted title would clear the screen it is shown on (issue 16)
        return printable(value) if isinstance(value, str) else value

    def _yaml12_plain(self, node: yaml.ScalarNode) -> Any:
        """A plain scalar read as YAML 1.2 says where YAML 1.1 (PyYAML) differs; None when they
        agree (the constructor reads it). Cheap tests first: most scalars are names."""
        text, tag = node.value, node.tag
        if len(text) > limits.MAX_NUMBER_CHARS or not text:
            return None  # a long number literal is E301 below; long text is text
        if tag == "tag:yaml.org,2002:str":
            if (
                not text[0].isdigit()
                and text[0] not in "+-"
                or not (_YAML12_OCTAL.match(text) or _LEADING_ZERO.match(text))
            ):
                return None
        elif tag == "tag:yaml.org,2002:bool":
            if text in _YAML12_BOOL:
                return None
        elif tag == "tag:yaml.org,2002:int":
            if _YAML12_INT.match(text) and not _LEADING_ZERO.match(text):
                return None
        elif tag != "tag:yaml.org,2002:float" or _YAML12_FLOAT_CORE.match(text):
            return None
        if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != tag:  # type: ignore[no-untyped-call]
            return None  # an explicit tag (!!bool maybe): the constructor judges it
        return self._yaml11_difference(text, tag, _pos(self.file, node))

    @staticmethod
    def _yaml11_difference(text: str, tag: str, pos: SourcePos) -> Any:
        """The YAML 1.2 reading of a plain scalar that YAML 1.1 reads differently, or the error."""
        if tag == "tag:yaml.org,2002:bool":
            return text  # yes, no, on, off, y, n: text in YAML 1.2
        if _LEADING_ZERO.match(text):  # 010 (octal 8 in 1.1) or 018 (text in 1.1): 10 or 18 in 1.2
            raise CostModelError(
                ErrorCode.BAD_VALUE,
                f"ambiguous number {text}: YAML 1.1 reads it as octal or text, YAML 1.2 (which "
                "costmodel follows) as decimal; write it without the leading zero (or 0o... for octal)",
                pos=pos,
            )
        if tag == "tag:yaml.org,2002:str":
            return int(text[2:], 8)  # 0o17: an integer in YAML 1.2, text in 1.1
        raise _yaml11_only(text, pos)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> LocDict:
        out = LocDict()
        out.pos = _pos(self.file, node)
        out.key_pos = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise CostModelError(
                    ErrorCode.BAD_VALUE,
                    "YAML merge keys ('<<') are not supported; write the keys out",
                    pos=_pos(self.file, key_node),
                )
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, str):
                raise CostModelError(
                    ErrorCode.BAD_VALUE,
                    f"mapping keys must be names (expected a string, got {key!r})",
                    pos=_pos(self.file, key_node),
                )
            if key in out:
                first = out.key_pos[key]
                raise CostModelError(
                    ErrorCode.DUPLICATE_KEY,
                    f"duplicate key '{key}' (first at line {first.line})",
                    pos=_pos(self.file, key_node),
                )
            out[key] = self.convert(value_node, depth + 1)
            out.key_pos[key] = _pos(self.file, key_node)
        return out


def _yaml11_only(text: str, pos: SourcePos) -> CostModelError:
    return CostModelError(
        ErrorCode.BAD_VALUE,
        f"'{text[:40]}' is a number only in YAML 1.1 (like 1:00, 1_000, 0b101, -0x1); costmodel "
        "follows YAML 1.2: write the number plainly, or quote it for text",
        pos=pos,
    )


_VALUE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


def _count_values_first(text: str, file: str) -> None:
    """Refuse a document of more than limits.MAX_VALUES values before composing it: composing
    2M scalars took 8.6 s and 678 MB only to be refused after. Without aliases every value takes
    at least two characters, so only a text longer than twice the limit needs counting; the
    event stream is counted and left at the first value past the limit (about 0.1 s)."""
    if len(text) <= 2 * limits.MAX_VALUES:
        return
    count = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, _VALUE_EVENTS):
                count += 1
                if count > limits.MAX_VALUES:
                    mark = event.start_mark
                    where = SourcePos(file, mark.line + 1, mark.column + 1) if mark else SourcePos(file, 1, 1)
                    raise CostModelError(
                        ErrorCode.LIMIT, f"document has more than {limits.MAX_VALUES} values", pos=where
                    )
    except yaml.YAMLError:
        return  # composing reports it, located


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text into LocDict/LocList/scalars; every problem is a CostModelError."""
    if len(text) > limits.MAX_FILE_BYTES:
        raise CostModelError(
            ErrorCode.LIMIT,
            f"file is {len(text)} bytes, more than the {limits.MAX_FILE_BYTES} allowed",
            pos=SourcePos(file, 1, 1),
        )
    _count_values_first(text, file)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = SourcePos(file, mark.line + 1, mark.column + 1) if mark else SourcePos(file, 1, 1)
        problem = str(exc.problem or exc.context)
        # libyaml 0.2.6+ (PyYAML 6.0.4 wheels) stops deep nesting itself: still our limit, E301
        code = ErrorCode.LIMIT if "nesting depth" in problem else ErrorCode.YAML_SYNTAX
        raise CostModelError(code, f"invalid YAML: {problem}", pos=pos) from None
    except yaml.YAMLError as exc:  # e.g. a reader error on control characters
        raise CostModelError(
            ErrorCode.YAML_SYNTAX, f"invalid YAML: {exc}".splitlines()[0], pos=SourcePos(file, 1, 1)
        ) from None
    except RecursionError:
        raise CostModelError(ErrorCode.LIMIT, "YAML nested too deeply", pos=SourcePos(file, 1, 1)) from None
    if node is None:
        return None
    try:
        return _Converter(file).convert(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        pos = SourcePos(file, mark.line + 1, mark.column + 1) if mark else SourcePos(file, 1, 1)
        raise CostModelError(ErrorCode.BAD_VALUE, f"invalid value: {exc.problem}", pos=pos) from None


def position_of(root: Any, path: tuple[Any, ...]) -> SourcePos | None:
    """The place of the deepest value along `path` (keys and indices) that exists in `root`."""
    best: SourcePos | None = getattr(root, "pos", None)
    node = root
    for step in path:
        if isinstance(node, LocDict) and isinstance(step, str) and step in node:
            best = node.key_pos[step]
            node = node[step]
        elif isinstance(node, LocList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_pos[step]
            node = node[step]
        else:
            break
        if getattr(node, "pos", None) is not None and not isinstance(node, (LocDict, LocList)):
            best = node.pos
    return best
