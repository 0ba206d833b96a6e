"""`costmodel hw list` and `costmodel hw show`: the hardware profiles."""

from typing import Annotated

import typer

from costmodel.commands.common import ColumnsOpt, console, run, table_fit
from costmodel.hw import HOST, list_profiles, load_profile

hw_app = typer.Typer(help="List and inspect hardware profiles.", no_args_is_help=True)


@hw_app.command("list")
def hw_list(columns: ColumnsOpt = None) -> None:
    """The bundled hardware profiles, and `host` (this machine, detected at run time)."""

    from costmodel.present.terminal import profiles_table

    def body() -> None:
        out = console()
        profiles = [load_profile(source) for source in [str(path) for path in list_profiles()] + [HOST]]
        out.print(profiles_table(profiles, table_fit("profiles", columns, False, out)))

    run(body)


@hw_app.command("show")
def hw_show(name: Annotated[str, typer.Argument(help="Profile name or YAML path.")]) -> None:
    """Every number of a profile with its source."""
    from costmodel.present import terminal

    run(lambda: console().print(terminal.profile_view(load_profile(name))))
