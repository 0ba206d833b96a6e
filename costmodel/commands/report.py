"""`costmodel report`: a table for a paper, one row per (spec, hardware profile, options)."""

from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, OutputOpt, SpecsArg, emit, format_option, run
from costmodel.commands.options import analysis_options
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import load_profile
from costmodel.spec import load_spec, resolve_spec_path


@analysis_options(repeatable=("precision", "width", "resolution"))
def report_command(
    specs: SpecsArg,
    hw: Annotated[
        list[str] | None,
        typer.Option(
            "--hw", help="Hardware profile, bundled name or path (repeatable; default snapdragon855)."
        ),
    ] = None,
    output_format: Annotated[
        str,
        format_option(
            "report",
            "markdown, latex (booktabs) or html (a standalone page): numbers for people; csv or json: "
            "exact numbers under unit-suffixed keys.",
        ),
    ] = "markdown",
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Comma-separated columns, e.g. name,params,macs,latency_s. Available: name, title, "
            "hardware, "
            "options, precision, batch, width, resolution, params, macs, ops, weight_bytes, act_in_bytes, "
            "act_out_bytes, dram_bytes, naive_dram_bytes, peak_activation_bytes, min_peak_activation_bytes, "
            "kernels, latency_s, energy_j, memory_bound_share.",
        ),
    ] = None,
    output: OutputOpt = None,
    force: ForceOpt = False,
    option_sets: list[AnalysisOptions] | None = None,
) -> None:
    """A table for a paper: one row per (spec, hardware profile, options), in that order.

    Each profile gets its own default precision (fp32, or int8 on int8-only units) unless
    --precision is given.
    """
    from costmodel.present.formats import render
    from costmodel.present.report import build_report, parse_columns

    def body() -> None:
        keys = parse_columns(columns)
        profiles = [load_profile(name) for name in (hw or ["snapdragon855"])]
        loaded = [load_spec(resolve_spec_path(spec)) for spec in specs]
        results = [
            analyze(spec, profile, options)
            for spec in loaded
            for profile in profiles
            for options in option_sets or [AnalysisOptions()]
        ]
        rendered = render("report", output_format, build_report(results, keys))
        assert isinstance(rendered, str)  # every report format is text
        emit(rendered, output, force)

    run(body)
