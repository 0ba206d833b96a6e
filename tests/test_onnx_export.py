"""ONNX export and measured latency: valid models whose every tensor has costmodel's shape.

For bundled specs and a hand-made spec with every op (TF SAME padding, ceil-mode pooling), the
exported model passes onnx.checker, onnxruntime runs it, every node's output has the graph's
shape (batch included), and the learnable initializers hold exactly costmodel's params. A few ops
are also checked numerically against numpy formulas written here.

onnx and onnxruntime come with `pip install -e '.[dev]'` (the `measure` extra), so CI runs these
tests; where they are missing only the test that the package works without them runs.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from conftest import ROOT, parse, spec_named

from costmodel.cost.counting import count_nodes
from costmodel.errors import CostModelError, ErrorCode
from costmodel.graph.build import Graph, build_graph
from costmodel.ops.registry import REGISTRY

HANDMADE = """\
version: 1
name: handmade
input: [3, 58, 61]
defaults: {norm: batchnorm, act: relu}
stages:
  stem:
    # 58 -> 29 with TF SAME: 1 pixel of padding, at the bottom only; 61 -> 31: 1 left, 1 right
    - {name: conv, op: conv2d, out: 16, kernel: 3, stride: 2, padding: same, act: hardswish}
    - {name: pool, op: maxpool, kernel: 3, stride: 2, ceil_mode: true}
    - {name: dw, op: conv2d, out: 16, kernel: 5, stride: 2, groups: 16, padding: same, act: swish}
    - {name: wide, op: conv2d, out: 24, kernel: [1, 7], act: relu6}
    - {name: dil, op: conv2d, out: 24, kernel: 3, dilation: 2, padding: [same, 2], act: gelu}
  s1:
    - {name: a, op: conv2d, out: 12, kernel: 1, act: tanh}
    - {name: b, op: avgpool, kernel: 3, stride: 1, padding: 1, inputs: [stem.dil]}
    - {name: c, op: maxpool, kernel: 2, stride: 1, padding: same, inputs: [stem.dil]}
    - {name: cat, op: concat, inputs: [a, b, c]}
    - {name: shuffle, op: channel_shuffle, groups: 3}
    - {name: left, op: slice, start: 0, stop: 30}
    - {name: right, op: slice, start: 30, stop: 60, inputs: [shuffle]}
    - {name: sum, op: add, inputs: [left, right, left]}
    - {name: squeeze, op: global_avgpool}
    - {name: fc1, op: conv2d, out: 8, kernel: 1, norm: none, act: relu}
    - {name: fc2, op: conv2d, out: 30, kernel: 1, norm: none, act: hardsigmoid}
    - {name: scale, op: mul, inputs: [sum, fc2]}
    - {name: gate, op: sigmoid}
    - {name: down, op: avgpool, kernel: 3, stride: 2, padding: 1, ceil_mode: true}
    # 7 rows, ceil mode: a 5th window would start in the bottom padding; PyTorch drops it
    - {name: edge, op: maxpool, kernel: 2, stride: 2, padding: 1, ceil_mode: true, inputs: [gate]}
    - {name: both, op: add, inputs: [down, edge]}
    - {name: down2, op: avgpool, kernel: 2, stride: 2, padding: same, ceil_mode: true}
  head:
    - {name: pool, op: adaptive_avgpool, size: [1, 3]}
    - {name: flatten, op: flatten}
    - {name: fc, op: linear, out: 32, norm: batchnorm, act: relu, bias: false}
    - {name: drop, op: dropout, p: 0.2}
    - {name: same, op: identity}
    - {name: classifier, op: linear, out: 10}
"""

BUNDLED = ["mbv3_small", "squeezenet1_1", "shufflenet_v2_x0_5", "googlenet", "resnet18", "mbv2"]


def graph_named(name: str) -> Graph:
    return build_graph(parse(HANDMADE) if name == "handmade" else spec_named(name))


def run_every_node(model: Any, graph: Graph, batch: int) -> dict[str, Any]:
    """Every node's output, by node name, from onnxruntime without graph optimisations."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    for node in graph.nodes:
        if node.name not in ("input", graph.output):
            exposed.graph.output.append(onnx.ValueInfoProto(name=node.name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(exposed.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"input": np.random.default_rng(1).standard_normal((batch, *graph.input_shape), dtype=np.float32)}
    values = session.run(None, feed)
    return {"input": feed["input"]} | {
        out.name: value for out, value in zip(session.get_outputs(), values, strict=True)
    }


@pytest.fixture(scope="module")
def onnx_modules() -> None:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")


@pytest.mark.usefixtures("onnx_modules")
@pytest.mark.parametrize(
    "name,batch",
    [(name, 1) for name in [*BUNDLED, "handmade"]] + [("handmade", 3), ("shufflenet_v2_x0_5", 2)],
)
def test_export_is_valid_and_matches_every_shape(name: str, batch: int) -> None:
    import numpy as np
    import onnx
    import onnxruntime as ort

    from costmodel.measure.onnx_export import export_onnx

    graph = graph_named(name)
    model = export_onnx(graph, batch=batch)
    onnx.checker.check_model(model, full_check=True)

    # onnxruntime runs it with all optimisations (as measure_latency does); output shape and values
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((batch, *graph.input_shape), dtype=np.float32)
    (out,) = session.run(None, {"input": x})
    assert out.shape == (batch, *graph.node(graph.output).shape)
    assert np.isfinite(out).all()

    # every intermediate tensor has the shape costmodel inferred
    values = run_every_node(model, graph, batch)
    wrong = {
        node.name: (values[node.name].shape, (batch, *node.shape))
        for node in graph.nodes
        if values[node.name].shape != (batch, *node.shape)
    }
    assert not wrong

    # learnable initializers hold exactly costmodel's params; BN running stats are extra buffers
    sizes = {init.name: math.prod(init.dims) for init in model.graph.initializer}
    learnable = sum(size for key, size in sizes.items() if key.endswith(("/weight", "/bias")))
    assert learnable == sum(count.params for count in count_nodes(graph))
    channels = sum(node.shape[0] for node in graph.nodes if node.op.name == "batchnorm")
    assert sum(size for key, size in sizes.items() if key.endswith("/running_var")) == channels


@pytest.mark.usefixtures("onnx_modules")
def test_ops_compute_what_pytorch_and_tensorflow_compute() -> None:
    import numpy as np

    from costmodel.measure.onnx_export import export_onnx

    graph = graph_named("handmade")
    model = export_onnx(graph, batch=2)
    weights = {
        init.name: np.frombuffer(init.raw_data, dtype=np.float32).reshape(tuple(init.dims))
        for init in model.graph.initializer
        if init.data_type == 1
    }
    v = run_every_node(model, graph, batch=2)

    # TF SAME conv, 58x61 -> 29x31: pad 0 above and 1 below, 1 left and 1 right
    x = np.pad(v["input"], ((0, 0), (0, 0), (0, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    expected = np.einsum("ncijkl,ockl->noij", windows, weights["stem.conv/weight"])
    np.testing.assert_allclose(v["stem.conv"], expected, rtol=1e-4, atol=1e-4)

    # ceil-mode max pool: 7 rows, kernel 2, stride 2, padding 1 -> 4 windows (not 5), 8 -> 5
    gate = np.pad(v["s1.gate"], ((0, 0), (0, 0), (1, 2), (1, 1)), constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(gate, (2, 2), axis=(2, 3))[:, :, ::2, ::2]
    np.testing.assert_array_equal(v["s1.edge"], windows.max(axis=(-2, -1))[:, :, :4, :5])

    # channel shuffle, groups 3 of 20: output channel i is input channel (i % 3) * 20 + i // 3
    source = [(i % 3) * 20 + i // 3 for i in range(60)]
    np.testing.assert_array_equal(v["s1.shuffle"], v["s1.cat"][:, source])
    np.testing.assert_array_equal(v["s1.right"], v["s1.shuffle"][:, 30:60])
    np.testing.assert_allclose(v["s1.sum"], 2 * v["s1.left"] + v["s1.right"], rtol=1e-5, atol=1e-6)

    # activations: PyTorch's definitions
    fc2 = v["s1.fc2"]
    np.testing.assert_allclose(v["s1.fc2.act"], np.clip(fc2 + 3, 0, 6) / 6, rtol=1e-5, atol=1e-6)
    conv = v["stem.conv.bn"]
    np.testing.assert_allclose(v["stem.conv.act"], conv * np.clip(conv + 3, 0, 6) / 6, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(v["stem.wide.act"], np.clip(v["stem.wide.bn"], 0, 6))
    dw = v["stem.dw.bn"]
    np.testing.assert_allclose(v["stem.dw.act"], dw / (1 + np.exp(-dw)), rtol=1e-5, atol=1e-6)
    dil = v["stem.dil.bn"].astype(np.float64)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(
        v["stem.dil.act"], 0.5 * dil * (1 + erf(dil / math.sqrt(2))), rtol=1e-4, atol=1e-5
    )

    # adaptive pooling of 2x3 to 1x3 is the mean over rows
    np.testing.assert_allclose(v["head.pool"], v["s1.down2"].mean(axis=2, keepdims=True), rtol=1e-5)


@pytest.mark.usefixtures("onnx_modules")
def test_same_seed_same_model_and_other_seed_other_weights() -> None:
    from costmodel.measure.onnx_export import export_onnx

    graph = graph_named("handmade")
    first = export_onnx(graph, seed=0).SerializeToString()
    assert export_onnx(graph, seed=0).SerializeToString() == first
    assert export_onnx(graph, seed=1).SerializeToString() != first


@pytest.mark.usefixtures("onnx_modules")
def test_uneven_adaptive_pool_is_a_clear_error() -> None:
    from costmodel.measure.onnx_export import export_onnx

    spec = parse(
        "version: 1\nname: t\ninput: [3, 7, 7]\nstages:\n  s1:\n"
        "    - {name: pool, op: adaptive_avgpool, size: 2}\n"
    )
    with pytest.raises(CostModelError) as caught:
        export_onnx(build_graph(spec))
    assert caught.value.code is ErrorCode.SHAPE_MISMATCH
    assert caught.value.node == "s1.pool"
    assert "multiple" in caught.value.message


def test_every_registered_op_has_an_exporter() -> None:
    from costmodel.measure.onnx_export import EXPORTERS

    assert set(EXPORTERS) == set(REGISTRY) - {"input"}


@pytest.mark.usefixtures("onnx_modules")
def test_measure_latency_reports_percentiles_and_setup() -> None:
    import onnxruntime as ort

    from costmodel.measure.runner import MeasuredLatency, measure_latency

    result = measure_latency(graph_named("handmade"), batch=2, threads=1, warmup=1, runs=5)
    assert isinstance(result, MeasuredLatency)
    assert 0 < result.p10_s <= result.median_s <= result.p90_s < 10
    assert (result.runs, result.warmup, result.batch, result.threads) == (5, 1, 2, 1)
    assert result.inter_op_threads == 1
    assert result.onnxruntime_version == ort.__version__
    assert result.to_dict()["median_s"] == result.median_s


@pytest.mark.parametrize("options", [{"runs": 0}, {"batch": 0}, {"threads": 0}, {"warmup": -1}])
def test_measure_latency_rejects_bad_counts(options: dict[str, int]) -> None:
    from costmodel.measure.runner import measure_latency

    with pytest.raises(CostModelError) as caught:
        measure_latency(graph_named("handmade"), **options)
    assert caught.value.code is ErrorCode.OPTION


def test_percentile_interpolates_like_numpy() -> None:
    from costmodel.measure.runner import percentile

    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 10) == pytest.approx(1.4)
    assert percentile(values, 90) == pytest.approx(7.6)
    assert percentile([5.0], 90) == 5.0


def test_package_works_without_onnx_onnxruntime_numpy() -> None:
    """Importing and analysing never need the measure extra; exporting says how to install it."""
    code = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('onnx', 'onnxruntime', 'numpy'):
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
import cli
import costmodel.measure.runner, costmodel.measure.onnx_export
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.errors import CostModelError
from costmodel.graph.build import build_graph
from costmodel.hw import load_profile
from costmodel.spec.model import load_spec
spec = load_spec('archspecs/mbv3_small.yaml')
assert analyze(spec, load_profile('snapdragon855'), AnalysisOptions()).total.params == 2542856
for call in (costmodel.measure.onnx_export.export_onnx, costmodel.measure.runner.measure_latency):
    try:
        call(build_graph(spec))
    except CostModelError as exc:
        assert 'pip install' in exc.message, exc.message
    else:
        raise AssertionError('no error without onnx')
assert not any(m.split('.')[0] in ('onnx', 'onnxruntime', 'numpy') for m in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
