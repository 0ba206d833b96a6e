"""Optuna's NSGA-II sampler, driven at fast-path speed (imported only when Optuna is installed).

The sampler is Optuna's `NSGAIISampler` unchanged in what it decides (elite selection, crossover,
mutation). Two of its bookkeeping steps scan every trial of the study on every `ask`, which makes
a search quadratic in its length (measured: about 1,400 asks/s after 2,000 trials, 400/s after
10,000, most of it in `get_trial_generation`):

- `get_trial_generation` counts the finished trials of the newest generation to decide the new
  trial's generation. Its answer depends only on the finished trials, so it is the same for every
  trial asked until the next one finishes: it is computed once and reused until `after_trial`
  (Optuna calls it for every finished trial) says the finished set changed;
- `get_parent_population` reads the parents of a generation back by trial id from the list of all
  trials; a generation's parents never change once chosen (Optuna stores their ids in the study),
  so the list read back is kept per generation.

Both memos are only right when this process is the only one finishing trials, so they are used
for an in-memory study only (`memoised=False` with --storage, where other workers tell too).
tests/test_search_nsga.py checks that a search asks exactly the candidates the unmemoised sampler
asks, seed for seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optuna.samplers import NSGAIISampler
from optuna.samplers.nsgaii import UniformCrossover
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState


class MemoisedNSGAIISampler(NSGAIISampler):
    """`NSGAIISampler` whose generation and parent look-ups are memoised (see the module)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._new_generation: int | None = None  # the generation of a trial asked now
        self._parents: dict[int, list[FrozenTrial]] = {}

    def get_trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        if trial.system_attrs.get(self._get_generation_key()) is not None:
            return super().get_trial_generation(study, trial)  # known already: Optuna reads it
        if self._new_generation is None:
            self._new_generation = super().get_trial_generation(study, trial)
            return self._new_generation
        study._storage.set_trial_system_attr(
            trial._trial_id, self._get_generation_key(), self._new_generation
        )
        return self._new_generation

    def get_parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        known = self._parents.get(generation)
        if known is not None:
            return known
        # The call that selects the parents returns them in selection order, the later ones read
        # them back in trial order: only those are kept, so that the order is Optuna's each time.
        chosen = self._get_parent_cache_key_prefix() + str(generation)
        selected = chosen in study._storage.get_study_system_attrs(study._study_id)
        parents = super().get_parent_population(study, generation)
        if selected:
            self._parents[generation] = parents
        return parents

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._new_generation = None  # the finished trials changed
        super().after_trial(study, trial, state, values)


def nsga2_sampler(seed: int, memoised: bool) -> NSGAIISampler:
    """Optuna's NSGA-II with uniform crossover (its default, named because the genes rely on it:
    each child gene is one parent's value, never a value in between; see engines.OptunaEngine)."""
    kind = MemoisedNSGAIISampler if memoised else NSGAIISampler
    return kind(seed=seed, crossover=UniformCrossover())
