"""`costmodel search`: architecture search over a search space (docs/search.md)."""

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from costmodel.commands.common import ForceOpt, OutputOpt, console, emit, format_option, run, write_output

Repeat = list[str] | None


def search_command(
    space: Annotated[str, typer.Argument(help="A search-space file, or a bundled space (mnasnet_mbv2).")],
    hw: Annotated[
        list[str] | None, typer.Option("--hw", help="Hardware profile (repeatable: costs on each).")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="random, evolution, exhaustive, nsga2 or tpe (Optuna).")
    ] = "random",
    trials: Annotated[
        int, typer.Option("--trials", min=1, max=10_000_000, help="Candidates to evaluate.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the engine's random choices.")] = 0,
    objective: Annotated[
        Repeat,
        typer.Option("--objective", help="METRIC[:min|max] (repeatable); default accuracy, latency_s."),
    ] = None,
    constraint: Annotated[
        Repeat, typer.Option("--constraint", help="METRIC<=VALUE or >= (repeatable).")
    ] = None,
    target_ms: Annotated[
        float | None, typer.Option("--target-ms", help="MnasNet's latency target T (ms, first --hw).")
    ] = None,
    w: Annotated[
        str, typer.Option("--w", help="Reward exponent: soft (-0.07), hard (0/-1) or a number.")
    ] = "soft",
    accuracy: Annotated[
        str, typer.Option("--accuracy", help="proxy (a fit over the zoo), FILE.csv or module:function.")
    ] = "proxy",
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory of the trials file (needed to --resume).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the search stored in --out.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=256, help="Worker processes.")] = 1,
    batch: Annotated[int, typer.Option("--batch", min=1, max=100_000, help="Trials per stored batch.")] = 256,
    storage: Annotated[
        str | None, typer.Option("--storage", help="Optuna storage URL (postgresql://..., sqlite:///...).")
    ] = None,
    study: Annotated[str, typer.Option("--study", help="Study name in --storage.")] = "costmodel",
    save: Annotated[Path | None, typer.Option("--save", help="Write the Pareto set's specs here.")] = None,
    output_format: Annotated[
        str, format_option("search", "table (the Pareto set), csv or json (every trial).")
    ] = "table",
    output: OutputOpt = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Pareto plot (.png or .svg) with the zoo.")
    ] = None,
    force: ForceOpt = False,
    runtime: Annotated[
        str | None,
        typer.Option(
            "--runtime", help="Runtime on every --hw (docs/runtimes.md); default: each profile's own."
        ),
    ] = None,
) -> None:
    """Search a space for designs: costs from the model, accuracy from a named source, the Pareto set.

    The MnasNet reward ACC x (LAT/T)^w is computed when --target-ms is given (--w soft, hard or a
    number). Trials go to --out DIR/trials.jsonl in batches: Ctrl-C loses no finished trial and
    --resume continues. --engine nsga2/tpe use Optuna; --storage puts the study in a database that
    several workers share.
    """
    from costmodel.design.session import SearchSettings

    def body() -> None:
        settings = SearchSettings(
            space=space, hardware=tuple(hw or ["snapdragon855"]), engine=engine, trials=trials, seed=seed,
            objectives=tuple(objective or ()), constraints=tuple(constraint or ()), target_ms=target_ms, w=w,
            accuracy=accuracy, jobs=jobs, runtime=runtime,
        )  # fmt: skip
        _search(settings, out, resume, batch, storage, study, save, output_format, output, plot, force=force)

    run(body)


def _search(
    settings: Any,
    out: Path | None,
    resume: bool,
    batch: int,
    storage: str | None,
    study: str,
    save: Path | None,
    output_format: str,
    output: Path | None,
    plot: Path | None,
    force: bool = False,
) -> None:
    from costmodel.design import session
    from costmodel.design.engines import make_engine
    from costmodel.design.run import TrialStore, replay, run_search
    from costmodel.design.storage import open_storage
    from costmodel.errors import CostModelError, ErrorCode

    if resume and out is None:
        raise CostModelError(ErrorCode.OPTION, "--resume needs --out DIR (where the search is stored)")
    problem = session.build_problem(settings)
    opened = open_storage(storage) if storage else None  # an unreachable server fails before any work
    err = console(stderr=True)
    err.print(problem.accuracy.describe(), highlight=False)
    store = TrialStore(out) if out is not None else None
    previous = store.start(settings.to_dict(), resume) if store is not None else []
    directions = ["minimize"] * len(problem.objectives)
    engine = make_engine(
        settings.engine, problem.space, settings.seed + len(previous), directions,
        opened, study,
    )  # fmt: skip
    replay(problem, engine, previous)
    records = list(previous)
    start = time.perf_counter()
    try:
        trials = run_search(
            problem, engine, settings.trials, done=len(previous), batch=batch, jobs=settings.jobs, store=store
        )
        records += _with_progress(problem, trials, settings.trials - len(previous), err)
    except KeyboardInterrupt:
        kept = len(store.read()) if store is not None else 0
        err.print(
            f"interrupted: {kept} trials stored" + (f"; continue with --out {out} --resume" if out else "")
        )
        raise typer.Exit(130) from None
    elapsed = time.perf_counter() - start
    new = len(records) - len(previous)
    err.print(f"{new} trials in {elapsed:.2f} s ({new / max(elapsed, 1e-9):,.0f}/s), {len(records)} in all")
    _report(problem, settings, records, save, output_format, output, plot, force)


def _with_progress(problem: Any, trials: Any, total: int, err: Any) -> list[dict[str, Any]]:
    from costmodel.design.evaluate import scalar_fitness

    if not sys.stderr.isatty() or total < 200:
        return list(trials)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    records: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    columns = (TextColumn("search"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.description}"),
                  console=err, transient=True) as progress:  # fmt: skip
        task = progress.add_task("", total=total)
        for record in trials:
            records.append(record)
            if record["feasible"] and (
                best is None or scalar_fitness(problem, record) > scalar_fitness(problem, best)
            ):
                best = record
                progress.update(task, description=f"best {_best_text(problem, best)}")
            progress.advance(task)
    return records


def _best_text(problem: Any, record: dict[str, Any]) -> str:
    first = problem.objectives[0]
    label = " (proxy)" if first.metric == "accuracy" and problem.accuracy.is_proxy else ""
    return f"{first.metric} {float(record[first.metric]):.4g}{label}"


def _report(
    problem: Any,
    settings: Any,
    records: list[dict[str, Any]],
    save: Path | None,
    output_format: str,
    output: Path | None,
    plot: Path | None,
    force: bool = False,
) -> None:
    from costmodel.design import session
    from costmodel.present.formats import render, render_text

    outcome = session.SearchOutcome(problem, settings, records)
    front = outcome.pareto
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        for record in front:
            # the save folder is this search's Pareto set, rewritten as it grows (--resume)
            spec_text = problem.space.yaml(tuple(record["candidate"]))
            write_output(save / f"{record['name']}.yaml", spec_text, force=True)
        console(stderr=True).print(f"wrote {len(front)} Pareto-set specs to {save}")
    if plot is not None:
        from costmodel.design.report import pareto_plot

        write_output(plot, pareto_plot(problem, records, front, plot.suffix.lstrip(".")), force)
    if output is not None:  # a file: a table as plain text
        text = render_text("search", output_format, outcome)
        emit(text if isinstance(text, str) else text.decode(), output, force)
        return
    rendered = render("search", output_format, outcome)
    if isinstance(rendered, str):
        emit(rendered, None)
    else:
        console().print(rendered)
