"""`costmodel plot`: the roofline of every row of some specs on one profile."""

from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, HwOpt, SpecsArg, run, write_output
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.names import GroupBy
from costmodel.spec import load_spec, resolve_spec_path


@analysis_options()
def plot_command(
    specs: SpecsArg,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The plot file: .png or .svg.", show_default=False)
    ],
    hw: HwOpt = "snapdragon855",
    group_by: Annotated[
        GroupBy,
        typer.Option("--group-by", help="One point per layer (a fused conv+bn+act), block, node, ..."),
    ] = GroupBy.LAYER,
    options: AnalysisOptions = AnalysisOptions(),
    force: ForceOpt = False,
) -> None:
    """Roofline plot of every row of the specs on a profile (PNG or SVG).

    Arithmetic intensity against attained MAC/s under the profile's compute and DRAM roofs; a
    point's area is its share of the latency. Needs matplotlib: pip install 'costmodel\\[plot]'.
    """
    from costmodel.present.plots import plot_format, roofline_plot

    def body() -> None:
        fmt = plot_format(output)
        profile = load_profile(hw)
        results = [analyze(load_spec(resolve_spec_path(spec)), profile, options) for spec in specs]
        write_output(output, roofline_plot(results, profile, fmt, group_by.value), force)

    run(body)
