"""Loading an ONNX file as a spec: what `costmodel analyze model.onnx` (and every other command that
takes a spec) reads.

`load_onnx_spec(path)` returns a `Spec` (name, title, input, source) that carries its prebuilt graph:
`build_graph` hands it back instead of expanding stages. The graph of an ONNX model is fixed, so
the options that rebuild a spec's graph (--width, --depth, --resolution other than the model's, --set) are
errors; batch and precision change only the costs and work as for any spec. A graph with
unsupported ops is an error listing them, unless `BuildOptions.allow_unsupported`
(--allow-unsupported), which counts them as zero and says so in the analysis's assumptions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from costmodel.errors import CostModelError, ErrorCode, SourcePos
from costmodel.graph.model import BuildOptions, Graph
from costmodel.onnx.convert import Imported, build_imported
from costmodel.onnx.reader import OnnxModel, read_model
from costmodel.spec.schema import POS_KEY, Layer, Spec


def _spec(model: OnnxModel) -> Spec:
    dims = model.input_dims
    if len(dims) != 4:
        raise CostModelError(
            ErrorCode.FILE,
            f"{model.path}: input '{model.input_name}' has shape {list(dims)}; costmodel analyses "
            "[N, C, H, W] image inputs",
        )
    name = re.sub(r"[^A-Za-z0-9_]", "_", Path(model.path).stem) or "onnx_model"
    placeholder = Layer.model_validate({POS_KEY: SourcePos(model.path, 1, 1), "op": "identity"})
    source = f"ONNX file {model.path}" + (
        f" ({model.producer}, opset {model.opset})" if model.producer else ""
    )
    return Spec(
        name=name,
        title=model.name,
        source=source,
        input=(dims[1], dims[2], dims[3]),
        stages={"onnx": [placeholder]},
        file=model.path,
    )


def import_onnx(path: Path | str) -> Imported:
    """The ONNX model at `path` as a costmodel graph, and the op types it could not map."""
    model = read_model(path)
    return build_imported(model, _spec(model))


def unsupported_error(imported: Imported) -> CostModelError:
    """The error that lists every unsupported op type, its count and its first node."""
    listed = ", ".join(op.describe() for op in imported.unsupported)
    return CostModelError(
        ErrorCode.UNKNOWN_OP,
        f"{imported.graph.spec.file}: ONNX ops costmodel cannot count yet: {listed}. "
        "Rerun with --allow-unsupported to count them as zero (the report says so); "
        "`costmodel import` cannot write them",
    )


def _check_fixed(spec: Spec, options: BuildOptions) -> None:
    resolution_ok = options.resolution is None or spec.input[1] == spec.input[2] == options.resolution
    if options.width != 1.0 or options.depth != 1.0 or options.vars or not resolution_ok:
        raise CostModelError(
            ErrorCode.OPTION,
            f"{spec.file}: an ONNX model's graph is fixed: --width, --depth, --resolution and --set apply to "
            "specs (write one with `costmodel import`, then edit or sweep it)",
        )


class PrebuiltGraph:
    """What `build_graph` calls for an ONNX spec: the imported graph under the given options."""

    def __init__(self, imported: Imported) -> None:
        self.imported = imported
        self._variants: dict[BuildOptions, Graph] = {}

    def __call__(self, options: BuildOptions) -> Graph:
        graph = self.imported.graph
        _check_fixed(graph.spec, options)
        unsupported = self.imported.unsupported
        if unsupported and not options.allow_unsupported:
            raise unsupported_error(self.imported)
        if options not in self._variants:  # one Graph per options, so a sweep reuses it
            notes: tuple[str, ...] = ()
            if unsupported:
                listed = ", ".join(f"{op.op_type} x{op.count}" for op in unsupported)
                notes = (f"unsupported ONNX ops counted as zero cost (--allow-unsupported): {listed}",)
            self._variants[options] = replace(graph, options=options, notes=notes)
        return self._variants[options]


def load_onnx_spec(path: Path | str) -> Spec:
    """A spec standing for the ONNX model at `path`, its graph prebuilt (see the module docs)."""
    imported = import_onnx(path)
    spec = imported.graph.spec
    spec.attach_graph(PrebuiltGraph(imported))
    return spec
