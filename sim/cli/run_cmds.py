"""Commands that make and check runs: run, verify."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
from sim.limits import DEFAULT_MAX_EVENTS

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="scenario file")],
    seed: SeedOption = None,
    set_: SetOption = None,
    out: OutOption = Path("logs"),
    replications: Annotated[
        int, typer.Option(min=1, help="independent replications (mean and 95% CI per metric)")
    ] = 1,
    workers: Annotated[int | None, typer.Option(min=1, help="local worker processes")] = None,
    dask: Annotated[
        str | None,
        typer.Option(help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster"),
    ] = None,
    precision: Annotated[
        list[str] | None,
        typer.Option(help="METRIC=HALF_WIDTH: add replications until the 95% CI is this narrow"),
    ] = None,
    max_replications: Annotated[
        int, typer.Option(min=1, help="cap on replications with --precision")
    ] = 200,
    live: Annotated[bool, typer.Option(help="tell the story as the run goes")] = False,
    speed: Annotated[
        float, typer.Option(min=0.0, help="with --live: simulated hours per second (0: no pacing)")
    ] = 0.0,
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Run a scenario: stream its events to logs/<run-id>/ and print a summary."""
    overrides = list(set_ or [])
    if replications > 1 or precision:
        from sim.cli.whatif_cmds import run_replications_command

        run_replications_command(
            file,
            replications=replications,
            overrides=overrides,
            out=out,
            seed=seed,
            workers=workers,
            dask=dask,
            precision=list(precision or []),
            max_replications=max_replications,
            max_events=max_events,
        )
        return
    _one_run(file, overrides, out, seed, live=live, speed=speed, max_events=max_events)


def _one_run(
    file: Path,
    overrides: list[str],
    out: Path,
    seed: int | None,
    *,
    live: bool,
    speed: float,
    max_events: int,
) -> None:
    """`intelsim run FILE`: one run to a directory, told live or with progress, summarised."""
    from sim.engine.workload import estimate_events
    from sim.experiments.run import run_to_directory
    from sim.report.live import live_listener
    from sim.report.progress import RunProgress
    from sim.report.summary import run_summary
    from sim.scenario.loader import load_scenario

    loaded = load_scenario(file, overrides)
    for warning in loaded.warnings:
        err_console.print(f"[yellow]{warning}[/]", highlight=False, soft_wrap=True)
    listeners = [live_listener(loaded.scenario, out_console, speed)] if live else []
    expected = estimate_events(loaded.scenario, loaded.raw).events
    with RunProgress(err_console, loaded.scenario.duration, expected) as progress:
        outcome = run_to_directory(
            loaded,
            out,
            seed=seed,
            overrides=overrides,
            listeners=listeners,
            on_flush=None if live else progress,
            max_events=max_events,
        )
    with finished_in(outcome.run_dir, "the run"):
        out_console.print(run_summary(outcome.metrics, None, outcome.wall_seconds))
        out_console.print(f"run directory: [bold]{outcome.run_dir}[/]", highlight=False)


@app.command()
def verify(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN", help="run directory, run id, or 'latest'")
    ],
    out: OutOption = Path("logs"),
) -> None:
    """Check a run: hash chain, sequence, time order, markings, replay, manifest, metrics."""
    from sim.analysis.verify import verify_run
    from sim.store import resolve_run

    run_dir = resolve_run(run_id, out)
    verdict = verify_run(run_dir)
    log = verdict.log
    for problem in [*log.problems, *verdict.problems]:
        err_console.print(f"[red]{problem}[/]", highlight=False, soft_wrap=True)
    if verdict.ok:
        out_console.print(
            f"[green]ok[/] {run_dir}: {log.count} events, hash chain intact, run ended, "
            f"every delivery within its marking, replay consistent",
            highlight=False,
        )
        for note in verdict.notes:
            out_console.print(f"   {note}", highlight=False)
        out_console.print(f"   final hash {log.final_hash}", highlight=False)
        return
    where = f" (first bad seq {log.first_bad_seq})" if log.first_bad_seq is not None else ""
    err_console.print(
        f"[bold red]FAILED[/] {run_dir}: {log.count} whole events read{where}", highlight=False
    )
    raise typer.Exit(1)


@app.command()
def branch(
    run_id: Annotated[
        str, typer.Argument(metavar="RUN", help="run directory, run id, or 'latest'")
    ],
    at: Annotated[str, typer.Option("--at", help="when the future changes: 10d, 36h, or ISO time")],
    set_: SetOption = None,
    out: OutOption = Path("logs"),
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Same past, changed future: re-run RUN with --set changes applied from time --at."""
    from sim.analysis.replay import load_run
    from sim.analysis.timeline import parse_when
    from sim.experiments.branch import branch_run
    from sim.report.summary import run_summary
    from sim.store import resolve_run

    run_dir = resolve_run(run_id, out)
    scenario, _ = load_run(run_dir)
    t = parse_when(at, scenario)
    result = branch_run(run_dir, t, list(set_ or []), out, max_events=max_events)
    outcome = result.outcome
    out_console.print(run_summary(outcome.metrics, None, outcome.wall_seconds))
    where = (
        f"diverges at t={result.diverged_at:g}h"
        if result.diverged_at is not None
        else "no event differs"
    )
    out_console.print(
        f"same past: the first {result.shared_events} events are byte-identical to {run_dir.name}; "
        f"{where}",
        highlight=False,
    )
    out_console.print(f"run directory: [bold]{outcome.run_dir}[/]", highlight=False)
