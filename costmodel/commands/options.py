"""Command-line flags built from the one options model (costmodel/cost/options.py).

`analysis_options` decorates a command body that takes `options: AnalysisOptions` (and, for a diff,
`options_b`; for a report, `option_sets`). It adds one Typer option per field of AnalysisOptions, named,
described and bounded by the field's `OptionInfo`, and hands the body the options already built. So a
new analysis option is one field in costmodel/cost/options.py; no command changes.

Typer reads a command's parameters from its signature, so the decorator gives the wrapper a signature
(`__signature__`) with the command's own parameters followed by the generated ones.
"""

import dataclasses
import functools
import inspect
import itertools
import typing
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Annotated, Any

import typer

from costmodel.commands.common import run
from costmodel.cost.options import AnalysisOptions, OptionInfo, option_fields
from costmodel.cost.precision import PRECISIONS

Precision = Enum("Precision", {p: p for p in PRECISIONS}, type=str)  # type: ignore[misc]
_CHOICES: dict[tuple[str, ...], Any] = {PRECISIONS: Precision}


def _choice_type(field: dataclasses.Field[Any]) -> Any:
    """The Enum Typer shows for a field's choices (Precision for the precisions)."""
    choices = _info(field).choices
    if choices not in _CHOICES:
        title = "".join(part.title() for part in field.name.split("_"))
        _CHOICES[choices] = Enum(title, {c: c for c in choices}, type=str)
    return _CHOICES[choices]


_GENERATED = ("options", "options_b", "option_sets")


@dataclasses.dataclass(frozen=True)
class _Flag:
    """One generated CLI parameter and how its value becomes an option value."""

    parameter: inspect.Parameter
    field: str
    convert: Callable[[Any], Any]


def _info(field: dataclasses.Field[Any]) -> OptionInfo:
    info = field.metadata["cli"]
    assert isinstance(info, OptionInfo)
    return info


def _flag_name(field: dataclasses.Field[Any]) -> str:
    return _info(field).flag or "--" + field.name.replace("_", "-")


def _base_type(field: dataclasses.Field[Any]) -> tuple[Any, Callable[[Any], Any]]:
    """The Typer type of a field's value, and how a CLI value converts back."""
    hint = typing.get_type_hints(AnalysisOptions)[field.name]
    parse = _info(field).parse
    if parse is not None:  # a tuple of items, each given as one string ('stem.*=fp32')
        return list[str], lambda texts: tuple(parse(t) for t in texts or ())
    if _info(field).choices:
        return _choice_type(field), lambda value: value.value if isinstance(value, Enum) else value
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return (args[0] if args else hint), lambda value: value


def _option_info(field: dataclasses.Field[Any], names: str, help_text: str) -> Any:
    info = _info(field)
    return typer.Option(
        names,
        help=help_text,
        min=info.minimum if info.minimum else None,
        max=info.maximum,
        metavar=info.metavar,
        show_default=field.default not in (None, ()),
    )


def _flags_of(field: dataclasses.Field[Any], *, side_b: bool, repeatable: bool) -> _Flag:
    """The parameter for one field: A's own (`--width`), B's (`--width-b`), or repeatable (report)."""
    info, flag = _info(field), _flag_name(field)
    base, convert = _base_type(field)
    name, default, help_text = field.name, field.default, info.help
    if side_b:
        name, default, flag = f"{field.name}_b", None, f"{flag}-b"
        help_text = f"Design B's {flag.removesuffix('-b')} (default: as A)."
    if base is bool and (info.negatable or side_b):
        flag = f"{flag}/--no-{flag.removeprefix('--')}"
    if repeatable:
        annotation: Any = list[base] | None  # type: ignore[valid-type]
        default, help_text = None, f"{info.help} Repeatable: one analysis per value."
    elif side_b or default is None:
        annotation = base | None
    else:
        annotation = base
    if info.parse is not None and not repeatable:  # repeatable by nature: None means none given
        annotation, default = list[str] | None, None
    parameter = inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[annotation, _option_info(field, flag, help_text)],
    )
    return _Flag(parameter, field.name, convert)


def _generated_flags(exclude: Iterable[str], side_b: bool, repeatable: Iterable[str]) -> list[_Flag]:
    skipped, repeated = set(exclude), set(repeatable)
    flags = [
        _flags_of(f, side_b=False, repeatable=f.name in repeated)
        for f in option_fields()
        if f.name not in skipped
    ]
    if side_b:
        flags += [
            _flags_of(f, side_b=True, repeatable=False) for f in option_fields() if f.name not in skipped
        ]
    return flags


def _build(flags: list[_Flag], values: dict[str, Any], repeated: set[str]) -> dict[str, Any]:
    """The option sets a command asked for, from the parsed flag values (popped from `values`)."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for flag in flags:
        value = values.pop(flag.parameter.name)
        if flag.field in repeated:
            lists[flag.field] = [flag.convert(v) for v in value] if value else [None]
        elif flag.parameter.name.endswith("_b") and flag.parameter.name != flag.field:
            if value is not None:
                b[flag.field] = flag.convert(value)
        else:
            a[flag.field] = flag.convert(value)
    options = AnalysisOptions(**{k: v for k, v in a.items()})
    out: dict[str, Any] = {"options": options, "options_b": dataclasses.replace(options, **b)}
    if repeated:
        names = list(lists)
        out["option_sets"] = [
            dataclasses.replace(options, **{n: v for n, v in zip(names, combo, strict=True) if v is not None})
            for combo in itertools.product(*(lists[n] for n in names))
        ]
    return out


def analysis_options(
    *, exclude: Iterable[str] = (), side_b: bool = False, repeatable: Iterable[str] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one flag per analysis option (see the module doc).

    exclude: fields the command does not offer; side_b: also `--NAME-b` flags for design B of a diff
    (the body gets `options_b`); repeatable: fields given several times (the body gets `option_sets`,
    their cartesian product in the order listed).
    """
    repeated = set(repeatable)

    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(body).parameters.values() if p.name not in _GENERATED]
        wanted = set(inspect.signature(body).parameters) & set(_GENERATED)
        flags = _generated_flags(exclude, side_b, repeated)

        @functools.wraps(body)
        def command(**values: Any) -> Any:
            built = run(lambda: _build(flags, values, repeated))  # a bad rule is a one-line error
            return body(**values, **{k: v for k, v in built.items() if k in wanted})

        parameters = own + [f.parameter for f in flags]
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        del command.__wrapped__  # Typer must read the generated signature, not the body's
        return command

    return decorate
