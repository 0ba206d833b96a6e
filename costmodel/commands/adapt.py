"""`costmodel adapt`: NetAdapt, latency-driven channel shrinking, with every step's spec written."""

from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import HwOpt, SpecArg, console, run, write_output
from costmodel.commands.options import analysis_options
from costmodel.cost.options import AnalysisOptions


def parse_target(text: str, latency_s: float) -> float:
    """'0.5' (a fraction of the latency), '12ms', '800us' or '0.01s' (a time) -> seconds."""
    from costmodel.errors import CostModelError, ErrorCode

    units = {"ms": 1e-3, "us": 1e-6, "s": 1.0}
    for suffix, scale in units.items():
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * scale
    try:
        fraction = float(text)
    except ValueError:
        fraction = -1.0
    if not 0.0 < fraction < 1.0:
        raise CostModelError(
            ErrorCode.OPTION, f"--target: expected a fraction in (0, 1) or a time such as 12ms, got '{text}'"
        )
    return fraction * latency_s


@analysis_options()
def adapt_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    target: Annotated[
        str,
        typer.Option("--target", help="Latency to reach: a fraction of the design's (0.5) or a time (12ms)."),
    ] = "0.5",
    delta_r: Annotated[
        float, typer.Option("--delta-r", help="Latency each step must save, as a fraction of the original's.")
    ] = 0.01,
    divisor: Annotated[
        int, typer.Option("--divisor", min=1, help="Channel counts stay multiples of this.")
    ] = 8,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Write every step's spec here (NAME_stepNN.yaml).")
    ] = None,
    accuracy: Annotated[
        str,
        typer.Option(
            "--accuracy",
            help="proxy (% of the original MACs kept), FILE.csv (rows NAME and NAME_stepNN_GROUP) "
            "or module:function (given each design's Spec), as search takes them.",
        ),
    ] = "proxy",
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """NetAdapt: shrink channel groups step by step down to a latency target.

    As MobileNetV3 used it: per step, the channel group with the best Delta accuracy / |Delta
    latency| among the smallest cuts saving Delta R each; accuracy from --accuracy (by default a
    proxy, the share of MACs kept, labelled so)."""
    from costmodel.compress.adapt_accuracy import adapt_accuracy
    from costmodel.compress.design import spec_text
    from costmodel.compress.netadapt import adapt
    from costmodel.cost.analysis import analyze_graph
    from costmodel.graph.build import build_graph
    from costmodel.hw import load_profile
    from costmodel.present.compress_view import adapt_table
    from costmodel.spec import load_spec, resolve_spec_path

    def body() -> None:
        source = adapt_accuracy(accuracy)
        design = load_spec(resolve_spec_path(spec))
        profile = load_profile(hw)
        graph = build_graph(design, options.build)
        goal = parse_target(target, analyze_graph(graph, profile, options).total.latency_s)
        steps = adapt(graph, profile, options, goal, delta_r=delta_r, divisor=divisor, accuracy=source.score)
        texts = [spec_text(step.graph, f"{design.name}_step{step.step:02d}") for step in steps[1:]]
        console().print(adapt_table(steps, goal, source.description, source.is_proxy))
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            for step, text in zip(steps[1:], texts, strict=True):
                write_output(out_dir / f"{design.name}_step{step.step:02d}.yaml", text)

    run(body)
