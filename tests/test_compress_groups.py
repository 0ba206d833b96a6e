"""Channel dependency groups of four architectures, each derived by hand from its paper's table."""

from __future__ import annotations

from conftest import spec_named

from costmodel.compress.groups import ChannelGroup, channel_groups
from costmodel.graph.build import build_graph

Expected = set[tuple[frozenset[str], int, bool]]


def found(name: str) -> Expected:
    return {(frozenset(g.members), g.channels, g.prunable) for g in groups(name)}


def groups(name: str) -> list[ChannelGroup]:
    return channel_groups(build_graph(spec_named(name)))


def one(name: str, channels: int, prunable: bool = True) -> tuple[frozenset[str], int, bool]:
    return (frozenset([name]), channels, prunable)


def test_mbv2_groups() -> None:
    # MobileNetV2 Table 2: (t, c, n) per stage. Each expansion conv is its own group (the depthwise
    # conv after it keeps its channels); the projections of a stage are tied by the residual adds.
    table = [(1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3), (6, 320, 1)]
    expected: Expected = {one("stem.conv", 32)}
    channels = 32
    for stage, (t, c, n) in enumerate(table, start=1):
        prefix = f"s{stage}.b1" + (".{i}" if n > 1 else "")
        for i in range(1, n + 1):
            block = prefix.format(i=i)
            if t != 1:
                expected.add(one(f"{block}.expand", channels * t))
            channels = c
        members = frozenset(f"{prefix.format(i=i)}.project" for i in range(1, n + 1))
        expected.add((members, c, True))
    expected |= {one("head.conv", 1280), one("head.classifier", 1000, False)}
    assert found("mbv2") == expected
    stem = next(g for g in groups("mbv2") if g.name == "stem.conv")
    assert stem.followers == ("s1.b1.dw",)  # the depthwise conv of the first block follows the stem


def test_resnet50_groups() -> None:
    # ResNet-50 (He et al. Table 1): per stage, the downsample conv and every conv3 are tied by
    # the adds (4 x width channels); conv1 and conv2 of every block are groups of their own.
    expected: Expected = {one("stem.conv", 64), one("head.classifier", 1000, False)}
    for stage, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=1):
        trunk = {f"s{stage}.b.1.downsample"} | {f"s{stage}.b.{b}.conv3" for b in range(1, blocks + 1)}
        expected.add((frozenset(trunk), 4 * width, True))
        for b in range(1, blocks + 1):
            expected |= {one(f"s{stage}.b.{b}.conv1", width), one(f"s{stage}.b.{b}.conv2", width)}
    assert found("resnet50") == expected


def test_shufflenet_v2_groups() -> None:
    # ShuffleNet V2 Table 5: stages of 116/232/464 channels with 3/7/3 basic units. Each branch's
    # first 1x1 conv is a group (the depthwise conv keeps its channels). The stage's trunk - the
    # down unit's two halves and every unit's branch output - is one group: the shuffle ties
    # channel j of both halves, and the next unit's split takes channels of both, so a tie class
    # holds two channels of a later branch: no channel can go without breaking the shuffle.
    expected: Expected = {
        one("stem.conv1", 24),
        one("head.conv5", 1024),
        one("head.classifier", 1000, False),
    }
    for stage, (channels, units) in enumerate([(116, 3), (232, 7), (464, 3)], start=1):
        trunk = {f"s{stage}.down.proj_pw", f"s{stage}.down.branch.pw2"}
        trunk |= {f"s{stage}.unit.{u}.branch.pw2" for u in range(1, units + 1)}
        expected.add((frozenset(trunk), channels // 2, False))
        expected.add(one(f"s{stage}.down.branch.pw1", channels // 2))
        expected |= {one(f"s{stage}.unit.{u}.branch.pw1", channels // 2) for u in range(1, units + 1)}
    assert found("shufflenet_v2_x1_0") == expected
    trunk = next(g for g in groups("shufflenet_v2_x1_0") if g.name == "s1.down.proj_pw")
    assert trunk.reason.startswith("irregular")


def test_densenet121_groups() -> None:
    # DenseNet-121 Table 1 (k = 32, bottleneck 4k, compression 0.5): a concat only maps slices,
    # so every conv is a group of its own.
    growth = 32
    expected: Expected = {one("stem.conv", 64), one("head.classifier", 1000, False)}
    channels = 64
    for stage, layers in enumerate([6, 12, 24, 16], start=1):
        for i in range(1, layers + 1):
            expected |= {
                one(f"s{stage}.dense.{i}.conv1", 4 * growth),
                one(f"s{stage}.dense.{i}.conv2", growth),
            }
        channels += layers * growth
        if stage < 4:
            channels //= 2
            expected.add(one(f"s{stage}.transition.conv", channels))
    assert found("densenet121") == expected


def test_mbv3_se_ties_the_gate_to_the_expansion() -> None:
    # The SE scale multiplies the depthwise output by fc2's gate channel by channel.
    by_name = {g.name: g for g in groups("mbv3_large")}
    assert by_name["s3.b1.expand"].members == ("s3.b1.expand", "s3.b1.se.fc2")
    assert by_name["s3.b1.se.fc1"].channels == 24
