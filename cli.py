"""costmodel's command line: parse options, call the library, print. The only module that prints
or exits. Every user error is one line on stderr and exit code 2; never a traceback.

No `from __future__ import annotations` here: Typer reads every command's signature on every
run, and string annotations made it evaluate each `Annotated[...]` again (30 ms of a 0.4 s start).
"""

import functools
import os
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError
from costmodel.graph.build import Graph
from costmodel.hw import HardwareProfile, list_profiles, load_profile
from costmodel.spec.model import load_spec, resolve_spec_path

app = typer.Typer(
    help="Analytical cost model for neural network architectures: params, MACs, memory traffic, "
    "roofline latency and energy on a hardware profile, from YAML specs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
hw_app = typer.Typer(help="List and inspect hardware profiles.", no_args_is_help=True)
app.add_typer(hw_app, name="hw")

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70


def _console(stderr: bool = False) -> Console:
    # A pipe gets no colour (rich's default) and a wide table instead of 80 columns.
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 200
    return Console(file=stream, width=width, stderr=stderr)


T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    """Run a command body; user errors become one line and exit 2, bugs one line and exit 70."""
    try:
        return action()
    except CostModelError as exc:
        _console(stderr=True).print(
            f"costmodel: {exc}", markup=False, highlight=False, soft_wrap=True, emoji=False
        )  # ':smile:' in a name stays text
        raise typer.Exit(EXIT_USER_ERROR) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("COSTMODEL_DEBUG"):
            raise
        _console(stderr=True).print(
            f"costmodel: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; COSTMODEL_DEBUG=1 shows the traceback)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERNAL_ERROR) from None


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


class GroupBy(str, Enum):
    node = "node"
    layer = "layer"
    block = "block"
    stage = "stage"
    op = "op"


class Precision(str, Enum):
    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    int8 = "int8"
    int4 = "int4"


SpecArg = Annotated[
    str,
    typer.Argument(help="Spec file, or the name of a bundled spec (e.g. mbv3_small).", show_default=False),
]
HwOpt = Annotated[
    str,
    typer.Option("--hw", help="Hardware profile: a bundled name (see `costmodel hw list`) or a YAML path."),
]
BatchOpt = Annotated[int, typer.Option(min=1, max=1_000_000, help="Batch size.")]
PrecisionOpt = Annotated[
    Precision, typer.Option(help="Numeric precision of weights and activations (int4: weights only).")
]
WidthOpt = Annotated[
    float,
    typer.Option(
        help="Width multiplier: channels scaled and rounded "
        "with make_divisible(c*w, 8), except layers marked fixed."
    ),
]
ResolutionOpt = Annotated[
    int | None,
    typer.Option(min=1, max=16384, help="Input resolution (square side in pixels); default: the spec's."),
]


LayerPrecisionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layer-precision",
        help="PATTERN=PRECISION for layers matching a glob over node names, "
        "e.g. 'stem.*=fp32' (repeatable; first match wins; before the spec's own `precision:`).",
    ),
]
FusionOpt = Annotated[
    bool,
    typer.Option(
        "--fusion/--no-fusion", help="Fuse conv/linear with the elementwise ops that follow into one kernel."
    ),
]
CacheOpt = Annotated[
    bool,
    typer.Option(
        "--cache/--no-cache", help="Keep an activation on chip when it fits and the next kernel reads it."
    ),
]
CacheFractionOpt = Annotated[
    float,
    typer.Option(
        min=0.01, max=1.0, help="Share of the largest on-chip memory an activation may use to stay on chip."
    ),
]


ResidentWeightsOpt = Annotated[
    bool,
    typer.Option(
        "--resident-weights",
        help="Keep the weights on chip across inferences when they all fit "
        "beside the activations (Edge TPU SRAM, large GPU L2).",
    ),
]
AuxOpt = Annotated[
    bool,
    typer.Option(
        "--aux",
        help="Include the spec's training-only auxiliary "
        "heads (GoogLeNet, Inception V3), left out by default.",
    ),
]


def _default_precision(profile: HardwareProfile) -> Precision:
    """fp32, or the first precision of a unit that has no fp32 (int8-only NPUs, the Edge TPU)."""
    return Precision("fp32" if "fp32" in profile.precisions else next(iter(profile.precisions)))


def _analysis_options(
    batch: int,
    precision: Precision,
    width: float,
    resolution: int | None,
    layer_precision: list[str] | None = None,
    fusion: bool = True,
    cache: bool = True,
    cache_fraction: float = 0.5,
    include_aux: bool = False,
    resident_weights: bool = False,
) -> AnalysisOptions:
    from costmodel.cost.precision import parse_rule

    rules = tuple(parse_rule(text) for text in layer_precision or ())
    return AnalysisOptions(
        batch=batch,
        precision=precision.value,
        width=width,
        resolution=resolution,
        layer_precision=rules,
        fusion=fusion,
        cache=cache,
        cache_fraction=cache_fraction,
        include_aux=include_aux,
        resident_weights=resident_weights,
    )


@app.command("analyze")
def analyze_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    batch: BatchOpt = 1,
    precision: Annotated[
        Precision | None,
        typer.Option(
            help="Numeric precision of weights and activations (int4: weights only); default fp32, "
            "or the profile's only precision for int8-only units.",
            show_default=False,
        ),
    ] = None,
    width: WidthOpt = 1.0,
    resolution: ResolutionOpt = None,
    layer_precision: LayerPrecisionOpt = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    cache_fraction: CacheFractionOpt = 0.5,
    aux: AuxOpt = False,
    resident_weights: ResidentWeightsOpt = False,
    group_by: Annotated[
        GroupBy,
        typer.Option(
            "--group-by", help="Rows per node, spec layer (conv+bn+act), block use, stage or op type."
        ),
    ] = GroupBy.block,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="table for people, json for machines.")
    ] = OutputFormat.table,
    top: Annotated[int, typer.Option(min=0, help="How many top latency contributors to list.")] = 5,
) -> None:
    """Params, MACs, memory traffic, roofline latency and energy, per row and in total."""
    from costmodel.present import terminal as render

    def body() -> None:
        profile = load_profile(hw)
        chosen = precision or _default_precision(profile)
        options = _analysis_options(
            batch,
            chosen,
            width,
            resolution,
            layer_precision,
            fusion,
            cache,
            cache_fraction,
            aux,
            resident_weights,
        )
        result = analyze(load_spec(resolve_spec_path(spec)), profile, options)
        if output_format is OutputFormat.json:
            sys.stdout.write(render.analysis_json(result, group_by.value) + "\n")
        else:
            _console().print(render.analysis_view(result, group_by.value, top))

    _run(body)


@app.command("validate")
def validate_command(
    specs: Annotated[list[str], typer.Argument(help="Spec files or bundled names.", show_default=False)],
) -> None:
    """Check specs (YAML, keys, ops, blocks, shapes) without analysing them."""
    from costmodel.graph.build import build_graph

    def build(spec: str) -> Graph:
        return build_graph(load_spec(resolve_spec_path(spec)))

    failures = 0
    for spec in specs:
        try:
            graph = _run(functools.partial(build, spec))
        except typer.Exit as exc:  # _run printed the one-line error
            if exc.exit_code != EXIT_USER_ERROR:
                raise
            failures += 1
            continue
        print(f"ok  {spec}: {len(graph.nodes) - 1} nodes, output {list(graph.node(graph.output).shape)}")
    if failures:
        raise typer.Exit(EXIT_USER_ERROR)


MeasurementsArg = Annotated[
    Path,
    typer.Argument(
        help="CSV of measured latencies: columns spec, "
        "latency_ms, and optionally width, resolution, "
        "precision, batch, label; '#' lines are comments."
    ),
]


@app.command("validate-latency")
def validate_latency_command(measurements: MeasurementsArg, hw: HwOpt = "snapdragon855") -> None:
    """Predicted vs measured latency: MAPE, share within ±10% and ±25%, Spearman rank correlation."""
    from costmodel.hw.calibrate import validate_latency
    from costmodel.present import terminal as render

    _run(
        lambda: _console().print(render.latency_report_view(validate_latency(measurements, load_profile(hw))))
    )


@app.command("calibrate")
def calibrate_command(
    measurements: MeasurementsArg,
    hw: HwOpt = "snapdragon855",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the calibrated profile here (YAML).")
    ] = None,
    loo: Annotated[
        bool,
        typer.Option(
            "--loo/--no-loo", help="Also score leave-one-model-out predictions (one fit per model)."
        ),
    ] = True,
    prior: Annotated[
        str | None,
        typer.Option(
            "--prior",
            help="Profile whose efficiencies, "
            "overhead and bandwidth the fit starts from "
            "(default: --hw itself).",
        ),
    ] = None,
) -> None:
    """Fit a profile to measured latencies.

    Fits the efficiency of each op class, the per-kernel overhead, the achievable DRAM bandwidth
    and per-precision efficiency scales: least squares on log latency, with a weak prior toward
    the profile's values (or --prior's). Needs scipy: pip install 'costmodel\\[calibrate]'.
    """
    import yaml

    from costmodel.hw.calibrate import calibrate, calibrated_profile_dict
    from costmodel.present import terminal as render

    def body() -> None:
        profile = load_profile(hw)
        report = calibrate(measurements, profile, loo, load_profile(prior) if prior else None)
        _console().print(render.latency_report_view(report))
        if output is not None:
            assert report.params is not None and report.fitted is not None
            data = calibrated_profile_dict(
                profile, report.params, str(measurements), report.fitted, report.loo
            )
            data["name"] = output.stem
            output.write_text(yaml.safe_dump(data, sort_keys=False, width=100), encoding="utf-8")
            load_profile(str(output))  # what we wrote must load
            print(f"wrote {output}")

    _run(body)


@app.command("measure")
def measure_command(
    spec: SpecArg,
    hw: Annotated[
        str,
        typer.Option("--hw", help="Profile to predict with (default: this machine, detected at run time)."),
    ] = "host",
    batch: BatchOpt = 1,
    width: WidthOpt = 1.0,
    resolution: ResolutionOpt = None,
    threads: Annotated[int, typer.Option(min=1, max=256, help="onnxruntime intra-op threads.")] = 1,
    runs: Annotated[int, typer.Option(min=1, max=100_000, help="Timed runs.")] = 50,
    warmup: Annotated[int, typer.Option(min=0, max=10_000, help="Untimed runs first.")] = 10,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Time the spec on this CPU with onnxruntime: measured vs predicted latency.

    Exports the graph to ONNX with random weights (fixed seed) and times it with onnxruntime (one
    intra-op thread by default). Needs: pip install 'costmodel\\[measure]'.
    """
    import json

    from costmodel.graph.build import BuildOptions, build_graph
    from costmodel.measure.runner import measure_latency
    from costmodel.present.units import human_seconds

    def body() -> None:
        loaded = load_spec(resolve_spec_path(spec))
        profile = load_profile(hw)
        options = _analysis_options(batch, Precision.fp32, width, resolution)
        predicted = analyze(loaded, profile, options).total.latency_s
        graph = build_graph(loaded, BuildOptions(width=width, resolution=resolution))
        measured = measure_latency(graph, batch=batch, threads=threads, warmup=warmup, runs=runs)
        error = (predicted - measured.median_s) / measured.median_s
        if output_format is OutputFormat.json:
            print(
                json.dumps(
                    {
                        "spec": loaded.name,
                        "hardware": profile.name,
                        "predicted_s": predicted,
                        "measured": measured.to_dict(),
                        "error": error,
                    },
                    indent=2,
                )
            )
            return
        _console().print(
            f"[bold]{loaded.title or loaded.name}[/] batch {batch}, width {width:g}, "
            f"onnxruntime {measured.onnxruntime_version}, {threads} thread(s), {runs} runs\n"
            f"measured  median {human_seconds(measured.median_s)} "
            f"(p10 {human_seconds(measured.p10_s)}, p90 {human_seconds(measured.p90_s)})\n"
            f"predicted {human_seconds(predicted)} on {profile.name} ({error:+.0%})"
        )

    _run(body)


@app.command("zoo")
def zoo_command() -> None:
    """The bundled specs: name, model, and the paper and reference each reproduces."""
    from rich.table import Table

    from costmodel.spec.model import bundled_specs

    def body() -> None:
        table = Table(header_style="bold")
        for header in ("name", "model", "source"):
            table.add_column(header, no_wrap=header == "name")
        for path in bundled_specs():
            spec = load_spec(path)
            table.add_row(spec.name, spec.title, spec.source)
        _console().print(table)

    _run(body)


# -- diff, report, plot ---------------------------------------------------------------------------


class ReportFormat(str, Enum):
    markdown = "markdown"
    csv = "csv"
    latex = "latex"
    html = "html"
    json = "json"


PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Also write a bar chart of latency per row of A and B (.png or .svg)."),
]


def _write_output(path: Path, data: str | bytes) -> None:
    from costmodel.errors import ErrorCode

    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise CostModelError(ErrorCode.FILE, f"cannot write {path}: {exc.strerror or exc}") from None
    sys.stdout.flush()
    print(f"wrote {path}", file=sys.stderr)


@app.command("diff")
def diff_command(
    spec_a: Annotated[str, typer.Argument(help="Design A: spec file or bundled name.", show_default=False)],
    spec_b: Annotated[
        str | None,
        typer.Argument(
            help="Design B (default: A again, analysed with the --*-b options).", show_default=False
        ),
    ] = None,
    hw: HwOpt = "snapdragon855",
    batch: BatchOpt = 1,
    precision: PrecisionOpt = Precision.fp32,
    width: WidthOpt = 1.0,
    resolution: ResolutionOpt = None,
    layer_precision: LayerPrecisionOpt = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    cache_fraction: CacheFractionOpt = 0.5,
    hw_b: Annotated[str | None, typer.Option("--hw-b", help="B's hardware profile (default: --hw).")] = None,
    batch_b: Annotated[
        int | None, typer.Option("--batch-b", min=1, max=1_000_000, help="B's batch size (default: --batch).")
    ] = None,
    precision_b: Annotated[
        Precision | None, typer.Option("--precision-b", help="B's precision (default: --precision).")
    ] = None,
    width_b: Annotated[
        float | None, typer.Option("--width-b", help="B's width multiplier (default: --width).")
    ] = None,
    resolution_b: Annotated[
        int | None,
        typer.Option(
            "--resolution-b", min=1, max=16384, help="B's input resolution (default: --resolution)."
        ),
    ] = None,
    fusion_b: Annotated[
        bool | None,
        typer.Option("--fusion-b/--no-fusion-b", help="B's fusion (default: as A).", show_default=False),
    ] = None,
    cache_b: Annotated[
        bool | None,
        typer.Option("--cache-b/--no-cache-b", help="B's on-chip cache (default: as A).", show_default=False),
    ] = None,
    group_by: Annotated[
        GroupBy,
        typer.Option("--group-by", help="Align and compare rows per layer, block, stage, op type or node."),
    ] = GroupBy.stage,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="table for people (green better, red worse), json for machines."),
    ] = OutputFormat.table,
    changed_only: Annotated[
        bool, typer.Option("--changed-only", help="Leave out rows that are the same in A and B.")
    ] = False,
    plot: PlotOpt = None,
) -> None:
    """Compare two designs, or one design on two profiles or under two option sets.

    Totals side by side with deltas (B - A) and percentages, then rows aligned by name and by
    structure.

    Forms: `diff A.yaml B.yaml --hw X` (two specs); `diff A --hw X --hw-b Y` (two profiles);
    `diff A --width-b 0.75` (two option sets: every --*-b option defaults to A's value).
    """
    import dataclasses

    from costmodel.present import diff_view as render_tables
    from costmodel.present.compare import build_diff

    def body() -> None:
        options_a = _analysis_options(
            batch, precision, width, resolution, layer_precision, fusion, cache, cache_fraction
        )
        changes: dict[str, Any] = {
            "batch": batch_b,
            "width": width_b,
            "resolution": resolution_b,
            "fusion": fusion_b,
            "cache": cache_b,
            "precision": precision_b.value if precision_b else None,
        }
        options_b = dataclasses.replace(options_a, **{k: v for k, v in changes.items() if v is not None})
        profile_a = load_profile(hw)
        profile_b = load_profile(hw_b) if hw_b else profile_a
        spec_a_model = load_spec(resolve_spec_path(spec_a))
        spec_b_model = load_spec(resolve_spec_path(spec_b)) if spec_b else spec_a_model
        if plot is not None:
            from costmodel.present.plots import plot_format

            plot_format(plot)  # a bad suffix fails before any work
        result = build_diff(
            analyze(spec_a_model, profile_a, options_a),
            analyze(spec_b_model, profile_b, options_b),
            group_by.value,
        )
        if output_format is OutputFormat.json:
            sys.stdout.write(render_tables.diff_json(result) + "\n")
        else:
            _console().print(render_tables.diff_view(result, changed_only))
        if plot is not None:
            from costmodel.present.plots import diff_latency_plot, plot_format

            _write_output(plot, diff_latency_plot(result, plot_format(plot)))

    _run(body)


@app.command("report")
def report_command(
    specs: Annotated[list[str], typer.Argument(help="Spec files or bundled names.", show_default=False)],
    hw: Annotated[
        list[str] | None,
        typer.Option(
            "--hw", help="Hardware profile, bundled name or path (repeatable; default snapdragon855)."
        ),
    ] = None,
    batch: BatchOpt = 1,
    precision: Annotated[
        list[Precision] | None, typer.Option("--precision", help="Precision (repeatable; default fp32).")
    ] = None,
    width: Annotated[
        list[float] | None, typer.Option("--width", help="Width multiplier (repeatable; default 1.0).")
    ] = None,
    resolution: Annotated[
        list[int] | None,
        typer.Option(
            "--resolution", min=1, max=16384, help="Input resolution (repeatable; default the spec's)."
        ),
    ] = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    cache_fraction: CacheFractionOpt = 0.5,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            help="markdown, latex (booktabs) or html (a standalone page): numbers for "
            "people; csv or json: exact numbers under unit-suffixed keys.",
        ),
    ] = ReportFormat.markdown,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Comma-separated columns, e.g. name,params,macs,latency_s. Available: "
            "name, title, hardware, options, precision, batch, width, resolution, params, macs, ops, "
            "weight_bytes, act_in_bytes, act_out_bytes, dram_bytes, naive_dram_bytes, "
            "peak_activation_bytes, min_peak_activation_bytes, kernels, latency_s, energy_j, "
            "memory_bound_share.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """A table for a paper: one row per (spec, hardware profile, options), in that order."""
    from costmodel.present import report_formats as render_tables
    from costmodel.present.report import build_report, parse_columns

    def body() -> None:
        keys = parse_columns(columns)
        profiles = [load_profile(name) for name in (hw or ["snapdragon855"])]
        loaded = [load_spec(resolve_spec_path(spec)) for spec in specs]
        resolutions: list[int | None] = list(resolution) if resolution else [None]
        option_sets = [
            _analysis_options(batch, p, w, r, None, fusion, cache, cache_fraction)
            for p in (precision or [Precision.fp32])
            for w in (width or [1.0])
            for r in resolutions
        ]
        results = [
            analyze(spec, profile, options)
            for spec in loaded
            for profile in profiles
            for options in option_sets
        ]
        text = render_tables.render_report(build_report(results, keys), output_format.value)
        if output is None:
            sys.stdout.write(text)
        else:
            _write_output(output, text)

    _run(body)


@app.command("plot")
def plot_command(
    specs: Annotated[list[str], typer.Argument(help="Spec files or bundled names.", show_default=False)],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The plot file: .png or .svg.", show_default=False)
    ],
    hw: HwOpt = "snapdragon855",
    batch: BatchOpt = 1,
    precision: PrecisionOpt = Precision.fp32,
    width: WidthOpt = 1.0,
    resolution: ResolutionOpt = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    group_by: Annotated[
        GroupBy,
        typer.Option("--group-by", help="One point per layer (a fused conv+bn+act), block, node, ..."),
    ] = GroupBy.layer,
) -> None:
    """Roofline plot of every row of the specs on a profile (PNG or SVG).

    Arithmetic intensity against attained MAC/s under the profile's compute and DRAM roofs; a
    point's area is its share of the latency. Needs matplotlib: pip install 'costmodel\\[plot]'.
    """
    from costmodel.present.plots import plot_format, roofline_plot

    def body() -> None:
        fmt = plot_format(output)
        profile = load_profile(hw)
        options = _analysis_options(batch, precision, width, resolution, None, fusion, cache)
        results = [analyze(load_spec(resolve_spec_path(spec)), profile, options) for spec in specs]
        _write_output(output, roofline_plot(results, profile, fmt, group_by.value))

    _run(body)


class SweepFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("sweep")
def sweep_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    widths: Annotated[
        str, typer.Option("--widths", help="Comma-separated width multipliers.")
    ] = "0.5,0.75,1.0",
    resolutions: Annotated[
        str | None,
        typer.Option(
            "--resolutions",
            help="Comma-separated input resolutions; default 128,160,192,224 "
            "(MobileNet's grid) and the spec's own.",
            show_default=False,
        ),
    ] = None,
    batches: Annotated[str, typer.Option("--batches", help="Comma-separated batch sizes.")] = "1",
    precisions: Annotated[
        str | None,
        typer.Option(
            "--precisions",
            help="Comma-separated precisions (fp32, fp16, bf16, int8, int4); default "
            "fp32, or the profile's only precision.",
            show_default=False,
        ),
    ] = None,
    layer_precision: LayerPrecisionOpt = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    cache_fraction: CacheFractionOpt = 0.5,
    output_format: Annotated[
        SweepFormat,
        typer.Option("--format", help="table for people; csv or json: exact numbers for machines."),
    ] = SweepFormat.table,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file instead of standard output.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also write latency against MACs, one line per width (.png or .svg)."),
    ] = None,
) -> None:
    """Totals of one spec at every width x resolution (x batch x precision).

    Params, MACs, DRAM traffic, peak activation memory, latency and energy per variant, equal to
    `analyze`'s totals for it (peak memory: the declared order's). A sweep reuses work between
    variants and runs hundreds of variants per second.
    """
    import time

    from costmodel.cost.sweep import (
        SweepPoint,
        default_resolutions,
        parse_batches,
        parse_precisions,
        parse_resolutions,
        parse_widths,
    )
    from costmodel.cost.sweep import sweep as run_sweep
    from costmodel.present import sweep_view as render_sweep

    def body() -> None:
        if plot is not None:
            from costmodel.present.plots import plot_format

            plot_format(plot)  # a bad suffix fails before any work
        loaded = load_spec(resolve_spec_path(spec))
        profile = load_profile(hw)
        options = _analysis_options(
            1, _default_precision(profile), 1.0, None, layer_precision, fusion, cache, cache_fraction
        )
        width_list = parse_widths(widths)
        sides = parse_resolutions(resolutions) if resolutions else default_resolutions(loaded)
        batch_list = parse_batches(batches)
        precision_list = parse_precisions(precisions) if precisions else (options.compute_precision,)
        start = time.perf_counter()
        variants: Iterable[SweepPoint] = run_sweep(
            loaded, profile, width_list, sides, options, batches=batch_list, precisions=precision_list
        )
        total = len(width_list) * len(sides) * len(batch_list) * len(precision_list)
        if sys.stderr.isatty() and total >= 200:  # a second or more: show progress
            from rich.progress import track

            variants = track(
                variants, total=total, description="sweeping", console=_console(stderr=True), transient=True
            )
        points = list(variants)
        elapsed = time.perf_counter() - start
        title = f"{loaded.title or loaded.name} on {profile.name}: {len(points)} variants"
        if output_format is SweepFormat.table and output is None:
            _console().print(render_sweep.sweep_table(points, title))
            print(f"{len(points)} variants in {elapsed:.2f} s", file=sys.stderr)
        else:
            meta = {
                "spec": loaded.name,
                "hardware": profile.name,
                "options": options.to_dict() | dict.fromkeys(("width", "resolution", "batch", "precision")),
            }  # per point
            text = {
                SweepFormat.csv: lambda: render_sweep.sweep_csv(points),
                SweepFormat.json: lambda: render_sweep.sweep_json(points, meta),
                SweepFormat.table: lambda: render_sweep.sweep_text(points, title),
            }[output_format]()
            if output is None:
                sys.stdout.write(text)
            else:
                _write_output(output, text)
        if plot is not None:
            from costmodel.present.plots import plot_format, sweep_plot

            _write_output(plot, sweep_plot(points, title, plot_format(plot)))

    _run(body)


@hw_app.command("list")
def hw_list() -> None:
    """The bundled hardware profiles, and `host` (this machine, detected at run time)."""
    from rich.table import Table

    from costmodel.hw import HOST

    def body() -> None:
        table = Table(header_style="bold")
        for header in ("name", "title", "unit", "precisions"):
            table.add_column(header)
        for source in [str(path) for path in list_profiles()] + [HOST]:
            profile = load_profile(source)
            table.add_row(profile.name, profile.title, profile.unit, ", ".join(profile.precisions))
        _console().print(table)

    _run(body)


@hw_app.command("show")
def hw_show(name: Annotated[str, typer.Argument(help="Profile name or YAML path.")]) -> None:
    """Every number of a profile with its source."""
    from costmodel.present import terminal as render

    _run(lambda: _console().print(render.profile_view(load_profile(name))))


def main() -> Any:
    return app()


if __name__ == "__main__":
    main()
