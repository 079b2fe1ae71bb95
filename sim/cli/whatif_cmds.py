"""What-if commands: replications (called by `run`), compare, sweep."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.app import (
    MaxEventsOption,
    OutOption,
    SeedOption,
    SetOption,
    app,
    err_console,
    finished_in,
    out_console,
)
from sim.interrupts import caught, deferred
from sim.limits import DEFAULT_MAX_EVENTS
from sim.store.status import finish, marks_failure

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).

WorkersOption = Annotated[
    int | None, typer.Option(min=1, help="local worker processes (default: one per CPU)")
]
DaskOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster"),
]
MetricOption = Annotated[
    list[str] | None,
    typer.Option("--metric", help="metric to show (name or glob, e.g. 'nodes.*.coverage')"),
]
ReplicationsOption = Annotated[int, typer.Option(min=1, help="replications per scenario or point")]


@contextmanager
def _progress(description: str, total: int) -> Iterator[tuple[Callable[[list[Any]], None], Any]]:
    """A progress bar; yields (advance-by-rows callback, the Progress) and closes it."""
    from sim.report.whatif_view import progress_bar

    progress = progress_bar()
    task = progress.add_task(description, total=total)
    with progress:
        yield (lambda rows: progress.advance(task, len(rows))), (progress, task)


def _stopped(stop: Any, directory: Path, kept: int, total: int, resume: str | None = None) -> Any:
    """The stop signal, saying what was kept and how to go on (raised by the caller)."""
    how = f"; continue with `{resume}`" if resume else ""
    return stop.kept(f"{kept} of {total} replications finished and kept in {directory}{how}")


def _after(stop: Any, directory: Path, what: str) -> AbstractContextManager[None]:
    """Around the last writes and the rendering: once the work finished (no `stop`), a
    signal says the results are complete."""
    return finished_in(directory, what) if stop is None else nullcontext()


def _print_warnings(warnings: Sequence[Any]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False, soft_wrap=True)


def _base_manifest(kind: str, executor: Any, **extra: Any) -> dict[str, Any]:
    from sim.experiments.manifest import new_manifest

    return new_manifest(kind, **extra, executor=executor.name, workers=executor.workers)


# --- run --replications ----------------------------------------------------------------


def run_replications_command(
    file: Path,
    *,
    replications: int,
    overrides: Sequence[str] = (),
    out: Path = Path("logs"),
    seed: int | None = None,
    workers: int | None = None,
    dask: str | None = None,
    precision: Sequence[str] = (),
    max_replications: int | None = None,
    metrics: Sequence[str] = (),
    max_events: int = DEFAULT_MAX_EVENTS,
) -> Path:
    """`intelsim run FILE --replications N`: replications, summary with 95% CIs, files.

    Writes logs/<id>/replications.csv/.parquet, summary.json and manifest.json;
    returns the directory. `precision` holds METRIC=HALF_WIDTH targets.
    """
    from sim.engine.workload import check_workload
    from sim.experiments.executors import make_executor
    from sim.experiments.manifest import scenario_fields
    from sim.experiments.replications import (
        Precision,
        ReplicationOutcome,
        check_precision,
        rows_frame,
        run_replications,
        summarize_frame,
        write_table,
    )
    from sim.scenario.loader import load_scenario
    from sim.store import new_run_dir, write_json

    goals = [Precision.parse(text) for text in precision]
    loaded = load_scenario(file, list(overrides))
    _print_warnings(loaded.warnings)
    scenario = loaded.scenario
    base_seed = scenario.seed if seed is None else seed
    cap = max_replications if goals else replications
    if goals and cap is None:
        cap = 200
    check_precision(goals, scenario)
    check_workload(scenario, loaded.raw, max_events)
    outcome = ReplicationOutcome()
    started = time.perf_counter()
    directory: Path | None = None
    with caught() as stop, make_executor(workers, dask) as executor:
        with deferred():  # the directory and its manifest, or neither
            directory = new_run_dir(out, f"{scenario.name}-replications")
            manifest = _base_manifest(
                "replications",
                executor,
                **scenario_fields(loaded, overrides),
                base_seed=base_seed,
                replications_asked=replications,
                precision=[{"metric": g.metric, "half_width": g.half_width} for g in goals],
                max_replications=cap if goals else None,
            )
            write_json(directory / "manifest.json", manifest)
        with (
            marks_failure(directory / "manifest.json", manifest),
            _progress(f"{scenario.name}", replications) as (advance, (progress, task)),
        ):
            run_replications(
                loaded.raw,
                base_seed,
                replications,
                executor,
                precision=goals,
                max_replications=cap,
                on_rows=advance,
                on_round=lambda n: progress.update(task, total=n),
                outcome=outcome,
            )
    if directory is None:
        raise stop.signal or AssertionError("no directory and no interruption")
    done = _after(stop.signal, directory, "the replications")
    with done, deferred(), marks_failure(directory / "manifest.json", manifest):
        frame = rows_frame(outcome.rows, ["replication", "seed"])
        write_table(frame, directory / "replications")
        names = [c for c in frame.columns if c not in ("replication", "seed")]
        summary = summarize_frame(frame, names)
        write_json(
            directory / "summary.json",
            {
                "replications": len(frame),
                "confidence": 0.95,
                "metrics": {m: iv.as_dict() for m, iv in summary.items()},
                "precision": [vars(p) for p in outcome.precision],
            },
        )
        manifest.update(
            replications=len(frame), wall_seconds=round(time.perf_counter() - started, 3)
        )
        finish(directory / "manifest.json", manifest, stop.signal)
    if stop.signal is not None:
        raise _stopped(stop.signal, directory, len(frame), replications)
    with finished_in(directory, "the replications"):
        _report_replications(directory, scenario.name, frame, summary, outcome, goals, metrics)
    return directory


def _report_replications(
    directory: Path,
    name: str,
    frame: Any,
    summary: Any,
    outcome: Any,
    goals: Sequence[Any],
    metrics: Sequence[str],
) -> None:
    """The summary table, what the precision targets reached, and where the files are."""
    from sim.experiments.replications import select_metrics
    from sim.report.whatif_view import summary_table

    names = [c for c in frame.columns if c not in ("replication", "seed")]
    shown = select_metrics(names, metrics)
    shown += [g.metric for g in goals if g.metric not in shown]
    out_console.print(
        summary_table(
            {m: summary[m] for m in shown},
            f"{name}: {len(frame)} replications, mean and 95% CI",
        )
    )
    for p in outcome.precision:
        achieved = "undefined" if p.achieved is None else f"{p.achieved:.4g}"
        if p.reached:
            out_console.print(
                f"[green]precision reached[/]: {p.metric} ± {achieved} ≤ {p.target:g} "
                f"after {p.replications} replications",
                highlight=False,
            )
        else:
            err_console.print(
                f"[bold yellow]precision NOT reached[/]: {p.metric} ± {achieved} > {p.target:g}; "
                f"stopped at the cap of {p.replications} replications (--max-replications)",
                highlight=False,
                soft_wrap=True,
            )
    out_console.print(
        f"{len(names)} metrics in {directory / 'summary.json'}; "
        f"one row per replication in {directory / 'replications.csv'}",
        highlight=False,
    )


# --- compare -------------------------------------------------------------------------


@app.command()
def compare(
    file_a: Annotated[Path, typer.Argument(metavar="FILE_A", help="baseline scenario (A)")],
    file_b: Annotated[Path, typer.Argument(metavar="FILE_B", help="variant scenario (B)")],
    replications: ReplicationsOption = 30,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    metric: MetricOption = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    out: OutOption = Path("logs"),
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Paired comparison B − A with common random numbers: same seeds on both sides."""
    from sim.engine.workload import check_workload
    from sim.experiments.compare import Comparison, run_comparison
    from sim.experiments.executors import make_executor
    from sim.experiments.replications import write_table
    from sim.report.whatif_view import comparison_table
    from sim.scenario.loader import load_scenario
    from sim.store import new_run_dir, write_json

    overrides = list(set_ or [])
    a = load_scenario(file_a, overrides)
    b = load_scenario(file_b, overrides)
    for side in (a, b):
        check_workload(side.scenario, side.raw, max_events)
    _print_warnings([*a.warnings, *b.warnings])
    base_seed = a.scenario.seed if seed is None else seed
    name = f"compare-{a.scenario.name}-vs-{b.scenario.name}"
    comparison = Comparison()
    started = time.perf_counter()
    directory: Path | None = None
    with caught() as stop, make_executor(workers, dask) as executor:
        with deferred():  # the directory and its manifest, or neither
            directory = new_run_dir(out, name)
            manifest = _base_manifest(
                "compare",
                executor,
                a={"file": str(file_a), "scenario": a.scenario.name, "hash": a.source_hash},
                b={"file": str(file_b), "scenario": b.scenario.name, "hash": b.source_hash},
                overrides=overrides,
                base_seed=base_seed,
                replications=replications,
                resolved={"A": a.raw, "B": b.raw},
            )
            write_json(directory / "manifest.json", manifest)
        with (
            marks_failure(directory / "manifest.json", manifest),
            _progress("A and B", 2 * replications) as (advance, _),
        ):
            run_comparison(
                a.raw,
                b.raw,
                base_seed,
                replications,
                executor,
                on_rows=advance,
                comparison=comparison,
            )
    if directory is None:
        raise stop.signal or AssertionError("no directory and no interruption")
    with deferred(), marks_failure(directory / "manifest.json", manifest):
        write_table(comparison.frame(), directory / "pairs")
        if stop.signal is not None:
            finish(directory / "manifest.json", manifest, stop.signal)
    if stop.signal is not None:
        raise _stopped(stop.signal, directory, len(comparison.rows), 2 * replications)
    title = f"{b.scenario.name} − {a.scenario.name}, {replications} paired replications"
    with finished_in(directory, "the comparison"):
        with deferred(), marks_failure(directory / "manifest.json", manifest):
            diffs, plots = _write_comparison(directory, comparison, list(metric or []), title)
            manifest.update(wall_seconds=round(time.perf_counter() - started, 3))
            finish(directory / "manifest.json", manifest)
        out_console.print(comparison_table(diffs, title + " (B − A, 95% CI)"))
        out_console.print(
            "VR ×: (Var A + Var B) / Var(B − A), how much tighter pairing made the interval",
            style="dim",
            highlight=False,
        )
        out_console.print(
            f"every metric in {directory / 'comparison.csv'}; forest plot {plots[0]}",
            highlight=False,
        )


def _write_comparison(
    directory: Path, comparison: Any, patterns: list[str], title: str
) -> tuple[dict[str, Any], list[Path]]:
    """comparison.csv/.parquet/.json and the forest plot; the differences shown, the plots."""
    from sim.experiments.replications import select_metrics, write_table
    from sim.report.plots import forest_plot
    from sim.store import write_json

    table = comparison.table()
    write_table(table, directory / "comparison")
    replications = len(comparison.rows) // 2
    write_json(
        directory / "comparison.json",
        {"replications": replications, "confidence": 0.95, "metrics": table.to_dict("records")},
    )
    shown = select_metrics(list(comparison.diffs), patterns)
    diffs = {m: comparison.diffs[m] for m in shown}
    return diffs, forest_plot(diffs, directory / "forest", title)


# --- sweep ---------------------------------------------------------------------------


@app.command()
def sweep(
    file: Annotated[
        Path | None, typer.Argument(help="scenario file (not needed with --resume)")
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(help="PATH=V1,V2,... (grid) or PATH=LOW..HIGH (with --design lhs)"),
    ] = None,
    replications: ReplicationsOption = 10,
    design: Annotated[str, typer.Option(help="grid (every combination) or lhs")] = "grid",
    samples: Annotated[int | None, typer.Option(min=1, help="points of an lhs design")] = None,
    metric: MetricOption = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    keep_logs: Annotated[
        bool, typer.Option(help="also write the full event log of every replication")
    ] = False,
    resume: Annotated[
        Path | None, typer.Option(help="continue the stopped sweep in this directory")
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Replications at every point of a grid or Latin-hypercube design; tables and plots."""
    from sim.experiments.sweep import Sweep, SweepSpec

    if resume is not None:
        if file is not None or vary:
            err_console.print(
                "[yellow]note:[/] --resume continues the sweep as it was started; "
                "FILE and --vary are ignored",
                highlight=False,
            )
        current = Sweep.resume(resume)
    else:
        if file is None:
            err_console.print("[bold red]error:[/] give a scenario FILE (or --resume DIR)")
            raise typer.Exit(2)
        spec = SweepSpec(
            file=str(file),
            vary=tuple(vary or []),
            replications=replications,
            design=design,
            samples=samples,
            sets=tuple(set_ or []),
            seed=seed,
            keep_logs=keep_logs,
            max_events=max_events,
        )
        current = Sweep.create(spec, out)
    _, summary = drive_sweep(current, workers, dask, "sweep")
    with finished_in(current.directory, "the sweep"):
        _report_sweep(current, summary, list(metric or []))


def drive_sweep(current: Any, workers: int | None, dask: str | None, verb: str) -> tuple[Any, Any]:
    """Run a sweep's pending replications with a progress bar; write its tables.

    A stop signal keeps what finished, writes the tables and exits 130 (143) saying how to
    resume.
    """
    from sim.experiments.executors import make_executor

    plan = current.plan
    pending = current.pending()
    out_console.print(
        f"{verb} {current.directory}: {len(plan.points)} points × {plan.spec.replications} "
        f"replications ({len(pending)} to run)",
        highlight=False,
    )
    with (
        caught() as stop,
        make_executor(workers, dask) as executor,
        _progress(verb, plan.total) as (advance, (progress, task)),
    ):
        progress.update(task, completed=plan.total - len(pending))
        current.run(executor, on_rows=advance)
    with _after(stop.signal, current.directory, f"the {verb}"):
        runs, summary = current.finish(stop.signal)
    if stop.signal is not None:
        resume_with = f"intelsim {verb} --resume {current.directory}"
        raise _stopped(stop.signal, current.directory, len(runs), plan.total, resume_with)
    return runs, summary


def _report_sweep(current: Any, summary: Any, patterns: list[str]) -> None:
    from fnmatch import fnmatchcase

    from sim.experiments.replications import select_metrics
    from sim.report.plots import sweep_plots
    from sim.report.whatif_view import sweep_table

    plan = current.plan
    names = list(dict.fromkeys(summary["metric"]))
    shown = select_metrics(names, patterns)
    plotted = shown
    if not patterns:
        # by default: leave out metrics no point defines, plot only the two headline ones
        defined = set(summary.loc[summary["mean"].notna(), "metric"])
        shown = [m for m in shown if m in defined]
        plotted = [m for m in shown if fnmatchcase(m, "nodes.*.known_within_7d")]
        plotted += [m for m in shown if fnmatchcase(m, "nodes.*.coverage")]
    factors = [(f.path, f.unit) for f in plan.factors]
    plots = sweep_plots(summary, factors, plotted, current.directory / "plots")
    paths = [f.path for f in plan.factors]
    title = f"{plan.scenario_name}: mean and 95% CI per point"
    out_console.print(sweep_table(summary, paths, shown, title, out_console.width))
    out_console.print(
        f"runs.csv/.parquet and summary.csv/.parquet in {current.directory}; "
        f"{len(plots) // 2} plots in {current.directory / 'plots'}",
        highlight=False,
    )
