"""`costmodel diff`: two designs, one design on two profiles, or one design under two option sets."""

import sys
from typing import Annotated

import typer

from costmodel.commands.common import (
    ColumnsOpt,
    ForceOpt,
    HwOpt,
    PlotOpt,
    WideOpt,
    console,
    format_option,
    run,
    table_fit,
    write_output,
)
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.names import GroupBy
from costmodel.spec import load_spec, resolve_spec_path


@analysis_options(side_b=True)
def diff_command(
    spec_a: Annotated[str, typer.Argument(help="Design A: spec file or bundled name.", show_default=False)],
    spec_b: Annotated[
        str | None,
        typer.Argument(
            help="Design B (default: A again, analysed with the --*-b options).", show_default=False
        ),
    ] = None,
    hw: HwOpt = "snapdragon855",
    hw_b: Annotated[str | None, typer.Option("--hw-b", help="B's hardware profile (default: --hw).")] = None,
    group_by: Annotated[
        GroupBy,
        typer.Option("--group-by", help="Align and compare rows per layer, block, stage, op type or node."),
    ] = GroupBy.STAGE,
    output_format: Annotated[
        str, format_option("diff", "table for people (green better, red worse), json for machines.")
    ] = "table",
    changed_only: Annotated[
        bool, typer.Option("--changed-only", help="Leave out rows that are the same in A and B.")
    ] = False,
    plot: PlotOpt = None,
    force: ForceOpt = False,
    columns: ColumnsOpt = None,
    wide: WideOpt = False,
    options: AnalysisOptions = AnalysisOptions(),
    options_b: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Compare two designs, or one design on two profiles or under two option sets.

    Totals side by side with deltas (B - A) and percentages, then rows aligned by name and by
    structure.

    Forms: `diff A.yaml B.yaml --hw X` (two specs); `diff A --hw X --hw-b Y` (two profiles);
    `diff A --width-b 0.75` (two option sets: every --*-b option defaults to A's value).
    """
    from costmodel.present.compare import build_diff
    from costmodel.present.formats import render

    def body() -> None:
        out = console(wide=wide)
        fit = table_fit("diff", columns, wide, out)
        profile_a = load_profile(hw)
        profile_b = load_profile(hw_b) if hw_b else profile_a
        design_a = load_spec(resolve_spec_path(spec_a))
        design_b = load_spec(resolve_spec_path(spec_b)) if spec_b else design_a
        if plot is not None:
            from costmodel.present.plots import plot_format

            plot_format(plot)  # a bad suffix fails before any work
        result = build_diff(
            analyze(design_a, profile_a, options), analyze(design_b, profile_b, options_b), group_by.value
        )
        rendered = render("diff", output_format, result, only_changed=changed_only, fit=fit)
        if isinstance(rendered, str):
            sys.stdout.write(rendered)
        else:
            out.print(rendered)
        if plot is not None:
            from costmodel.present.plots import diff_latency_plot, plot_format

            write_output(plot, diff_latency_plot(result, plot_format(plot)), force)

    run(body)
