"""Search engines, all with one ask/tell interface so that the driver (design/run.py) can batch,
parallelise, store and resume any of them:

- exhaustive: every candidate in order (small spaces);
- random: distinct candidates drawn uniformly;
- evolution: regularized ("aging") evolution, Real et al., AAAI 2019, Algorithm 1: a population of
  P, each step samples S of it, mutates the best of the sample (one decision to another value),
  adds the child and removes the *oldest* member;
- nsga2, tpe: Optuna's samplers (Deb et al. 2002; Bergstra et al. 2011) through `study.ask/tell`,
  each decision a categorical parameter (the index of its value).

Random search and evolution can also be divided among worker processes (`--jobs N`, see
design/parallel.py): `shard(index, parts)` makes the engine a worker runs, with its own random
stream derived from the seed and its own part of the space (the candidates whose `owner` is its
index), so that workers never propose the same candidate; the parent tells every finished trial
to its own engine and hands the workers what they need from it (`news`) with each request.
"""

from __future__ import annotations

import collections
import copy
import itertools
import math
import random
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from costmodel.design.space import Candidate, Space
from costmodel.errors import CostModelError, ErrorCode

ENGINES = ("random", "evolution", "exhaustive", "nsga2", "tpe")
MAX_EXHAUSTIVE = 10_000_000


class Engine(Protocol):
    def ask(self, count: int) -> list[Candidate]:
        """Up to `count` candidates to evaluate next (fewer, or none, when the space is spent)."""

    def tell(self, candidate: Candidate, fitness: float, keys: tuple[float, ...]) -> None:
        """A finished trial: its scalar fitness (maximised) and objective keys (minimised)."""


class Divisible(Engine, Protocol):
    """An engine whose sampling can be divided among worker processes (design/parallel.py)."""

    def shard(self, index: int, parts: int) -> Divisible:
        """The engine worker `index` of `parts` samples with (made before the workers start)."""

    def news(self, count: int) -> Any:
        """What a worker needs from this (the parent's) engine before it asks for `count` more."""

    def update(self, news: Any) -> None:
        """Take in the parent's `news` (in a worker's engine)."""


def owner(candidate: Candidate, parts: int) -> int:
    """Which of `parts` workers may propose `candidate`: the parts are disjoint and, by the hash's
    mixing, spread evenly over the space and over any neighbourhood (a tuple of ints hashes the
    same in every process and run: only str and bytes hashes are salted)."""
    return hash(candidate) % parts


class RandomEngine:
    """Distinct candidates drawn uniformly at random."""

    def __init__(self, space: Space, seed: int) -> None:
        self.sizes = [len(d.values) for d in space.decisions]
        self.size = space.size
        self.seed = seed
        self.rng = random.Random(seed)
        self.seen: set[Candidate] = set()
        self.part, self.parts = 0, 1

    def draw(self) -> Candidate:
        # One random integer below the space's size, split in mixed radix: uniform over the
        # candidates like a draw per decision, at one call to the generator instead of one each.
        value = self.rng.randrange(self.size)
        chosen = []
        for n in reversed(self.sizes):
            value, index = divmod(value, n)
            chosen.append(index)
        return tuple(reversed(chosen))

    def ask(self, count: int) -> list[Candidate]:
        out: list[Candidate] = []
        attempts = 0
        limit = 100 * count * self.parts
        while len(out) < count and len(self.seen) < self.size and attempts < limit:
            attempts += 1
            candidate = self.draw()
            if candidate not in self.seen and (self.parts == 1 or owner(candidate, self.parts) == self.part):
                self.seen.add(candidate)
                out.append(candidate)
        return out

    def tell(self, candidate: Candidate, fitness: float, keys: tuple[float, ...]) -> None:
        self.seen.add(candidate)

    def shard(self, index: int, parts: int) -> RandomEngine:
        part = copy.copy(self)
        # A stream of its own per worker, the same for the same seed and number of workers.
        part.rng = random.Random(f"{self.seed}/{index}/{parts}")
        part.seen = set(self.seen)
        part.part, part.parts = index, parts
        return part

    def news(self, count: int) -> Any:
        return None  # the parts are disjoint: a worker needs nothing from the others

    def update(self, news: Any) -> None:
        pass


class ExhaustiveEngine:
    """Every candidate, in index order."""

    def __init__(self, space: Space) -> None:
        if space.size > MAX_EXHAUSTIVE:
            raise CostModelError(
                ErrorCode.LIMIT,
                f"the space has {space.size:,} candidates; exhaustive search takes at most "
                f"{MAX_EXHAUSTIVE:,} (use --engine random, evolution or nsga2)",
            )
        self.iterator: Iterator[tuple[int, ...]] = itertools.product(
            *(range(len(d.values)) for d in space.decisions)
        )
        self.seen: set[Candidate] = set()

    def ask(self, count: int) -> list[Candidate]:
        out = []
        for candidate in self.iterator:
            if candidate not in self.seen:
                out.append(candidate)
            if len(out) == count:
                break
        return out

    def tell(self, candidate: Candidate, fitness: float, keys: tuple[float, ...]) -> None:
        self.seen.add(candidate)


class EvolutionEngine:
    """Regularized evolution (Real et al. 2019): tournament of `sample` from an aging population."""

    def __init__(self, space: Space, seed: int, population: int = 64, sample: int = 16) -> None:
        self.sizes = [len(d.values) for d in space.decisions]
        self.seed = seed
        self.rng = random.Random(seed)
        self.random = RandomEngine(space, seed + 1)
        self.population_size, self.sample = population, sample
        self.population: collections.deque[tuple[Candidate, float]] = collections.deque()
        self.seen: set[Candidate] = set()
        self.pending = 0
        self.part, self.parts = 0, 1
        self.filling = 0  # in a worker: how many of the next ask fill the population at random
        # The first population starts from the space's base design (the spec the space is built
        # around, e.g. MobileNetV2), then random ones: the search explores around the baseline and a
        # constrained search never returns worse than it.
        self.start: list[Candidate] = [space.default]

    def mutate(self, parent: Candidate) -> Candidate:
        child = list(parent)
        movable = [i for i, n in enumerate(self.sizes) if n > 1]
        index = self.rng.choice(movable)
        child[index] = self.rng.choice([v for v in range(self.sizes[index]) if v != parent[index]])
        return tuple(child)

    def ask(self, count: int) -> list[Candidate]:
        if self.parts > 1:  # a worker's: children of the population the parent sent last
            return self.breed(count, self.filling)
        filling = max(0, self.population_size - len(self.population) - self.pending)
        out = self.breed(count, filling)
        self.pending += len(out)
        return out

    def breed(self, count: int, filling: int) -> list[Candidate]:
        """`count` candidates: `filling` of them the base design (once) and random ones, the
        others children."""
        out: list[Candidate] = []
        if filling:
            out = [
                c
                for c in self.start
                if c not in self.seen and (self.parts == 1 or owner(c, self.parts) == self.part)
            ]
            self.start = []
            self.random.seen.update(out)
            out += self.random.ask(min(count, filling) - len(out))
        self.seen.update(out)
        population = list(self.population)
        while len(out) < count and population:
            members = self.rng.sample(population, min(self.sample, len(population)))
            child = self.mutate(max(members, key=lambda m: m[1])[0])
            # Prefer an unseen child of this worker's part; a few retries keep the trials distinct.
            for _ in range(20 * self.parts):
                if child not in self.seen and (self.parts == 1 or owner(child, self.parts) == self.part):
                    break
                child = self.mutate(child)
            self.seen.add(child)
            out.append(child)
        if not out and not population:
            out = self.random.ask(count)
        return out

    def tell(self, candidate: Candidate, fitness: float, keys: tuple[float, ...]) -> None:
        self.pending = max(0, self.pending - 1)
        self.seen.add(candidate)
        self.random.seen.add(candidate)
        self.population.append((candidate, fitness))
        if len(self.population) > self.population_size:
            self.population.popleft()  # the oldest dies, not the worst: the "regularized" part

    def shard(self, index: int, parts: int) -> EvolutionEngine:
        part = copy.copy(self)
        part.rng = random.Random(f"{self.seed}/{index}/{parts}")
        part.random = self.random.shard(index, parts)
        part.seen = set(self.seen)
        part.population = collections.deque(self.population)
        part.part, part.parts = index, parts
        return part

    def news(self, count: int) -> Any:
        """The population as it stands and how many of `count` fill it at random (the requests
        in flight count as pending, as asks do)."""
        filling = max(0, self.population_size - len(self.population) - self.pending)
        self.pending += count
        return list(self.population), min(count, filling)

    def update(self, news: Any) -> None:
        population, self.filling = news
        self.population = collections.deque(population)
        self.seen.update(candidate for candidate, _ in population)


class OptunaEngine:
    """NSGA-II or TPE from Optuna through ask/tell; the study may live in a storage (--storage)."""

    def __init__(
        self,
        space: Space,
        kind: str,
        seed: int,
        directions: list[str],
        storage: Any = None,
        study_name: str = "",
    ) -> None:
        optuna = import_optuna()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        if kind == "nsga2":
            from costmodel.design.nsga import nsga2_sampler

            # In memory this process finishes every trial, so the sampler's per-ask scans of the
            # study can be memoised (design/nsga.py); a shared storage has other workers telling.
            sampler = nsga2_sampler(seed, memoised=storage is None)
        else:
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
        self.study = optuna.create_study(
            directions=directions if kind == "nsga2" else directions[:1],
            sampler=sampler,
            storage=storage,
            study_name=study_name or None,
            load_if_exists=True,
        )
        # One parameter per stage (its decisions' indices in mixed radix) and per multiplier:
        # Optuna's cost grows with the parameters of a trial (7 instead of 28 for mnasnet_mbv2,
        # about 4x faster), and a stage's choices cross over and mutate together, MnasNet's
        # per-stage block.
        self.genes = list(space.stage_groups().items())
        self.radices = [[len(space.decisions[i].values) for i in indices] for _, indices in self.genes]
        self.distributions = {
            name: gene_distribution(optuna, kind, math.prod(radix))
            for (name, _), radix in zip(self.genes, self.radices, strict=True)
        }
        self.width = len(space.decisions)
        self.kind = kind
        self.trials: dict[Candidate, list[Any]] = {}

    def ask(self, count: int) -> list[Candidate]:
        out = []
        for _ in range(count):
            trial = self.study.ask(self.distributions)
            params = trial.params  # a deep copy on every access: taken once
            candidate = self.decode(params)
            self.trials.setdefault(candidate, []).append(trial)
            out.append(candidate)
        return out

    def decode(self, params: dict[str, Any]) -> Candidate:
        """The candidate of a trial's parameters (each gene's index split in mixed radix)."""
        chosen = [0] * self.width
        for (name, indices), radix in zip(self.genes, self.radices, strict=True):
            value = int(params[name])
            for i, n in zip(reversed(indices), reversed(radix), strict=True):
                value, chosen[i] = divmod(value, n)
        return tuple(chosen)

    def tell(self, candidate: Candidate, fitness: float, keys: tuple[float, ...]) -> None:
        pending = self.trials.get(candidate)
        if not pending:
            return  # a trial replayed from the file of a resumed run: the storage has it
        trial = pending.pop(0)
        values = list(keys) if self.kind == "nsga2" else [keys[0]]
        self.study.tell(trial, values)


def gene_distribution(optuna: Any, kind: str, count: int) -> Any:
    """The distribution of a gene with `count` values (the index of the stage's combination).

    TPE models a categorical and an integer differently (an integer as ordered), so its genes are
    categorical. NSGA-II's uniform crossover hands each gene over whole from one parent and its
    mutation draws a gene uniformly, so an integer 0..count-1 is sampled exactly as a categorical
    of `count` choices would be; it is far cheaper to carry: Optuna compares a categorical's
    choices one by one on every suggest and copies them with every trial (36 per gene here).
    """
    if kind == "nsga2":
        return optuna.distributions.IntDistribution(0, count - 1)
    return optuna.distributions.CategoricalDistribution(list(range(count)))


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise CostModelError(
            ErrorCode.OPTION, "--engine nsga2/tpe and --storage need Optuna: pip install 'costmodel[search]'"
        ) from None
    return optuna


def make_engine(
    name: str, space: Space, seed: int, directions: list[str], storage: Any = None, study_name: str = ""
) -> Engine:
    """The engine called `name`."""
    makers: dict[str, Callable[[], Engine]] = {
        "random": lambda: RandomEngine(space, seed),
        "evolution": lambda: EvolutionEngine(space, seed),
        "exhaustive": lambda: ExhaustiveEngine(space),
        "nsga2": lambda: OptunaEngine(space, "nsga2", seed, directions, storage, study_name),
        "tpe": lambda: OptunaEngine(space, "tpe", seed, directions, storage, study_name),
    }
    if name not in makers:
        raise CostModelError(ErrorCode.OPTION, f"unknown engine '{name}' (engines: {', '.join(ENGINES)})")
    return makers[name]()
