"""Every bundled spec reproduces its reference model's params and MACs (tests/reference.py)."""

from __future__ import annotations

import pytest
from conftest import ARCHSPECS, run
from reference import EXACT, GPT2_DECODE_CTX1024, MBV3_LARGE_075, PARAMS_ONLY, PUBLISHED


@pytest.mark.parametrize("name", sorted(EXACT))
def test_exact_counts(name: str, sd855) -> None:
    params, macs, source = EXACT[name]
    total = run(name, sd855).total
    assert (total.params, total.macs) == (params, macs), source


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_counts_within_two_percent(name: str, sd855) -> None:
    params, madds, source = PUBLISHED[name]
    total = run(name, sd855).total
    assert total.params == pytest.approx(params, rel=0.02), source
    assert total.macs == pytest.approx(madds, rel=0.02), source


def test_width_075_matches_torchvision_width_mult(sd855) -> None:
    total = run("mbv3_large", sd855, width=0.75).total
    assert (total.params, total.macs) == MBV3_LARGE_075


@pytest.mark.parametrize("name", sorted(PARAMS_ONLY))
def test_exact_params(name: str, sd855) -> None:
    params, source = PARAMS_ONLY[name]
    assert run(name, sd855).total.params == params, source


def test_gpt2_prefill_and_decode_phases(sd855) -> None:
    prefill = run("gpt2", sd855, phase="prefill", context=1024).total
    assert (prefill.params, prefill.macs) == EXACT["gpt2"][:2]
    decode = run("gpt2", sd855, phase="decode", context=1024).total
    assert (decode.params, decode.macs) == GPT2_DECODE_CTX1024


def test_every_bundled_spec_has_a_reference() -> None:
    bundled = {p.stem for p in ARCHSPECS.glob("*.yaml")}
    assert bundled == set(EXACT) | set(PUBLISHED) | set(PARAMS_ONLY)
