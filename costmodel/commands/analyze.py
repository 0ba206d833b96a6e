"""`costmodel analyze`: one design on one profile, per row and in total."""

import sys
from typing import Annotated

import typer

from costmodel.commands.common import (
    ColumnsOpt,
    HwOpt,
    SpecArg,
    WideOpt,
    console,
    format_option,
    run,
    table_fit,
)
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.names import GroupBy
from costmodel.spec import load_spec, resolve_spec_path

GroupByOpt = Annotated[
    GroupBy,
    typer.Option("--group-by", help="Rows per node, spec layer (conv+bn+act), block use, stage or op type."),
]


@analysis_options()
def analyze_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    group_by: GroupByOpt = GroupBy.BLOCK,
    output_format: Annotated[
        str, format_option("analysis", "table for people, json for machines.")
    ] = "table",
    top: Annotated[int, typer.Option(min=0, help="How many top latency contributors to list.")] = 5,
    columns: ColumnsOpt = None,
    wide: WideOpt = False,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Params, MACs, memory traffic, roofline latency and energy, per row and in total."""
    from costmodel.present.formats import render

    def body() -> None:
        out = console(wide=wide)
        fit = table_fit("analysis", columns, wide, out)
        result = analyze(load_spec(resolve_spec_path(spec)), load_profile(hw), options)
        rendered = render("analysis", output_format, result, group_by=group_by.value, top=top, fit=fit)
        if isinstance(rendered, str):
            sys.stdout.write(rendered)
        else:
            out.print(rendered)

    run(body)
