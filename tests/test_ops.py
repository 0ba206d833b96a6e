"""Shape and cost rules of single ops against formulas computed here, independently."""

from __future__ import annotations

import pytest
from conftest import parse, spec_text

from costmodel.cost.counting import count_nodes
from costmodel.graph.build import build_graph


def one_layer(layer: str, input_shape: str = "[3, 32, 32]", extra: str = "") -> dict:
    text = spec_text(f"  s1:\n    - {layer}\n{extra}").replace("[3, 32, 32]", input_shape)
    counts = count_nodes(build_graph(parse(text)))
    node = counts[0]
    return {
        "shape": node.shape,
        "params": node.params,
        "macs": node.macs,
        "ops": node.ops,
        "class": node.op_class,
    }


@pytest.mark.parametrize(
    "cin,cout,k,s,groups,hw",
    [
        (3, 16, 3, 2, 1, 224),
        (32, 32, 3, 1, 32, 56),
        (24, 72, 1, 1, 1, 28),
        (240, 240, 5, 2, 240, 28),
        (24, 48, 3, 1, 3, 17),
    ],
)
def test_conv2d_shape_params_macs(cin: int, cout: int, k: int, s: int, groups: int, hw: int) -> None:
    got = one_layer(
        f"{{op: conv2d, out: {cout}, kernel: {k}, stride: {s}, groups: {groups}}}", f"[{cin}, {hw}, {hw}]"
    )
    pad = (k - 1) // 2
    out_hw = (hw + 2 * pad - k) // s + 1
    assert got["shape"] == (cout, out_hw, out_hw)
    assert got["params"] == cout * (cin // groups) * k * k + cout  # bias: no norm follows
    assert got["macs"] == cout * out_hw * out_hw * (cin // groups) * k * k


def test_conv_classes() -> None:
    assert one_layer("{op: conv2d, out: 8, kernel: 1}")["class"] == "pointwise"
    assert one_layer("{op: conv2d, out: 8, kernel: 3}")["class"] == "conv"
    assert one_layer("{op: conv2d, out: 6, kernel: 3, groups: 6}", "[6, 8, 8]")["class"] == "depthwise"
    assert one_layer("{op: conv2d, out: 12, kernel: 3, groups: 3}", "[6, 8, 8]")["class"] == "grouped"


def test_asymmetric_kernel_and_dilation() -> None:
    got = one_layer("{op: conv2d, out: 4, kernel: [1, 7]}", "[8, 17, 17]")
    assert got["shape"] == (4, 17, 17)  # auto padding (0, 3)
    assert got["macs"] == 4 * 17 * 17 * 8 * 7
    got = one_layer("{op: conv2d, out: 4, kernel: 3, dilation: 2}", "[8, 20, 20]")
    assert got["shape"] == (4, 20, 20)  # padding (k-1)//2 * dilation keeps the size


@pytest.mark.parametrize("size,stride", [(224, 2), (225, 2), (17, 3), (7, 1)])
def test_same_padding_gives_ceil_division(size: int, stride: int) -> None:
    got = one_layer(
        f"{{op: conv2d, out: 4, kernel: 3, stride: {stride}, padding: same}}", f"[3, {size}, {size}]"
    )
    assert got["shape"][1] == -(-size // stride)


@pytest.mark.parametrize(
    "size,kernel,stride,ceil,expected",
    [
        (112, 3, 2, True, 56),
        (111, 3, 2, True, 55),
        (55, 3, 2, True, 27),
        (56, 3, 2, False, 27),
        (14, 2, 2, True, 7),
        (28, 3, 2, True, 14),
        (27, 3, 2, True, 13),
    ],
)
def test_maxpool_ceil_mode_matches_pytorch_rule(
    size: int, kernel: int, stride: int, ceil: bool, expected: int
) -> None:
    # expected values from PyTorch's documented formula: floor or ceil of (H - k) / s, plus 1
    got = one_layer(
        f"{{op: maxpool, kernel: {kernel}, stride: {stride}, ceil_mode: {str(ceil).lower()}}}",
        f"[4, {size}, {size}]",
    )
    assert got["shape"] == (4, expected, expected)
    assert got["ops"] == 4 * expected * expected * kernel * kernel


def test_linear_batchnorm_and_activations() -> None:
    text = spec_text(
        "  s1:\n    - {op: global_avgpool}\n    - {op: flatten}\n"
        "    - {op: linear, out: 10, norm: batchnorm, act: relu}\n"
    )
    counts = {c.name: c for c in count_nodes(build_graph(parse(text)))}
    linear = counts["s1.linear"]
    assert linear.params == 3 * 10 + 10 and linear.macs == 30
    assert counts["s1.linear.bn"].params == 20  # gamma and beta; running stats are buffers
    assert counts["s1.linear.act"].ops == 10
    assert counts["s1.global_avgpool"].ops == 3 * 32 * 32
    assert counts["s1.flatten"].shape == (3,)


def test_concat_slice_shuffle_and_broadcast_mul() -> None:
    body = (
        "  s1:\n"
        "    - {name: a, op: conv2d, out: 8, kernel: 1}\n"
        "    - {name: lo, op: slice, start: 0, stop: 3, inputs: [a]}\n"
        "    - {name: hi, op: slice, start: 3, stop: 8, inputs: [a]}\n"
        "    - {name: cat, op: concat, inputs: [hi, lo, a]}\n"
        "    - {name: sh, op: channel_shuffle, groups: 2}\n"
        "    - {name: g, op: global_avgpool}\n"
        "    - {name: m, op: mul, inputs: [sh, g]}\n"
    )
    counts = {c.name: c for c in count_nodes(build_graph(parse(spec_text(body))))}
    assert counts["s1.cat"].shape == (16, 32, 32)
    assert counts["s1.m"].shape == (16, 32, 32)
    assert counts["s1.m"].ops == 16 * 32 * 32
    assert counts["s1.lo"].act_in_bytes == 0  # a view moves nothing


def test_norm_and_act_sugar_and_bias_rule() -> None:
    text = spec_text(
        "  s1:\n    - {name: c, op: conv2d, out: 8, kernel: 3, act: hardswish}\n",
        header="defaults: {norm: batchnorm}\n",
    )
    counts = {c.name: c for c in count_nodes(build_graph(parse(text)))}
    assert list(counts) == ["s1.c", "s1.c.bn", "s1.c.act"]
    assert counts["s1.c"].params == 8 * 3 * 9  # no bias before a norm
    assert counts["s1.c.act"].op == "hardswish"
