"""design/nsga.py: the memoised NSGA-II sampler asks exactly what Optuna's own sampler asks."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from costmodel.design.nsga import MemoisedNSGAIISampler, nsga2_sampler  # noqa: E402


def _asked(memoised: bool, trials: int, batch: int, population: int) -> tuple[list[tuple[int, ...]], int]:
    """The parameters asked by a study driven like the fast path (a batch asked, then told), and
    the highest generation reached."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = nsga2_sampler(seed=3, memoised=memoised)
    sampler.population_size = population
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    genes = {f"g{i}": optuna.distributions.IntDistribution(0, 9) for i in range(5)}
    asked: list[tuple[int, ...]] = []
    while len(asked) < trials:
        pending = [study.ask(genes) for _ in range(batch)]
        for trial in pending:
            values = tuple(int(trial.params[name]) for name in genes)
            asked.append(values)
            # Two conflicting objectives that only depend on the parameters.
            study.tell(trial, [sum(values), -max(values) + values[0]])
    key = sampler._get_generation_key()
    generations = [t.system_attrs.get(key, 0) for t in study.get_trials(deepcopy=False)]
    return asked, max(generations)


@pytest.mark.parametrize("batch", [1, 7, 32])
def test_memoised_sampler_asks_what_optunas_asks(batch: int) -> None:
    plain, plain_generations = _asked(False, 320, batch, population=20)
    memoised, generations = _asked(True, 320, batch, population=20)
    assert generations == plain_generations >= 5  # several generations of parents were chosen
    assert memoised == plain


def test_sampler_kind() -> None:
    assert isinstance(nsga2_sampler(0, memoised=True), MemoisedNSGAIISampler)
    assert not isinstance(nsga2_sampler(0, memoised=False), MemoisedNSGAIISampler)
