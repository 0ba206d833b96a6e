"""`costmodel hw list` and `costmodel hw show`: the hardware profiles."""

from typing import Annotated

import typer
from rich.table import Table

from costmodel.commands.common import console, run
from costmodel.hw import HOST, list_profiles, load_profile

hw_app = typer.Typer(help="List and inspect hardware profiles.", no_args_is_help=True)


@hw_app.command("list")
def hw_list() -> None:
    """The bundled hardware profiles, and `host` (this machine, detected at run time)."""

    def body() -> None:
        table = Table(header_style="bold")
        table.add_column("name", no_wrap=True)  # the name is what users type: never truncated
        table.add_column("title", ratio=1)
        table.add_column("unit", no_wrap=True)
        table.add_column("precisions", ratio=1)
        for source in [str(path) for path in list_profiles()] + [HOST]:
            profile = load_profile(source)
            table.add_row(profile.name, profile.title, profile.unit, ", ".join(profile.precisions))
        console().print(table)

    run(body)


@hw_app.command("show")
def hw_show(name: Annotated[str, typer.Argument(help="Profile name or YAML path.")]) -> None:
    """Every number of a profile with its source."""
    from costmodel.present import terminal

    run(lambda: console().print(terminal.profile_view(load_profile(name))))
