"""`costmodel import`: an ONNX model written as a readable spec (docs/onnx.md)."""

from pathlib import Path
from typing import Annotated

import typer

from costmodel.commands.common import ForceOpt, OutputOpt, emit, run
from costmodel.errors import CostModelError, ErrorCode


def import_command(
    model: Annotated[Path, typer.Argument(help="The ONNX file (.onnx).", show_default=False)],
    output: OutputOpt = None,
    force: ForceOpt = False,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The spec's name; default: the file's stem.", show_default=False),
    ] = None,
    fold: Annotated[
        bool,
        typer.Option(
            "--fold/--no-fold", help="Write repeated identical units once, as a block with `repeat`."
        ),
    ] = True,
) -> None:
    """Write an ONNX model as a readable spec.

    Stages and layer names come from the node names, repeated units are folded into `repeat`. The
    spec is read back and checked to give the model's graph before it is written."""

    def body() -> None:
        from costmodel.graph import build_graph
        from costmodel.onnx.load import import_onnx, unsupported_error
        from costmodel.spec.model import parse_spec
        from costmodel.spec.writer import graph_to_spec, same_graph

        imported = import_onnx(model)
        if imported.unsupported:
            raise unsupported_error(imported)
        text = graph_to_spec(imported.graph, name=name)
        rebuilt = build_graph(parse_spec(text, str(output or "<imported spec>"), base_dir=Path(".")))
        if not same_graph(imported.graph, rebuilt):  # a writer bug must never pass silently
            raise CostModelError(
                ErrorCode.FILE, f"{model}: the written spec does not reproduce the model's graph"
            )
        emit(text, output, force)

    run(body)
