"""costmodel's command line: parse options, call the library, print. The only module that prints
or exits. Every user error is one line on stderr and exit code 2; never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from costmodel.analysis import AnalysisOptions, analyze
from costmodel.errors import CostModelError
from costmodel.hardware import list_profiles, load_profile
from costmodel.spec import load_spec, resolve_spec_path

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
        _console(stderr=True).print(f"costmodel: {exc}", markup=False, highlight=False,
                                    soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("COSTMODEL_DEBUG"):
            raise
        _console(stderr=True).print(
            f"costmodel: internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; COSTMODEL_DEBUG=1 shows the traceback)",
            markup=False, highlight=False, soft_wrap=True)
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


SpecArg = Annotated[str, typer.Argument(help="Spec file, or the name of a bundled spec "
                                        "(e.g. mbv3_small).", show_default=False)]
HwOpt = Annotated[str, typer.Option("--hw", help="Hardware profile: a bundled name (see "
                                    "`costmodel hw list`) or a YAML path.")]
BatchOpt = Annotated[int, typer.Option(min=1, max=1_000_000, help="Batch size.")]
PrecisionOpt = Annotated[Precision, typer.Option(help="Numeric precision of weights and "
                                                 "activations (int4: weights only).")]
WidthOpt = Annotated[float, typer.Option(help="Width multiplier: channels scaled and rounded "
                                         "with make_divisible(c*w, 8), except layers marked fixed.")]
ResolutionOpt = Annotated[int | None, typer.Option(min=1, max=16384, help="Input resolution "
                                                   "(square side in pixels); default: the spec's.")]


LayerPrecisionOpt = Annotated[list[str] | None, typer.Option(
    "--layer-precision", help="PATTERN=PRECISION for layers matching a glob over node names, "
    "e.g. 'stem.*=fp32' (repeatable; first match wins; before the spec's own `precision:`).")]
FusionOpt = Annotated[bool, typer.Option("--fusion/--no-fusion", help="Fuse conv/linear with the "
                                         "elementwise ops that follow into one kernel.")]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="Keep an activation on chip "
                                        "when it fits and the next kernel reads it.")]
CacheFractionOpt = Annotated[float, typer.Option(min=0.01, max=1.0, help="Share of the largest "
                                                 "on-chip memory an activation may use to stay on chip.")]


AuxOpt = Annotated[bool, typer.Option("--aux", help="Include the spec's training-only auxiliary "
                                      "heads (GoogLeNet, Inception V3), left out by default.")]


def _analysis_options(batch: int, precision: Precision, width: float, resolution: int | None,
                      layer_precision: list[str] | None = None, fusion: bool = True,
                      cache: bool = True, cache_fraction: float = 0.5,
                      include_aux: bool = False) -> AnalysisOptions:
    from costmodel.precision import parse_rule

    rules = tuple(parse_rule(text) for text in layer_precision or ())
    return AnalysisOptions(batch=batch, precision=precision.value, width=width,
                           resolution=resolution, layer_precision=rules, fusion=fusion,
                           cache=cache, cache_fraction=cache_fraction, include_aux=include_aux)


@app.command("analyze")
def analyze_command(
    spec: SpecArg,
    hw: HwOpt = "snapdragon855",
    batch: BatchOpt = 1,
    precision: PrecisionOpt = Precision.fp32,
    width: WidthOpt = 1.0,
    resolution: ResolutionOpt = None,
    layer_precision: LayerPrecisionOpt = None,
    fusion: FusionOpt = True,
    cache: CacheOpt = True,
    cache_fraction: CacheFractionOpt = 0.5,
    aux: AuxOpt = False,
    group_by: Annotated[GroupBy, typer.Option("--group-by", help="Rows per node, spec layer "
                                              "(conv+bn+act), block use, stage or op type.")]
    = GroupBy.layer,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="table for people, "
                                                        "json for machines.")] = OutputFormat.table,
    top: Annotated[int, typer.Option(min=0, help="How many top latency contributors to list.")] = 5,
) -> None:
    """Params, MACs, memory traffic, roofline latency and energy, per row and in total."""
    from costmodel import render

    def body() -> None:
        options = _analysis_options(batch, precision, width, resolution, layer_precision, fusion,
                                    cache, cache_fraction, aux)
        result = analyze(load_spec(resolve_spec_path(spec)), load_profile(hw), options)
        if output_format is OutputFormat.json:
            sys.stdout.write(render.analysis_json(result, group_by.value) + "\n")
        else:
            _console().print(render.analysis_view(result, group_by.value, top))

    _run(body)


@app.command("validate")
def validate_command(
    specs: Annotated[list[str], typer.Argument(help="Spec files or bundled names.",
                                               show_default=False)],
) -> None:
    """Check specs (YAML, keys, ops, blocks, shapes) without analysing them."""
    from costmodel.graph import build_graph

    failures = 0
    for spec in specs:
        try:
            graph = build_graph(load_spec(resolve_spec_path(spec)))
            print(f"ok  {spec}: {len(graph.nodes) - 1} nodes, output {list(graph.node(graph.output).shape)}")
        except CostModelError as exc:
            failures += 1
            print(f"costmodel: {exc}", file=sys.stderr)
    if failures:
        raise typer.Exit(EXIT_USER_ERROR)


MeasurementsArg = Annotated[Path, typer.Argument(help="CSV of measured latencies: columns spec, "
                                                "latency_ms, and optionally width, resolution, "
                                                "precision, batch, label; '#' lines are comments.")]


@app.command("validate-latency")
def validate_latency_command(measurements: MeasurementsArg, hw: HwOpt = "snapdragon855") -> None:
    """Predicted vs measured latency: MAPE, share within ±10% and ±25%, Spearman rank correlation."""
    from costmodel import render
    from costmodel.calibrate import validate_latency

    _run(lambda: _console().print(render.latency_report_view(
        validate_latency(measurements, load_profile(hw)))))


@app.command("calibrate")
def calibrate_command(
    measurements: MeasurementsArg,
    hw: HwOpt = "snapdragon855",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the calibrated "
                                                "profile here (YAML).")] = None,
    loo: Annotated[bool, typer.Option("--loo/--no-loo", help="Also score leave-one-model-out "
                                      "predictions (one fit per model).")] = True,
) -> None:
    """Fit a profile's efficiencies, per-kernel overhead and achievable DRAM bandwidth to measured
    latencies (least squares on log latency, with a weak prior toward the profile's values)."""
    import yaml

    from costmodel import render
    from costmodel.calibrate import calibrate, calibrated_profile_dict

    def body() -> None:
        profile = load_profile(hw)
        report = calibrate(measurements, profile, loo)
        _console().print(render.latency_report_view(report))
        if output is not None:
            assert report.params is not None and report.fitted is not None
            data = calibrated_profile_dict(profile, report.params, str(measurements),
                                           report.fitted, report.loo)
            data["name"] = output.stem
            output.write_text(yaml.safe_dump(data, sort_keys=False, width=100), encoding="utf-8")
            load_profile(str(output))  # what we wrote must load
            print(f"wrote {output}")

    _run(body)


@app.command("zoo")
def zoo_command() -> None:
    """The bundled specs: name, model, and the paper and reference each reproduces."""
    from rich.table import Table

    from costmodel.spec import bundled_specs

    def body() -> None:
        table = Table(header_style="bold")
        for header in ("name", "model", "source"):
            table.add_column(header, no_wrap=header == "name")
        for path in bundled_specs():
            spec = load_spec(path)
            table.add_row(spec.name, spec.title, spec.source)
        _console().print(table)

    _run(body)


@hw_app.command("list")
def hw_list() -> None:
    """The bundled hardware profiles."""
    from rich.table import Table

    def body() -> None:
        table = Table(header_style="bold")
        for header in ("name", "title", "unit", "precisions"):
            table.add_column(header)
        for path in list_profiles():
            profile = load_profile(str(path))
            table.add_row(profile.name, profile.title, profile.unit, ", ".join(profile.precisions))
        _console().print(table)

    _run(body)


@hw_app.command("show")
def hw_show(name: Annotated[str, typer.Argument(help="Profile name or YAML path.")]) -> None:
    """Every number of a profile with its source."""
    from costmodel import render

    _run(lambda: _console().print(render.profile_view(load_profile(name))))


def main() -> Any:
    return app()


if __name__ == "__main__":
    main()
