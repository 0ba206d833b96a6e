"""Every output format costmodel writes, in one registry: per kind of output (analysis, diff,
report, sweep, plot, search, lut, distill), its format names and the function that renders each.

The CLI builds its `--format` choices from `formats_for(kind)` and renders with `render(kind, fmt,
payload, **kw)`; nothing else lists format names. The renderers themselves stay in their modules
(terminal, diff_view, report_formats, sweep_view, plots); a `Format` only points at one. The report
and plot names are read from their renderer modules (`REPORT_RENDERERS`, `PLOT_FORMATS`), which
must know them to dispatch on their own; the others are listed here.

What `render` returns depends on the format's `media`:
- "rich": a rich renderable for a console (the tables for people);
- "text": the whole document as a string, ending in a newline;
- "bytes": a file's bytes (PNG, SVG).
`render_text` turns a "rich" format into plain text (no colour), for a file.

The renderers of analyses, diffs and sweeps are imported when first used: the CLI reads this
registry on every start, and most commands need one renderer at most.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console, RenderableType

from costmodel.errors import CostModelError, ErrorCode, did_you_mean
from costmodel.present.fit import NO_LIMIT, TableFit
from costmodel.present.plots import PLOT_FORMATS
from costmodel.present.report_formats import REPORT_RENDERERS

if TYPE_CHECKING:
    from costmodel.compress.distill import DistillStep
    from costmodel.cost.analysis import AnalysisResult
    from costmodel.cost.sweep import SweepPoint
    from costmodel.design.lut import LutTable
    from costmodel.design.session import SearchOutcome
    from costmodel.hw.profile import HardwareProfile
    from costmodel.present.compare import DiffResult
    from costmodel.present.report import ReportTable

Media = Literal["rich", "text", "bytes"]
Rendered = RenderableType | bytes  # str (a text document) is a RenderableType
KINDS = ("analysis", "diff", "report", "sweep", "plot", "search", "lut", "distill")
MACHINE_FORMATS = ("csv", "json")  # exact numbers under unit-suffixed keys, in every kind
TEXT_WIDTH = 200  # columns of a rich table written to a file (as `sweep -o table.txt` always did)


@dataclass(frozen=True)
class Format:
    """One output format of one kind of output."""

    name: str  # the --format value
    kind: str  # one of KINDS
    media: Media
    render: Callable[..., Rendered]  # (payload, **kw) -> renderable, text or bytes

    @property
    def machine(self) -> bool:
        """Exact numbers for programs (csv, json), rather than humanized numbers for people."""
        return self.name in MACHINE_FORMATS


# -- adapters: every format of a kind takes the same keyword arguments ----------------------------


def _analysis_table(
    result: AnalysisResult, *, group_by: str = "block", top: int = 5, fit: TableFit = NO_LIMIT
) -> RenderableType:
    from costmodel.present.terminal import analysis_view

    return analysis_view(result, group_by, top, fit=fit)


def _analysis_json(
    result: AnalysisResult, *, group_by: str = "block", top: int = 5, fit: TableFit = NO_LIMIT
) -> str:
    from costmodel.present.terminal import analysis_json

    return analysis_json(result, group_by) + "\n"


def _diff_table(diff: DiffResult, *, only_changed: bool = False, fit: TableFit = NO_LIMIT) -> RenderableType:
    from costmodel.present.diff_view import diff_view

    return diff_view(diff, only_changed, fit=fit)


def _diff_json(diff: DiffResult, *, only_changed: bool = False, fit: TableFit = NO_LIMIT) -> str:
    from costmodel.present.diff_view import diff_json

    return diff_json(diff) + "\n"


def _report(fmt: str) -> Callable[..., Rendered]:
    def render(table: ReportTable) -> str:
        return REPORT_RENDERERS[fmt](table)

    return render


def _sweep_table(
    points: Sequence[SweepPoint],
    *,
    title: str = "",
    meta: dict[str, Any] | None = None,
    fit: TableFit = NO_LIMIT,
) -> RenderableType:
    from costmodel.present.sweep_view import sweep_table

    return sweep_table(points, title, fit=fit)


def _sweep_csv(
    points: Sequence[SweepPoint],
    *,
    title: str = "",
    meta: dict[str, Any] | None = None,
    fit: TableFit = NO_LIMIT,
) -> str:
    from costmodel.present.sweep_view import sweep_csv

    return sweep_csv(points)


def _sweep_json(
    points: Sequence[SweepPoint],
    *,
    title: str = "",
    meta: dict[str, Any] | None = None,
    fit: TableFit = NO_LIMIT,
) -> str:
    from costmodel.present.sweep_view import sweep_json

    return sweep_json(points, meta or {})


def _plot(fmt: str) -> Callable[..., Rendered]:
    def render(
        payload: DiffResult | Sequence[SweepPoint] | Sequence[AnalysisResult],
        *,
        hw: HardwareProfile | None = None,
        group_by: str = "layer",
        title: str = "",
    ) -> bytes:
        """A diff: latency bars per row; sweep points: latency against MACs; analysis results:
        their roofline on `hw`."""
        from costmodel.cost.analysis import AnalysisResult
        from costmodel.cost.sweep import SweepPoint
        from costmodel.present import plots
        from costmodel.present.compare import DiffResult

        if isinstance(payload, DiffResult):
            return plots.diff_latency_plot(payload, fmt)
        items = list(payload)
        if items and all(isinstance(p, SweepPoint) for p in items):
            return plots.sweep_plot([p for p in items if isinstance(p, SweepPoint)], title, fmt)
        results = [r for r in items if isinstance(r, AnalysisResult)]
        if hw is None:
            raise CostModelError(ErrorCode.OPTION, "a roofline plot needs the hardware profile")
        return plots.roofline_plot(results, hw, fmt, group_by)

    return render


def _search_table(outcome: SearchOutcome) -> RenderableType:
    from costmodel.design.report import pareto_table

    return pareto_table(outcome.problem, outcome.pareto, len(outcome.records))


def _search_csv(outcome: SearchOutcome) -> str:
    from costmodel.design.session import trials_csv

    return trials_csv(outcome.problem, outcome.records)


def _search_json(outcome: SearchOutcome) -> str:
    from costmodel.design.session import trials_json

    return trials_json(outcome.problem, outcome.settings, outcome.records)


def _lut_csv(table: LutTable) -> str:
    from costmodel.design.lut import lut_csv

    return lut_csv(table.entries)


def _lut_json(table: LutTable) -> str:
    from costmodel.design.lut import lut_json

    return lut_json(table.space, table.hw, table.entries, table.runtime)


def _distill_table(step: DistillStep) -> RenderableType:
    from costmodel.present.compress_view import distill_table

    return distill_table(step)


def _distill_json(step: DistillStep) -> str:
    from costmodel.present.compress_view import distill_json

    return distill_json(step)


def _distill_csv(step: DistillStep) -> str:
    from costmodel.present.compress_view import distill_csv

    return distill_csv(step)


def _registry() -> dict[str, dict[str, Format]]:
    formats = [
        Format("table", "analysis", "rich", _analysis_table),
        Format("json", "analysis", "text", _analysis_json),
        Format("table", "diff", "rich", _diff_table),
        Format("json", "diff", "text", _diff_json),
        *(Format(name, "report", "text", _report(name)) for name in REPORT_RENDERERS),
        Format("table", "sweep", "rich", _sweep_table),
        Format("csv", "sweep", "text", _sweep_csv),
        Format("json", "sweep", "text", _sweep_json),
        *(Format(name, "plot", "bytes", _plot(name)) for name in PLOT_FORMATS),
        Format("table", "search", "rich", _search_table),  # the Pareto set
        Format("csv", "search", "text", _search_csv),  # every trial
        Format("json", "search", "text", _search_json),
        Format("csv", "lut", "text", _lut_csv),
        Format("json", "lut", "text", _lut_json),
        Format("table", "distill", "rich", _distill_table),
        Format("json", "distill", "text", _distill_json),
        Format("csv", "distill", "text", _distill_csv),
    ]
    registry: dict[str, dict[str, Format]] = {kind: {} for kind in KINDS}
    for f in formats:
        registry[f.kind][f.name] = f
    return registry


FORMATS: dict[str, dict[str, Format]] = _registry()


def _kind(kind: str) -> dict[str, Format]:
    if kind not in FORMATS:  # a caller's bug, not a user's error
        raise ValueError(f"unknown kind of output '{kind}' (expected one of: {', '.join(KINDS)})")
    return FORMATS[kind]


def formats_for(kind: str) -> tuple[str, ...]:
    """The format names of a kind of output, the default first (table, markdown, png)."""
    return tuple(_kind(kind))


def get_format(kind: str, fmt: str) -> Format:
    """The `Format` of a kind and name; an unknown name is an option error naming the choices."""
    formats = _kind(kind)
    if fmt not in formats:
        raise CostModelError(
            ErrorCode.OPTION,
            f"unknown {kind} format '{fmt}'{did_you_mean(fmt, formats)} "
            f"(expected one of: {', '.join(formats)})",
        )
    return formats[fmt]


def render(kind: str, fmt: str, payload: Any, **kw: Any) -> Rendered:
    """Render `payload` (an AnalysisResult, DiffResult, ReportTable, sweep points, what a plot
    shows, a SearchOutcome, a LutTable or a DistillStep) in format `fmt` of `kind`. Keywords, all optional:
    analysis: group_by, top, fit; diff: only_changed, fit; sweep: title, meta (the JSON's
    top-level keys), fit; plot: hw, group_by (roofline), title (sweep); search, lut, distill: none.
    `fit` (a TableFit) shapes the tables of the "table" formats."""
    return get_format(kind, fmt).render(payload, **kw)


def render_text(kind: str, fmt: str, payload: Any, width: int = TEXT_WIDTH, **kw: Any) -> str | bytes:
    """As `render`, with a "rich" format drawn as plain text `width` columns wide (for a file)."""
    rendered = render(kind, fmt, payload, **kw)
    if isinstance(rendered, str | bytes):
        return rendered
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(rendered)
    return out.getvalue()
