"""Accuracy sources for a search. A cost model does not know accuracy, so it never pretends to:

- `csv:FILE` (or a path ending in .csv): measured accuracies of named candidates, columns `name`
  and `accuracy` (top-1, %); a candidate missing from the file is an error, not a guess;
- `module:function`: a Python callable given the candidate's `Spec`, returning top-1 in % (a
  user's predictor, or a training job);
- `proxy` (the default): top-1 = a + b x ln(MACs), least squares over the zoo specs that carry a
  published `accuracy:`. Its values are labelled "proxy" wherever they are shown; it ranks
  designs by size only and knows nothing of kernels or SE (calibration/accuracy_proxy.md).
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from costmodel.errors import CostModelError, ErrorCode
from costmodel.spec.schema import Spec

PROXY = "proxy"


@dataclass(frozen=True)
class ProxyFit:
    """top-1 (%) = intercept + slope x ln(MACs); the zoo points it was fitted on."""

    intercept: float
    slope: float
    points: tuple[tuple[str, int, float], ...]  # (spec name, MACs, published top-1)

    def __call__(self, macs: float) -> float:
        return self.intercept + self.slope * math.log(max(macs, 1.0))

    @property
    def r2(self) -> float:
        """Share of the top-1 variance the fit explains."""
        ys = [top1 for _, _, top1 in self.points]
        mean = sum(ys) / len(ys)
        residual = sum((y - self(macs)) ** 2 for _, macs, y in self.points)
        return 1.0 - residual / sum((y - mean) ** 2 for y in ys)


def fit_proxy(points: list[tuple[str, int, float]]) -> ProxyFit:
    """Least squares of top-1 against ln(MACs) (closed form)."""
    if len(points) < 2:
        raise CostModelError(
            ErrorCode.BAD_VALUE, "the accuracy proxy needs two zoo specs with a published accuracy"
        )
    xs = [math.log(macs) for _, macs, _ in points]
    ys = [top1 for _, _, top1 in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    return ProxyFit(mean_y - slope * mean_x, slope, tuple(points))


@lru_cache(maxsize=1)
def zoo_proxy() -> ProxyFit:
    """The proxy fitted over the bundled zoo (published top-1 against the MACs costmodel counts,
    which equal torchvision's for these specs: tests/test_zoo_counts.py)."""
    from costmodel.cost.counting import count_nodes
    from costmodel.cost.precision import PrecisionPlan
    from costmodel.graph.build import build_graph
    from costmodel.spec.model import bundled_specs, load_spec

    points = []
    for path in bundled_specs():
        spec = load_spec(path)
        if spec.accuracy is None:
            continue
        counts = count_nodes(build_graph(spec), 1, PrecisionPlan("fp32", ()))
        points.append((spec.name, sum(c.macs for c in counts), spec.accuracy.top1))
    return fit_proxy(points)


@dataclass(frozen=True)
class AccuracySource:
    """Where a search's accuracy comes from: `label` is shown with every value ('proxy', the
    CSV's path, the callable's name); `by_spec` gets a value from a candidate's spec and MACs."""

    kind: str  # proxy, csv, callable
    label: str
    by_spec: Callable[[Spec, str, int], float]  # (spec, candidate name, MACs) -> top-1 %

    @property
    def is_proxy(self) -> bool:
        return self.kind == PROXY

    def describe(self) -> str:
        if self.is_proxy:
            fit = zoo_proxy()
            return (
                f"accuracy: proxy (top-1 = {fit.intercept:.2f} + {fit.slope:.3f} ln MACs, fitted on "
                f"{len(fit.points)} zoo models, R^2 {fit.r2:.2f}); not a measurement"
            )
        return f"accuracy: {self.kind} {self.label}"


def accuracy_source(text: str = PROXY) -> AccuracySource:
    """'proxy', 'FILE.csv' / 'csv:FILE', or 'module:function'."""
    if text == PROXY:
        fit = zoo_proxy()
        return AccuracySource(PROXY, PROXY, lambda spec, name, macs: fit(macs))
    if text.startswith("csv:") or text.endswith(".csv"):
        path = Path(text.removeprefix("csv:"))
        table = _read_accuracy_csv(path)

        def from_csv(spec: Spec, name: str, macs: int) -> float:
            if name not in table:
                raise CostModelError(ErrorCode.BAD_VALUE, f"{path}: no accuracy for candidate '{name}'")
            return table[name]

        return AccuracySource("csv", str(path), from_csv)
    module_name, colon, function_name = text.partition(":")
    if not colon or not module_name or not function_name.isidentifier():
        raise CostModelError(
            ErrorCode.OPTION, f"--accuracy expects proxy, FILE.csv or module:function, got {text!r}"
        )
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as exc:
        raise CostModelError(ErrorCode.OPTION, f"--accuracy {text}: cannot load it ({exc})") from None
    return AccuracySource("callable", text, lambda spec, name, macs: _checked(float(function(spec)), text))


def _checked(value: float, label: str) -> float:
    if not math.isfinite(value):
        raise CostModelError(ErrorCode.BAD_VALUE, f"--accuracy {label} returned {value}")
    return value


def _read_accuracy_csv(path: Path) -> dict[str, float]:
    from costmodel.spec.files import read_text

    rows = csv.DictReader(line for line in read_text(path).splitlines() if not line.startswith("#"))
    if rows.fieldnames is None or not {"name", "accuracy"} <= set(rows.fieldnames):
        raise CostModelError(ErrorCode.BAD_VALUE, f"{path}: expected columns 'name' and 'accuracy'")
    table: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        try:
            table[row["name"]] = float(row["accuracy"])
        except (TypeError, ValueError):
            raise CostModelError(
                ErrorCode.BAD_VALUE, f"{path}:{line}: accuracy {row['accuracy']!r} is not a number"
            ) from None
    return table
