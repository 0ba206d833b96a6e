"""`costmodel analyze`: one design on one profile, per row and in total."""

import sys
from enum import Enum
from typing import Annotated

import typer

from costmodel.commands.common import HwOpt, SpecArg, console, run
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.names import GroupBy
from costmodel.spec import load_spec, resolve_spec_path


class AnalysisFormat(str, Enum):
    table = "table"
    json = "json"


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
        AnalysisFormat, typer.Option("--format", help="table for people, json for machines.")
    ] = AnalysisFormat.table,
    top: Annotated[int, typer.Option(min=0, help="How many top latency contributors to list.")] = 5,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Params, MACs, memory traffic, roofline latency and energy, per row and in total."""
    from costmodel.present import terminal

    def body() -> None:
        result = analyze(load_spec(resolve_spec_path(spec)), load_profile(hw), options)
        if output_format is AnalysisFormat.json:
            sys.stdout.write(terminal.analysis_json(result, group_by.value) + "\n")
        else:
            console().print(terminal.analysis_view(result, group_by.value, top))

    run(body)
