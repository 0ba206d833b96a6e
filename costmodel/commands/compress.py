"""`costmodel compress`: what-ifs on a spec (channel groups, structured pruning, low-rank
factorisation), each shown as a diff against the original."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import (
    ColumnsOpt,
    HwOpt,
    SpecArg,
    WideOpt,
    console,
    format_option,
    run,
    table_fit,
    write_output,
)
from costmodel.commands.options import analysis_options
from costmodel.cost.options import AnalysisOptions
from costmodel.names import GroupBy


@analysis_options()
def compress_command(
    spec: SpecArg,
    show_groups: Annotated[
        bool,
        typer.Option("--show-groups", help="List the channel groups (channels pruned together) and stop."),
    ] = False,
    prune: Annotated[
        list[str] | None,
        typer.Option(
            "--prune",
            help="GLOB=FRACTION: remove that fraction of the channels of every prunable group with a "
            "member matching GLOB (repeatable; later rules win).",
            show_default=False,
        ),
    ] = None,
    divisor: Annotated[
        int, typer.Option("--divisor", min=1, help="Pruned channel counts are multiples of this.")
    ] = 8,
    factorize: Annotated[
        list[str] | None,
        typer.Option(
            "--factorize",
            help="GLOB=METHOD[:RANK]: low-rank factorise the conv2d/linear nodes GLOB matches. METHOD: "
            "svd (linear or 1x1 conv, rank r), kx1 (k x k conv -> k x 1 + 1 x k), tucker (1x1 down, "
            "k x k core, 1x1 up, rank r), separable (depthwise k x k + pointwise 1x1). RANK: a number of "
            "channels or a fraction of them (repeatable).",
            show_default=False,
        ),
    ] = None,
    hw: HwOpt = "snapdragon855",
    group_by: Annotated[
        GroupBy,
        typer.Option("--group-by", help="Align and compare rows per layer, block, stage, op or node."),
    ] = GroupBy.STAGE,
    output_format: Annotated[str, format_option("diff", "table for people, json for machines.")] = "table",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the compressed design as a spec YAML file."),
    ] = None,
    columns: ColumnsOpt = None,
    wide: WideOpt = False,
    options: AnalysisOptions = AnalysisOptions(),
) -> None:
    """Compress a design and show the effect as a diff against the original.

    `--show-groups` lists the channel dependency groups. `--prune 's4.*=0.5'` removes half the
    channels of the groups a glob matches; `--factorize 'head.classifier=svd:0.25'` replaces layers
    by low-rank factors. Rules of both kinds apply in that order.
    """
    from costmodel.compress.design import spec_text
    from costmodel.compress.groups import channel_groups
    from costmodel.compress.lowrank import factorize_graph, parse_factorizations
    from costmodel.compress.prune import parse_rules
    from costmodel.compress.prune import prune as prune_graph
    from costmodel.cost.analysis import analyze_graph
    from costmodel.graph.build import build_graph
    from costmodel.hw import load_profile
    from costmodel.present.compare import build_diff
    from costmodel.present.compress_view import groups_json, groups_table
    from costmodel.present.formats import render
    from costmodel.spec import load_spec, resolve_spec_path

    def body() -> None:
        out = console(wide=wide)
        rules = parse_rules(prune or [])
        factorizations = parse_factorizations(factorize or [])
        graph = build_graph(load_spec(resolve_spec_path(spec)), options.build)
        if show_groups or not (rules or factorizations):
            groups = channel_groups(graph)
            if output_format == "json":
                sys.stdout.write(groups_json(groups))
            else:
                out.print(groups_table(groups))
            return
        fit = table_fit("diff", columns, wide, out)
        compressed = prune_graph(graph, rules, divisor) if rules else graph
        if factorizations:
            compressed = factorize_graph(compressed, factorizations)
        profile = load_profile(hw)
        result = build_diff(
            analyze_graph(graph, profile, options),
            analyze_graph(compressed, profile, options),
            group_by.value,
        )
        if output is not None:
            write_output(output, spec_text(compressed, output.stem))
        rendered = render("diff", output_format, result, fit=fit)
        if isinstance(rendered, str):
            sys.stdout.write(rendered)
        else:
            out.print(rendered)

    run(body)
