"""The Python API: what the `costmodel` commands do, as functions that return typed results.

For notebooks and scripts that explore designs: analyse a spec on a hardware profile, sweep widths
and resolutions, compare two designs. Every function takes a spec as a bundled name
('mbv3_small'), a path to a YAML file or a loaded `Spec`, a hardware profile as a bundled name
('snapdragon855'), a path or a loaded `HardwareProfile`, and the analysis options as keywords,
named as the fields of `costmodel.cost.options.AnalysisOptions` (`width=0.75`, `precision='int8'`,
`layer_precision=['stem.*=fp32']`). Anything wrong with the input (an unknown spec, option or
grouping, a value out of range) raises `costmodel.errors.CostModelError` with a one-line message.
docs/api.md walks through an example.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from costmodel.cost.analysis import AnalysisResult
from costmodel.cost.analysis import analyze as _analyze
from costmodel.cost.options import AnalysisOptions, OptionValues, make_options
from costmodel.cost.sweep import SweepPoint, default_resolutions
from costmodel.cost.sweep import sweep as _sweep
from costmodel.errors import CostModelError, ErrorCode, did_you_mean, excerpt
from costmodel.hw.load import load_profile as _load_profile
from costmodel.hw.profile import HardwareProfile
from costmodel.names import GroupBy
from costmodel.present.compare import DiffResult, build_diff
from costmodel.spec.files import exists
from costmodel.spec.model import Spec, bundled_specs, resolve_spec_path
from costmodel.spec.model import load_spec as _load_spec

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from costmodel.design.lut import LutEntry
    from costmodel.design.session import SearchOutcome
    from costmodel.design.space import Space

__all__ = ["OptionValues", "analyze", "diff", "load_profile", "load_spec", "lut", "search", "sweep"]

SpecLike = str | os.PathLike[str] | Spec
HardwareLike = str | os.PathLike[str] | HardwareProfile
DEFAULT_HARDWARE = "snapdragon855"


def load_spec(name_or_path: SpecLike) -> Spec:
    """A validated spec from a bundled name ('mbv3_small') or the path of a YAML file (a `Spec` is
    returned as it is). Raises CostModelError for a missing file or an invalid spec."""
    if isinstance(name_or_path, Spec):
        return name_or_path
    text = _path_text(name_or_path, "spec")
    path = resolve_spec_path(text)
    if not exists(path):
        names = [p.stem for p in bundled_specs()]
        raise CostModelError(
            ErrorCode.FILE,
            f"no spec file or bundled spec '{excerpt(text)}'{did_you_mean(text, names)} "
            f"(bundled: {', '.join(names)})",
        )
    return _load_spec(path)


def load_profile(name_or_path: HardwareLike) -> HardwareProfile:
    """A hardware profile from a bundled name ('snapdragon855', 'host' for this machine) or the
    path of a YAML file (a `HardwareProfile` is returned as it is). Raises CostModelError."""
    if isinstance(name_or_path, HardwareProfile):
        return name_or_path
    return _load_profile(_path_text(name_or_path, "hardware profile"))


def analyze(
    spec: SpecLike, hw: HardwareLike = DEFAULT_HARDWARE, **options: Unpack[OptionValues]
) -> AnalysisResult:
    """Params, MACs, memory traffic, peak activation memory, latency and energy of `spec` on `hw`.

    spec: bundled name, path or Spec; hw: bundled profile name, path or HardwareProfile;
    options: `AnalysisOptions` fields as keywords (batch, precision, layer_precision, width,
    resolution, fusion, cache, cache_fraction, include_aux, resident_weights). The result has
    `.totals`, `.rows(group_by)`, `.to_dict(group_by)` and `.to_frame(group_by)`; its numbers are
    those of `costmodel analyze` with the same options.
    """
    return _analyze(load_spec(spec), load_profile(hw), _options(options))


def sweep(
    spec: SpecLike,
    hw: HardwareLike = DEFAULT_HARDWARE,
    *,
    widths: Iterable[float] = (0.5, 0.75, 1.0),
    resolutions: Iterable[int | None] | None = None,
    batches: Iterable[int] = (),
    precisions: Iterable[str] = (),
    **options: Unpack[OptionValues],
) -> list[SweepPoint]:
    """The totals of `spec` on `hw` at every width x resolution x precision x batch, in that order
    (widths outermost), as `costmodel sweep` computes them.

    resolutions: square input sides; None: MobileNet's 128-224 and the spec's own. batches and
    precisions: empty means the `batch` and `precision` option. Other options as in `analyze`;
    width and resolution are what the sweep varies, so they are not options here.
    """
    for varied in ("width", "resolution"):
        if varied in options:
            raise CostModelError(
                ErrorCode.OPTION, f"a sweep varies {varied}s: pass {varied}s=[...], not {varied}="
            )
    loaded, profile = load_spec(spec), load_profile(hw)
    sides = default_resolutions(loaded) if resolutions is None else list(resolutions)
    points = _sweep(loaded, profile, widths, sides, _options(options), batches=batches, precisions=precisions)
    return list(points)


def diff(
    a: SpecLike | AnalysisResult,
    b: SpecLike | AnalysisResult,
    hw: HardwareLike = DEFAULT_HARDWARE,
    hw_b: HardwareLike | None = None,
    group_by: GroupBy | str = GroupBy.STAGE,
    **options: Unpack[OptionValues],
) -> DiffResult:
    """Design A against design B: totals with deltas (B - A) and percentages, and rows aligned by
    name and structure, as `costmodel diff` shows them.

    a, b: specs (analysed on `hw`, B on `hw_b` when given, both with `options`) or results of
    `analyze` (used as they are). group_by: how rows are aligned (node, layer, block, stage, op).
    The result has `.totals`, `.pairs`, `.total(metric)` and `.to_dict()`.
    """
    values = _options(options)
    result_a = a if isinstance(a, AnalysisResult) else _analyze(load_spec(a), load_profile(hw), values)
    profile_b = load_profile(hw if hw_b is None else hw_b)
    result_b = b if isinstance(b, AnalysisResult) else _analyze(load_spec(b), profile_b, values)
    return build_diff(result_a, result_b, str(group_by))


def search(
    space: str | os.PathLike[str],
    hw: str | Sequence[str] = DEFAULT_HARDWARE,
    *,
    engine: str = "random",
    trials: int = 1000,
    seed: int = 0,
    objectives: Sequence[str] = (),
    constraints: Sequence[str] = (),
    target_ms: float | None = None,
    w: str = "soft",
    accuracy: str = "proxy",
    jobs: int = 1,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> SearchOutcome:
    """Search a space as `costmodel search` does (its fast path; docs/search.md).

    space: a search-space file or a bundled space ('mnasnet_mbv2'); hw: one or several bundled
    profile names or paths (costs on each: 'latency_s@NAME'); engine: random, evolution,
    exhaustive, nsga2 or tpe; objectives 'METRIC[:min|max]', constraints 'METRIC<=VALUE';
    target_ms and w ('soft', 'hard' or a number): MnasNet's reward; accuracy: 'proxy', a CSV or
    'module:function'. With `out`, trials are stored in batches in that directory and
    `resume=True` continues a search stored there. The result has `.records` (every trial),
    `.pareto` (the feasible non-dominated trials, best first) and `.trials()` (with the choices
    spelled out); `costmodel.present.formats.render('search', 'csv'|'json'|'table', result)`
    writes it as the command does.
    """
    from pathlib import Path

    from costmodel.design.engines import make_engine
    from costmodel.design.run import TrialStore, replay, run_search
    from costmodel.design.session import SearchOutcome, SearchSettings, build_problem

    hardware = (hw,) if isinstance(hw, str) else tuple(hw)
    settings = SearchSettings(
        space=os.fspath(space), hardware=hardware, engine=engine, trials=trials, seed=seed,
        objectives=tuple(objectives), constraints=tuple(constraints), target_ms=target_ms, w=w,
        accuracy=accuracy, jobs=jobs,
    )  # fmt: skip
    problem = build_problem(settings)
    store = TrialStore(Path(out)) if out is not None else None
    if resume and store is None:
        raise CostModelError(ErrorCode.OPTION, "resume=True needs out= (where the search is stored)")
    previous = store.start(settings.to_dict(), resume) if store is not None else []
    directions = ["minimize"] * len(problem.objectives)
    searcher = make_engine(engine, problem.space, seed + len(previous), directions)
    replay(problem, searcher, previous)
    records = list(previous)
    records += run_search(problem, searcher, trials, done=len(previous), jobs=jobs, store=store)
    return SearchOutcome(problem, settings, records)


def lut(
    space: str | os.PathLike[str] | Space,
    hw: HardwareLike = DEFAULT_HARDWARE,
    **options: Unpack[OptionValues],
) -> list[LutEntry]:
    """The latency lookup table of a search space on `hw`, as `costmodel lut` writes it: one
    entry per (stage, combination of its choices, input shape), the stage analysed alone
    (`.latency_s`, `.energy_j`, `.params`, `.macs`, `.kernels`, `.row()`). Summing a
    candidate's entries (`costmodel.design.lut.lookup`) overestimates its latency where
    tensors stay on chip between stages (docs/search.md)."""
    from costmodel.design.lut import build_lut
    from costmodel.design.space import Space, load_space

    loaded = space if isinstance(space, Space) else load_space(os.fspath(space))
    return build_lut(loaded, load_profile(hw), _options(options))


def _options(values: Mapping[str, Any]) -> AnalysisOptions:
    """`AnalysisOptions` from keywords; an unknown name or a value of the wrong type is a
    CostModelError (make_options names the closest option). One rule may be given as a string."""
    if isinstance(values.get("layer_precision"), str):
        values = {**values, "layer_precision": [values["layer_precision"]]}
    try:
        return make_options(**values)
    except (TypeError, ValueError) as exc:
        given = ", ".join(f"{name}={value!r}" for name, value in values.items())
        raise CostModelError(ErrorCode.OPTION, f"invalid option value among {given} ({exc})") from None


def _path_text(value: object, what: str) -> str:
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if isinstance(path, str):
        return path
    raise CostModelError(
        ErrorCode.OPTION, f"expected a {what} name or path, got {type(value).__name__}: {value!r}"
    )
