"""The zoo as a user meets it: listed, documented, and analyzable on every bundled profile."""

from __future__ import annotations

import pytest
from conftest import run, spec_named
from typer.testing import CliRunner

from cli import app
from costmodel.cost.analysis import analyze
from costmodel.cost.options import AnalysisOptions
from costmodel.hw import list_profiles, load_profile
from costmodel.spec.model import bundled_specs

SPECS = [p.stem for p in bundled_specs()]
PROFILES = [p.stem for p in list_profiles()]


def test_zoo_lists_every_spec_with_its_source() -> None:
    result = CliRunner().invoke(app, ["zoo"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name in SPECS:
        spec = spec_named(name)
        assert spec.name == name, "a spec's name is its file stem"
        assert spec.title and spec.source, f"{name} needs a title and a source"
        assert name in result.stdout


@pytest.mark.parametrize("profile", PROFILES)
def test_every_spec_analyzes_on_every_profile(profile: str) -> None:
    hw = load_profile(profile)
    precision = "fp32" if "fp32" in hw.precisions else next(iter(hw.precisions))
    for name in SPECS:
        result = analyze(spec_named(name), hw, AnalysisOptions(precision=precision))
        assert result.total.latency_s > 0 and result.total.energy_j > 0, (name, profile)


def test_aux_heads_are_left_out_unless_asked_for(sd855) -> None:
    # torchvision's documented inception_v3 count (27,161,264) includes the aux classifier.
    assert run("inception_v3", sd855, include_aux=True).total.params == 27_161_264

    def googlenet_aux(in_channels: int) -> int:
        # torchvision InceptionAux: 1x1 conv to 128 (+BN), fc 2048->1024, fc 1024->1000
        return in_channels * 128 + 2 * 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000

    with_aux = run("googlenet", sd855, include_aux=True)
    without = run("googlenet", sd855)
    assert with_aux.total.params == without.total.params + googlenet_aux(512) + googlenet_aux(528)
    assert with_aux.total.macs > without.total.macs
    assert {r.stage for r in with_aux.nodes} - {r.stage for r in without.nodes} == {"aux1", "aux2"}
