"""Analysing ONNX files: the zoo round trip, graphs as exporters write them, and the errors."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from conftest import ARCHSPECS
from onnx_graphs import save, tf2onnx_style, torch_style, with_unsupported
from typer.testing import CliRunner

import costmodel
from cli import app
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph import build_graph
from costmodel.measure.onnx_export import export_onnx
from costmodel.spec import load_spec

runner = CliRunner()
# The ONNX importer maps CNN ops; transformers (layernorm, attention, per-token matmuls) are not
# imported yet, so their round trip is left out.
TRANSFORMERS = {"convnext_tiny", "vit_b_16", "swin_t", "mobilevit_s", "gpt2", "llama2_7b"}
ZOO = sorted(p.stem for p in ARCHSPECS.glob("*.yaml") if p.stem not in TRANSFORMERS)
SMALL_ZOO = [name for name in ZOO if name not in ("vgg16", "alexnet")]  # 500 MB / 240 MB of weights


@pytest.fixture(scope="module")
def zoo_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("zoo")


def exported(name: str, folder: Path) -> Path:
    path = folder / f"{name}.onnx"
    if not path.exists():
        onnx.save(export_onnx(build_graph(load_spec(ARCHSPECS / f"{name}.yaml"))), str(path))
    return path


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_zoo_round_trip_counts(name: str, zoo_onnx: Path) -> None:
    """spec -> ONNX export -> analyse the ONNX: the same params, MACs, ops and node count."""
    spec = costmodel.analyze(ARCHSPECS / f"{name}.yaml", "snapdragon855")
    model = costmodel.analyze(exported(name, zoo_onnx), "snapdragon855")
    assert (model.total.params, model.total.macs, model.total.ops) == (
        spec.total.params,
        spec.total.macs,
        spec.total.ops,
    )
    assert len(model.nodes) == len(spec.nodes)


def test_torch_style_graph(tmp_path: Path) -> None:
    model, params, macs = torch_style()
    result = costmodel.analyze(save(model, tmp_path / "t.onnx"), "snapdragon855")
    assert (result.total.params, result.total.macs) == (params, macs)
    ops = [row.op for row in result.nodes]
    assert ops.count("relu6") == 1 and ops.count("hardswish") == 1 and ops.count("hardsigmoid") == 1
    assert "flatten" in ops and "linear" in ops
    keys = result.node_keys[0]
    assert (keys["stage"], keys["block"], keys["layer"]) == ("features", "features.0", "features.0.0")


def test_torch_style_batch_is_an_option(tmp_path: Path) -> None:
    model, _, macs = torch_style()
    result = costmodel.analyze(save(model, tmp_path / "t.onnx"), "snapdragon855", batch=4)
    assert result.total.macs == 4 * macs


def test_tf2onnx_style_graph(tmp_path: Path) -> None:
    model, params, macs = tf2onnx_style()
    result = costmodel.analyze(save(model, tmp_path / "t.onnx"), "snapdragon855")
    assert (result.total.params, result.total.macs) == (params, macs)
    ops = [row.op for row in result.nodes]
    assert ops.count("swish") == 1 and ops.count("gelu") == 1 and ops.count("linear") == 1


def test_unsupported_ops_exit_2_listing_each(tmp_path: Path) -> None:
    path = save(with_unsupported(), tmp_path / "u.onnx")
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert (
        "LeakyRelu x2 (first: act1.leakyrelu" in message and "Softmax x1 (first: softmax.softmax" in message
    )


def test_allow_unsupported_counts_zero_and_says_so(tmp_path: Path) -> None:
    path = save(with_unsupported(), tmp_path / "u.onnx")
    result = runner.invoke(app, ["analyze", str(path), "--allow-unsupported"])
    assert result.exit_code == 0, result.output
    assert "counted as zero cost (--allow-unsupported): LeakyRelu x2, Softmax x1" in result.stdout
    totals = costmodel.analyze(path, "snapdragon855", allow_unsupported=True).total
    assert (totals.params, totals.macs) == (4 * 3, 4 * 3 * 8 * 8)


@pytest.mark.parametrize("content", [b"not a model at all", b"\x08\x07\x12\x03abc\x3a\xff\xff"])
def test_non_onnx_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "E401" in result.stderr


def test_truncated_file_is_one_line(tmp_path: Path, zoo_onnx: Path) -> None:
    data = exported("mbv3_small", zoo_onnx).read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 3])
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output


def test_external_weights_are_never_read(tmp_path: Path) -> None:
    """A model whose weights live in an external file analyses with that file gone."""
    model, params, macs = torch_style()
    path = tmp_path / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, location="weights.bin", size_threshold=64)
    (tmp_path / "weights.bin").unlink()
    totals = costmodel.analyze(path, "snapdragon855").total
    assert (totals.params, totals.macs) == (params, macs)


def test_fixed_graph_options_are_errors(tmp_path: Path) -> None:
    model, _, _ = torch_style()
    path = save(model, tmp_path / "t.onnx")
    with pytest.raises(CostModelError) as err:
        costmodel.analyze(path, "snapdragon855", width=0.5)
    assert err.value.code is ErrorCode.OPTION


def test_symbolic_spatial_size_is_an_error(tmp_path: Path) -> None:
    model, _, _ = torch_style()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "height"
    with pytest.raises(CostModelError, match="symbolic size 'height'"):
        costmodel.analyze(save(model, tmp_path / "t.onnx"), "snapdragon855")


def test_sweep_and_diff_take_onnx(tmp_path: Path, zoo_onnx: Path) -> None:
    path = str(exported("mbv3_small", zoo_onnx))
    for args in (
        ["sweep", path, "--batches", "1,8", "--precisions", "fp32,int8"],
        ["diff", path, "mbv3_small"],
        ["report", path, "mbv3_small"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"{args}: {result.output}"


@pytest.mark.parametrize("name", SMALL_ZOO)
def test_import_writes_a_spec_with_identical_counts(name: str, zoo_onnx: Path, tmp_path: Path) -> None:
    spec_path = tmp_path / f"{name}.yaml"
    result = runner.invoke(app, ["import", str(exported(name, zoo_onnx)), "-o", str(spec_path)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(spec_path)]).exit_code == 0
    reference = costmodel.analyze(ARCHSPECS / f"{name}.yaml", "snapdragon855").total
    imported = costmodel.analyze(spec_path, "snapdragon855").total
    assert (imported.params, imported.macs, imported.ops) == (reference.params, reference.macs, reference.ops)


def test_import_of_torch_style_graph_names_stages(tmp_path: Path) -> None:
    model, params, macs = torch_style()
    result = runner.invoke(app, ["import", str(save(model, tmp_path / "t.onnx"))])
    assert result.exit_code == 0, result.output
    spec = costmodel.load_spec(_written(tmp_path / "t.yaml", result.stdout))
    # Shape, Gather, Unsqueeze and Concat are folded away: only the Reshape stays, at the root
    assert list(spec.stages) == ["features", "avgpool", "model", "classifier"]
    assert spec.stages["features"][0].name == "m0_0_conv"
    totals = costmodel.analyze(spec, "snapdragon855").total
    assert (totals.params, totals.macs) == (params, macs)


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_import_refuses_unsupported_ops(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(save(with_unsupported(), tmp_path / "u.onnx"))])
    assert result.exit_code == 2 and "LeakyRelu x2" in result.stderr


def test_weights_are_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader skips large initializers' data (costmodel/onnx/wire.py): for a model that is
    almost all weights it reads a small fraction of the file, in small pieces, and the tensors keep
    their shapes; a cut file is a clear error."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from costmodel.onnx import wire

    weight = numpy_helper.from_array(np.ones((256, 256, 3, 3), dtype=np.float32), "w")  # 2.4 MB
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256, 8, 8])],
        [weight],
    )
    path = tmp_path / "m.onnx"
    data = helper.make_model(graph).SerializeToString()
    path.write_bytes(data)
    reads: list[int] = []
    real_pread = wire.os.pread

    def counting_pread(fd: int, size: int, offset: int) -> bytes:
        reads.append(size)
        return real_pread(fd, size, offset)

    monkeypatch.setattr(wire.os, "pread", counting_pread)
    model = onnx.ModelProto()
    model.ParseFromString(wire.model_bytes_without_weights(path))
    (init,) = model.graph.initializer
    assert list(init.dims) == [256, 256, 3, 3] and not init.raw_data
    assert sum(reads) < len(data) / 10 and max(reads) <= wire._File.WINDOW
    path.write_bytes(data[:40])
    with pytest.raises(wire.WireError):
        wire.model_bytes_without_weights(path)
