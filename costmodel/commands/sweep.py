"""`costmodel sweep`: totals of one spec at every width x resolution (x batch x precision)."""

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from costmodel.commands.common import (
    ColumnsOpt,
    ForceOpt,
    HwOpt,
    OutputOpt,
    SpecArg,
    WideOpt,
    console,
    emit,
    format_option,
    run,
    table_fit,
    write_output,
)
from costmodel.commands.options import analysis_options
from costmodel.cost.options import AnalysisOptions, resolve
from costmodel.cost.sweep import SweepPoint
from costmodel.hw import load_profile
from costmodel.spec import load_spec, resolve_spec_path

if TYPE_CHECKING:
    from costmodel.present.fit import TableFit

PROGRESS_FROM = 200  # variants: about a second of work, worth a progress bar on a terminal


@analysis_options(exclude=("batch", "precision", "width", "resolution"))
def sweep_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    widths: Annotated[
        str | None,
        typer.Option(
            "--widths",
            help="Comma-separated width multipliers; default 0.5,0.75,1.0 (1.0 for an ONNX model).",
            show_default=False,
        ),
    ] = None,
    resolutions: Annotated[
        str | None,
        typer.Option(
            "--resolutions",
            help="Comma-separated input resolutions; default 128,160,192,224 (MobileNet's grid) and "
            "the spec's own.",
            show_default=False,
        ),
    ] = None,
    batches: Annotated[str, typer.Option("--batches", help="Comma-separated batch sizes.")] = "1",
    precisions: Annotated[
        str | None,
        typer.Option(
            "--precisions",
            help="Comma-separated precisions (fp32, fp16, bf16, int8, int4); default fp32, or the profile's "
            "only precision.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str, format_option("sweep", "table for people; csv or json: exact numbers for machines.")
    ] = "table",
    output: OutputOpt = None,
    force: ForceOpt = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also write latency against MACs, one line per width (.png or .svg)."),
    ] = None,
    columns: ColumnsOpt = None,
    wide: WideOpt = False,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Totals of one spec at every width x resolution (x batch x precision).

    Params, MACs, DRAM traffic, peak activation memory, latency and energy per variant, equal to
    `analyze`'s totals for it (peak memory: the declared order's). A sweep reuses work between
    variants and runs hundreds of variants per second.
    """
    from costmodel.cost import sweep as sweeps

    def body() -> None:
        if plot is not None:
            from costmodel.present.plots import plot_format

            plot_format(plot)  # a bad suffix fails before any work
        loaded = load_spec(resolve_spec_path(spec))
        profile = load_profile(hw)
        resolved = resolve(options, profile)
        grid: dict[str, Any] = {
            "widths": sweeps.parse_widths(widths or sweeps.default_widths(loaded)),
            "resolutions": sweeps.parse_resolutions(resolutions)
            if resolutions
            else sweeps.default_resolutions(loaded),
            "batches": sweeps.parse_batches(batches),
            "precisions": sweeps.parse_precisions(precisions)
            if precisions
            else (resolved.compute_precision,),
        }
        start = time.perf_counter()
        variants: Iterable[SweepPoint] = sweeps.sweep(
            loaded, profile, grid["widths"], grid["resolutions"], resolved,
            batches=grid["batches"], precisions=grid["precisions"],
        )  # fmt: skip
        total = (
            len(grid["widths"]) * len(grid["resolutions"]) * len(grid["batches"]) * len(grid["precisions"])
        )
        if sys.stderr.isatty() and total >= PROGRESS_FROM:
            from rich.progress import track

            variants = track(
                variants, total=total, description="sweeping", console=console(stderr=True), transient=True
            )
        points = list(variants)
        elapsed = time.perf_counter() - start
        under = f" under {resolved.runtime}" if resolved.runtime else ""
        title = f"{loaded.title or loaded.name} on {profile.name}{under}: {len(points)} variants"
        meta = {
            "spec": loaded.name,
            "hardware": profile.name,
            "runtime": resolved.runtime,
            "options": resolved.to_dict() | dict.fromkeys(("width", "resolution", "batch", "precision")),
        }
        fit = table_fit("sweep", columns, wide, console(wide=wide))
        _show(points, title, meta, output_format, (output, force), fit, wide)
        if output_format == "table" and output is None:
            print(f"{len(points)} variants in {elapsed:.2f} s", file=sys.stderr)
        if plot is not None:
            from costmodel.present.plots import plot_format, sweep_plot

            write_output(plot, sweep_plot(points, title, plot_format(plot)), force)

    run(body)


def _show(
    points: list[SweepPoint],
    title: str,
    meta: dict[str, Any],
    fmt: str,
    target: tuple[Path | None, bool],  # -o and --force
    fit: "TableFit",
    wide: bool,
) -> None:
    from costmodel.present.formats import render, render_text

    output, force = target
    if output is not None:  # a file: a table as plain text
        text = render_text("sweep", fmt, points, title=title, meta=meta)
        assert isinstance(text, str)
        emit(text, output, force)
        return
    rendered = render("sweep", fmt, points, title=title, meta=meta, fit=fit)
    if isinstance(rendered, str):
        emit(rendered, None)
    else:
        console(wide=wide).print(rendered)
