"""`costmodel runtimes`: the bundled runtimes (runtimes/*.yaml) and what each does."""

import sys
from enum import Enum
from typing import Annotated

import typer

from costmodel.commands.common import console, run


class RuntimesFormat(str, Enum):
    table = "table"
    json = "json"


def runtimes_command(
    output_format: Annotated[
        RuntimesFormat, typer.Option("--format", help="table for people, json for machines (with sources).")
    ] = RuntimesFormat.table,
) -> None:
    """The bundled runtimes: fusion, conv algorithms, arithmetic, per-kernel cost, relative speed [EST]."""
    from costmodel.hw.runtime import list_runtimes, load_runtime
    from costmodel.present.runtimes import runtimes_json, runtimes_table

    def body() -> None:
        runtimes = [load_runtime(str(path)) for path in list_runtimes()]
        if output_format == RuntimesFormat.json:
            sys.stdout.write(runtimes_json(runtimes))
        else:
            console().print(runtimes_table(runtimes))

    run(body)
