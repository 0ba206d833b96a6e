"""What every command shares: consoles, the error boundary, the spec and profile arguments, writing
output files. The CLI layer (cli.py and costmodel/commands/) is the only code that prints or exits;
every user error is one line on stderr and exit code 2, never a traceback.

No `from __future__ import annotations` in the command modules: Typer reads every command's
signature at each start, and string annotations made it evaluate each `Annotated[...]` again.
"""

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from costmodel.commands.streams import stream_failure
from costmodel.errors import CostModelError, ErrorCode, excerpt
from costmodel.spec.files import exists, is_directory, was_read

if TYPE_CHECKING:
    from costmodel.present.fit import TableFit

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70

T = TypeVar("T")


WIDE = 1000  # columns of a --wide console: tables at their natural width, past the terminal's edge


def console(stderr: bool = False, wide: bool = False) -> Console:
    """A console on stdout (or stderr). A pipe gets no colour (rich's default, and NO_COLOR is
    respected by rich) and a wide table instead of 80 columns, unless COLUMNS says otherwise;
    `wide` (--wide) lets a table be as wide as its columns need (for `less -S`)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    # markup and emoji codes off: titles, names and labels come from files, and '[/bold]' or
    # '[link=...]' in one must be shown as written (issue 16); views style with Text, not markup
    return _Console(file=stream, width=WIDE if wide else width, stderr=stderr, markup=False, emoji=False)


class _Console(Console):
    """rich's Console, except that a reader that went away is our exit code (141), not rich's
    exit 1: the BrokenPipeError goes to `run` like any other failed write."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def run(action: Callable[[], T]) -> T:
    """Run a command body; user errors become one line and exit 2, output that cannot be written
    (costmodel/commands/streams.py) exit 74 or 141, bugs one line and exit 70."""
    try:
        return action()
    except CostModelError as exc:
        console(stderr=True).print(
            f"costmodel: {exc}", markup=False, highlight=False, soft_wrap=True, emoji=False
        )  # ':smile:' in a name stays text
        raise typer.Exit(EXIT_USER_ERROR) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except OSError as exc:  # file errors are CostModelErrors already: this is stdout or stderr
        raise typer.Exit(stream_failure(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("COSTMODEL_DEBUG"):
            raise
        console(stderr=True).print(
            f"costmodel: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; COSTMODEL_DEBUG=1 shows the traceback)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None


def write_output(path: Path, data: str | bytes, force: bool = False) -> None:
    """Write a result file and say so on stderr (stdout stays clean for pipes). Never over a file
    this run read (`report spec.yaml -o spec.yaml`), and over another existing file only with
    --force (`force`)."""
    check_output_target(path, force)
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise CostModelError(
            ErrorCode.FILE, f"cannot write {excerpt(str(path))}: {excerpt(exc.strerror or str(exc))}"
        ) from None
    sys.stdout.flush()
    print(f"wrote {path}", file=sys.stderr)


def emit(text: str, output: Path | None, force: bool = False) -> None:
    """Text to stdout, or to `output` when given."""
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text, force)


def check_output_target(path: Path, force: bool) -> None:
    """Refuse to write over an input of this run, or over an existing file unless forced."""
    if was_read(path):
        raise CostModelError(
            ErrorCode.FILE, f"refusing to write over {excerpt(str(path))}: this run read it as input"
        )
    if exists(path) and not is_directory(path) and not force:
        raise CostModelError(ErrorCode.FILE, f"{excerpt(str(path))} exists; --force writes over it")


SpecArg = Annotated[
    str,
    typer.Argument(help="Spec file, or the name of a bundled spec (e.g. mbv3_small).", show_default=False),
]
SpecsArg = Annotated[list[str], typer.Argument(help="Spec files or bundled names.", show_default=False)]
HwOpt = Annotated[
    str,
    typer.Option("--hw", help="Hardware profile: a bundled name (see `costmodel hw list`) or a YAML path."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Write to this file instead of standard output."),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Write over an existing output file (never over an input).")
]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Also write a plot of the result (.png or .svg)."),
]


def format_option(kind: str, help_text: str) -> Any:
    """The --format option of a kind of output: its choices from the one registry
    (costmodel/present/formats.py), checked when parsed and listed in --help."""
    from costmodel.present.formats import formats_for

    choices = formats_for(kind)

    def check(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(choices)}")
        return value

    return typer.Option("--format", callback=check, metavar="|".join(choices), help=help_text)


ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Comma-separated columns of the table, in this order (an unknown name lists them all); "
        "default: the most important ones that fit the terminal.",
        show_default=False,
    ),
]
WideOpt = Annotated[bool, typer.Option("--wide", help="Every column, however wide the table gets.")]


def table_fit(kind: str, columns: str | None, wide: bool, out: Console) -> "TableFit":
    """How a table fits `out`: its width, the user's --columns (checked) and --wide."""
    from costmodel.present.fit import TableFit, check_columns

    keys = None
    if columns is not None:
        keys = tuple(k.strip() for k in columns.split(",") if k.strip())
        check_columns(kind, keys)
    return TableFit(width=out.width, columns=keys, wide=wide)
