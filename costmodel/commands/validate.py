"""`costmodel validate`: check specs (files, bundled names or directories of specs) without analysing."""

import functools
from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import EXIT_USER_ERROR, run
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph import Graph, build_graph
from costmodel.spec import load_spec, resolve_spec_path
from costmodel.spec.files import is_directory


def spec_sources(items: list[str]) -> list[str]:
    """Spec files, names and the `*.yaml` files of directories (not their sub-directories, which
    hold block libraries), in the order given; a directory without specs is an error."""
    out: list[str] = []
    for item in items:
        path = Path(item)
        if not is_directory(path):
            out.append(item)
            continue
        found = sorted(str(p) for p in (*path.glob("*.yaml"), *path.glob("*.yml")) if p.is_file())
        if not found:
            raise CostModelError(ErrorCode.FILE, f"{item}: a directory with no *.yaml spec in it")
        out += found
    return out


def _build(spec: str) -> Graph:
    return build_graph(load_spec(resolve_spec_path(spec)))


def validate_command(
    specs: Annotated[
        list[str],
        typer.Argument(help="Spec files, bundled names or directories of specs.", show_default=False),
    ],
) -> None:
    """Check specs (YAML, keys, ops, blocks, shapes) without analysing them."""
    failures = 0
    for spec in run(functools.partial(spec_sources, specs)):
        try:
            graph = run(functools.partial(_build, spec))
        except typer.Exit as exc:  # run printed the one-line error
            if exc.exit_code != EXIT_USER_ERROR:
                raise
            failures += 1
            continue
        line = f"ok  {spec}: {len(graph.nodes) - 1} nodes, output {list(graph.node(graph.output).shape)}"
        run(functools.partial(print, line))
    if failures:
        raise typer.Exit(EXIT_USER_ERROR)
