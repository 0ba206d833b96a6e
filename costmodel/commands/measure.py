"""`costmodel measure`: time a spec on this CPU with onnxruntime, beside the prediction."""

import dataclasses
import json
import math
from enum import Enum
from typing import Annotated

import typer

from costmodel import limits
from costmodel.commands.common import SpecArg, console, run
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.present.versioned import versioned
from costmodel.spec import load_spec, resolve_spec_path


class MeasureFormat(str, Enum):
    table = "table"
    json = "json"


@analysis_options(exclude=("precision", "layer_precision", "include_aux"))
def measure_command(
    spec: SpecArg,
    hw: Annotated[
        str,
        typer.Option("--hw", help="Profile to predict with (default: this machine, detected at run time)."),
    ] = "host",
    threads: Annotated[
        int, typer.Option(min=1, max=limits.MAX_THREADS, help="onnxruntime intra-op threads.")
    ] = 1,
    runs: Annotated[int, typer.Option(min=1, max=limits.MAX_RUNS, help="Timed runs.")] = 50,
    warmup: Annotated[int, typer.Option(min=0, max=limits.MAX_WARMUP, help="Untimed runs first.")] = 10,
    output_format: Annotated[MeasureFormat, typer.Option("--format")] = MeasureFormat.table,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Time the spec on this CPU with onnxruntime: measured vs predicted latency.

    Exports the graph to ONNX with random weights (fixed seed) and times it with onnxruntime (one
    intra-op thread by default). Needs: pip install 'costmodel\\[measure]'.
    """
    from rich.text import Text

    from costmodel.graph import build_graph
    from costmodel.measure.resources import available_memory_bytes, check_fits, memory_needed_bytes
    from costmodel.measure.runner import measure_latency
    from costmodel.present.units import human_seconds

    def body() -> None:
        loaded = load_spec(resolve_spec_path(spec))
        profile = load_profile(hw)
        fp32 = dataclasses.replace(options, precision="fp32")  # onnxruntime runs the fp32 export
        analysed = analyze(loaded, profile, fp32)
        predicted = analysed.total.latency_s
        graph = build_graph(loaded, options.build)
        batch = options.batch
        needed = memory_needed_bytes(
            analysed.total.params, analysed.peak_activation_bytes, batch * math.prod(graph.input_shape)
        )
        check_fits(needed, available_memory_bytes(), batch)
        measured = measure_latency(graph, batch=batch, threads=threads, warmup=warmup, runs=runs)
        error = (predicted - measured.median_s) / measured.median_s
        if output_format is MeasureFormat.json:
            document = {
                "spec": loaded.name,
                "hardware": profile.name,
                "predicted_s": predicted,
                "measured": measured.to_dict(),
                "error": error,
            }
            print(json.dumps(versioned(document), indent=2))
            return
        heading = Text(loaded.title or loaded.name, style="bold")  # from the file: never markup
        console().print(
            heading,
            f"batch {batch}, width {options.width:g}, "
            f"onnxruntime {measured.onnxruntime_version}, {threads} thread(s), {runs} runs\n"
            f"measured  median {human_seconds(measured.median_s)} "
            f"(p10 {human_seconds(measured.p10_s)}, p90 {human_seconds(measured.p90_s)})\n"
            f"predicted {human_seconds(predicted)} on {profile.name} ({error:+.0%})",
        )

    run(body)
