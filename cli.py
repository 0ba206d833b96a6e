"""costmodel's command line: the Typer app, with one module per command in costmodel/commands/.

The CLI layer (this file and costmodel/commands/) is the only code that prints or exits. Every
user error is one line on stderr and exit code 2; never a traceback.
"""

import sys
from typing import Annotated, NoReturn

import typer

from costmodel.commands.adapt import adapt_command
from costmodel.commands.analyze import analyze_command
from costmodel.commands.calibrate import calibrate_command, validate_latency_command
from costmodel.commands.compress import compress_command
from costmodel.commands.diff import diff_command
from costmodel.commands.distill import distill_command
from costmodel.commands.generate import generate_command
from costmodel.commands.hw import hw_app
from costmodel.commands.import_ import import_command
from costmodel.commands.lut import lut_command
from costmodel.commands.measure import measure_command
from costmodel.commands.plot import plot_command
from costmodel.commands.report import report_command
from costmodel.commands.runtimes import runtimes_command
from costmodel.commands.search import search_command
from costmodel.commands.streams import EXIT_BROKEN_PIPE, EXIT_IO_ERROR, prepare_streams, stream_failure
from costmodel.commands.sweep import sweep_command
from costmodel.commands.validate import validate_command
from costmodel.commands.zoo import zoo_command

app = typer.Typer(
    help="Analytical cost model for neural network architectures: params, MACs, memory traffic, "
    "roofline latency and energy on a hardware profile, from YAML specs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from costmodel import __version__

        print(f"costmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Analytical cost model for neural network architectures: params, MACs, memory traffic, roofline
    latency and energy on a hardware profile, from YAML specs."""


app.command("analyze")(analyze_command)
app.command("validate")(validate_command)
app.command("diff")(diff_command)
app.command("report")(report_command)
app.command("plot")(plot_command)
app.command("sweep")(sweep_command)
app.command("generate")(generate_command)
app.command("zoo")(zoo_command)
app.command("import")(import_command)
app.command("measure")(measure_command)
app.command("validate-latency")(validate_latency_command)
app.command("calibrate")(calibrate_command)
app.command("compress")(compress_command)
app.command("adapt")(adapt_command)
app.command("distill")(distill_command)
app.command("search")(search_command)
app.command("lut")(lut_command)
app.command("runtimes")(runtimes_command)
app.add_typer(hw_app, name="hw")


def main() -> NoReturn:
    """The `costmodel` script: the app, with the output streams' failures (closed, full, a reader
    that went away) turned into their exit codes (costmodel/commands/streams.py), whether they
    happen inside a command or when the buffered output is flushed at the end."""
    code = prepare_streams()
    if code is not None:
        sys.exit(code)
    try:
        try:
            app()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code not in (EXIT_IO_ERROR, EXIT_BROKEN_PIPE):  # those have reported the failed write
            sys.stdout.flush()
    except OSError as exc:
        code = stream_failure(exc)
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
