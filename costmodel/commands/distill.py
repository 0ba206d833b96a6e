"""`costmodel distill`: the cost of a distillation step, and what the student saves at inference."""

import sys
from typing import Annotated

import typer

from costmodel.commands.common import HwOpt, console, format_option, run
from costmodel.commands.options import analysis_options
from costmodel.cost.options import AnalysisOptions


@analysis_options()
def distill_command(
    teacher: Annotated[
        str, typer.Argument(help="The teacher: spec file or bundled name.", show_default=False)
    ],
    student: Annotated[
        str, typer.Argument(help="The student: spec file or bundled name.", show_default=False)
    ],
    hw: HwOpt = "snapdragon855",
    output_format: Annotated[
        str, format_option("distill", "table for people, json or csv (exact numbers) for machines.")
    ] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Distillation: the cost of a training step, and what the student saves.

    Per training step: the teacher's forward pass plus the student's forward and backward passes;
    the student's inference speed-up and compression ratio against the teacher."""
    from costmodel.compress.distill import distill_step
    from costmodel.cost.analysis import analyze
    from costmodel.hw import load_profile
    from costmodel.present.formats import render
    from costmodel.spec import load_spec, resolve_spec_path

    def body() -> None:
        profile = load_profile(hw)
        step = distill_step(
            analyze(load_spec(resolve_spec_path(teacher)), profile, options),
            analyze(load_spec(resolve_spec_path(student)), profile, options),
        )
        rendered = render("distill", "json" if as_json else output_format, step)
        if isinstance(rendered, str):
            sys.stdout.write(rendered)
        else:
            console().print(rendered)

    run(body)
