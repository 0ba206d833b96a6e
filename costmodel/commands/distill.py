"""`costmodel distill`: the cost of a distillation step, and what the student saves at inference."""

import json
import sys
from typing import Annotated

import typer

from costmodel.commands.common import HwOpt, console, run
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
    as_json: Annotated[bool, typer.Option("--json", help="JSON for machines.")] = False,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Distillation: the cost of a training step, and what the student saves.

    Per training step: the teacher's forward pass plus the student's forward and backward passes;
    the student's inference speed-up and compression ratio against the teacher."""
    from costmodel.compress.distill import distill_step
    from costmodel.cost.analysis import analyze
    from costmodel.hw import load_profile
    from costmodel.present.compress_view import distill_table
    from costmodel.present.versioned import versioned
    from costmodel.spec import load_spec, resolve_spec_path

    def body() -> None:
        profile = load_profile(hw)
        step = distill_step(
            analyze(load_spec(resolve_spec_path(teacher)), profile, options),
            analyze(load_spec(resolve_spec_path(student)), profile, options),
        )
        if as_json:
            sys.stdout.write(json.dumps(versioned(step.to_dict()), indent=2) + "\n")
        else:
            console().print(distill_table(step))

    run(body)
