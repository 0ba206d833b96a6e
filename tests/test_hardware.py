"""Hardware profiles: every number has a source; bad numbers are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from costmodel.errors import CostModelError, ErrorCode
from costmodel.hw import list_profiles, load_profile, numeric_paths


@pytest.mark.parametrize("path", list_profiles(), ids=lambda p: p.stem)
def test_every_number_has_a_source(path: Path) -> None:
    profile = load_profile(str(path))
    numbers = set(numeric_paths(profile))
    assert numbers, "a profile has numbers"
    assert numbers - set(profile.sources) == set(), "numbers without a source"
    assert set(profile.sources) - numbers == {"runtime"}, "sources for fields that do not exist"
    assert profile.runtime is not None and profile.sources["runtime"], "a bundled profile names its runtime"
    assert profile.name == path.stem


@pytest.mark.parametrize(
    "path,value",
    [
        (("memory", "dram_bytes_per_s"), float("nan")),
        (("memory", "dram_bytes_per_s"), float("inf")),
        (("memory", "dram_bytes_per_s"), -1),
        (("efficiency", "depthwise"), 1.5),
        (("precisions", "fp32", "peak_macs_per_s"), 0),
        (("precisions", "fp32", "peak_macs_per_s"), "fast"),
        (("static_power_w",), True),  # YAML `true` is not 1.0 W
        (("overhead_s_per_kernel",), "0.001"),  # a quoted number is text
        (("memory", "onchip", 0, "capacity_bytes"), 65536.5),
    ],
)
def test_invalid_numbers_are_rejected(path: tuple[str, ...], value: object, tmp_path: Path) -> None:
    data = yaml.safe_load((list_profiles()[0].parent / "snapdragon855.yaml").read_text())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CostModelError) as info:
        load_profile(str(bad))
    assert info.value.code == ErrorCode.HARDWARE
    assert info.value.pos is not None and info.value.pos.line > 1


def test_misspelt_key_is_rejected_with_its_line(tmp_path: Path) -> None:
    text = (list_profiles()[0].parent / "snapdragon855.yaml").read_text()
    assert "depthwise:" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("depthwise:", "depthwsie:", 1))
    with pytest.raises(CostModelError) as info:
        load_profile(str(bad))
    assert info.value.code == ErrorCode.UNKNOWN_KEY
    assert info.value.pos is not None
    assert "depthwsie" in bad.read_text().splitlines()[info.value.pos.line - 1]


def test_yaml_1_2_floats_in_a_profile_are_numbers(tmp_path: Path) -> None:
    """'9.75e12' is a float in YAML 1.2 but a string to PyYAML's 1.1 resolver; datasheet figures
    are written that way, so the loader reads them as numbers (and strict fields need numbers)."""
    text = (list_profiles()[0].parent / "snapdragon855.yaml").read_text()
    profile = load_profile("snapdragon855")
    rate = profile.memory.dram_bytes_per_s
    line = next(t for t in text.splitlines() if t.strip().startswith("dram_bytes_per_s:"))
    indent = line[: len(line) - len(line.lstrip())]
    edited = tmp_path / "sd.yaml"
    edited.write_text(text.replace(line, f"{indent}dram_bytes_per_s: {rate:.6e}".replace("e+", "e")))
    assert load_profile(str(edited)).memory.dram_bytes_per_s == pytest.approx(rate, rel=1e-6)
