"""Hardware profiles: every number has a source; bad numbers are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from costmodel.errors import CostModelError, ErrorCode
from costmodel.hardware import list_profiles, load_profile, numeric_paths


@pytest.mark.parametrize("path", list_profiles(), ids=lambda p: p.stem)
def test_every_number_has_a_source(path: Path) -> None:
    profile = load_profile(str(path))
    numbers = set(numeric_paths(profile))
    assert numbers, "a profile has numbers"
    assert numbers - set(profile.sources) == set(), "numbers without a source"
    assert set(profile.sources) - numbers == set(), "sources for fields that do not exist"
    assert profile.name == path.stem


@pytest.mark.parametrize("replace,code", [
    ("dram_bytes_per_s: 34.1e9", "dram_bytes_per_s: .nan"),
    ("dram_bytes_per_s: 34.1e9", "dram_bytes_per_s: .inf"),
    ("dram_bytes_per_s: 34.1e9", "dram_bytes_per_s: -1"),
    ("depthwise: 0.2", "depthwise: 1.5"),
    ("depthwise: 0.2", "depthwsie: 0.2"),
])
def test_invalid_numbers_are_rejected(replace: str, code: str, tmp_path: Path) -> None:
    text = (list_profiles()[0].parent / "snapdragon855.yaml").read_text()
    assert replace in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(replace, code))
    with pytest.raises(CostModelError) as info:
        load_profile(str(bad))
    assert info.value.code in (ErrorCode.HARDWARE, ErrorCode.UNKNOWN_KEY)
    assert info.value.pos is not None and info.value.pos.line > 1
