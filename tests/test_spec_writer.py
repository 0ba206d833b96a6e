"""costmodel/spec/writer.py: a graph written as spec YAML reads back as the same graph."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import ARCHSPECS

from costmodel.errors import CostModelError
from costmodel.graph import build_graph
from costmodel.onnx.convert import unsupported_op
from costmodel.spec import load_spec
from costmodel.spec.model import parse_spec
from costmodel.spec.writer import graph_to_spec, same_graph

ZOO = sorted(p.stem for p in ARCHSPECS.glob("*.yaml"))


@pytest.mark.parametrize("name", ZOO)
@pytest.mark.parametrize("fold", [True, False])
def test_zoo_graphs_read_back_the_same(name: str, fold: bool) -> None:
    graph = build_graph(load_spec(ARCHSPECS / f"{name}.yaml"))
    text = graph_to_spec(graph, fold=fold)
    assert same_graph(graph, build_graph(parse_spec(text, "<written>")))
    assert ("repeat:" in text) == (fold and "repeat:" in text)


def test_repeated_units_are_folded() -> None:
    """ResNet-50's stage 1: the first unit projects, the other two are identical -> repeat: 2."""
    text = graph_to_spec(build_graph(load_spec(ARCHSPECS / "resnet50.yaml")))
    assert "{name: b_2, block: unit_1, repeat: 2}" in text
    assert "blocks:\n  unit_1:\n    layers:" in text


def test_identical_single_layers_are_folded() -> None:
    spec = parse_spec(
        "name: t\ninput: [8, 8, 8]\nstages:\n  s:\n"
        "    - {op: conv2d, out: 8, kernel: 3, norm: none, act: none}\n"
        "    - {op: conv2d, out: 8, kernel: 3, norm: none, act: none}\n"
        "    - {op: conv2d, out: 8, kernel: 3, norm: none, act: none}\n"
    )
    graph = build_graph(spec)
    text = graph_to_spec(graph)
    assert "repeat: 3" in text and same_graph(graph, build_graph(parse_spec(text)))


def test_name_and_title_override() -> None:
    text = graph_to_spec(build_graph(load_spec(ARCHSPECS / "mbv1.yaml")), name="my net", title="Mine")
    assert text.startswith('version: 1\nname: my_net\ntitle: "Mine"\n')


def test_an_op_outside_the_registry_cannot_be_written() -> None:
    graph = build_graph(load_spec(ARCHSPECS / "mbv1.yaml"))
    last = graph.nodes[-1]
    odd = replace(last, op=unsupported_op("Softmax"), attrs={"shape": last.shape})
    graph = replace(graph, nodes=[*graph.nodes[:-1], odd])
    with pytest.raises(CostModelError, match="onnx:Softmax"):
        graph_to_spec(graph)
