"""`costmodel lut`: a latency lookup table of a search space (docs/search.md)."""

from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, HwOpt, OutputOpt, emit, run


def lut_command(
    space: Annotated[str, typer.Argument(help="A search-space file, or a bundled space (mnasnet_mbv2).")],
    hw: HwOpt = "snapdragon855",
    output: OutputOpt = None,
    force: ForceOpt = False,
    output_format: Annotated[
        str | None, typer.Option("--format", help="csv or json (default: from the -o suffix, else csv).")
    ] = None,
    runtime: Annotated[
        str | None,
        typer.Option("--runtime", help="Runtime (docs/runtimes.md); default: the profile's own."),
    ] = None,
) -> None:
    """A latency lookup table of a search space, one entry per stage choice.

    One entry per (stage, block choice, input shape): the stage analysed alone, as the latency
    tables of FBNet, ProxylessNAS and Once-for-All hold them. The sum over a candidate's stages
    is not its analysis: tensors that stay on chip between stages are read and written through
    DRAM in the table (docs/search.md)."""

    def body() -> None:
        from costmodel.cost.options import AnalysisOptions, resolve
        from costmodel.design.lut import LutTable, build_lut
        from costmodel.design.space import load_space
        from costmodel.hw.load import load_profile
        from costmodel.present.formats import get_format, render

        fmt = output_format or _format_of(output)
        get_format("lut", fmt)  # an unknown name fails before any work
        loaded, profile = load_space(space), load_profile(hw)
        options = resolve(AnalysisOptions(runtime=runtime), profile)  # an unknown runtime fails here
        entries = build_lut(loaded, profile, AnalysisOptions(runtime=runtime))
        text = render("lut", fmt, LutTable(loaded, profile, entries, options.runtime))
        assert isinstance(text, str)
        emit(text, output, force)

    run(body)


def _format_of(output: Path | None) -> str:
    if output is not None and output.suffix.lower() == ".json":
        return "json"
    return "csv"
