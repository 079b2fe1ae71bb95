"""Commands that make and check runs: run (one, or replications), verify, branch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import (
    DaskOption,
    MaxEventsOption,
    MetricOption,
    OutOption,
    RunArgument,
    ScenarioArgument,
    SeedOption,
    SetOption,
    WorkersOption,
    app,
    err_console,
    out_console,
    warn,
)
from sim.interrupts import finished_in
from sim.limits import DEFAULT_MAX_EVENTS

if TYPE_CHECKING:
    from sim.experiments.replicate import ReplicationsRequest
    from sim.experiments.run import RunRequest

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).


@app.command()
def run(
    file: ScenarioArgument,
    seed: SeedOption = None,
    set_: SetOption = None,
    out: OutOption = Path("logs"),
    replications: Annotated[
        int,
        typer.Option(
            min=1, metavar="N", help="independent replications: mean and 95% CI per metric"
        ),
    ] = 1,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    precision: Annotated[
        list[str] | None,
        typer.Option(
            metavar="METRIC=HALF_WIDTH",
            help="add replications until the metric's 95% CI is this narrow (repeatable)",
        ),
    ] = None,
    max_replications: Annotated[
        int, typer.Option(min=1, metavar="N", help="cap on replications with --precision")
    ] = 200,
    metric: MetricOption = None,
    live: Annotated[
        bool, typer.Option("--live", help="tell the story as the run goes (one run only)")
    ] = False,
    speed: Annotated[
        float,
        typer.Option(
            min=0.0,
            metavar="HOURS",
            help="with --live: simulated hours per second of wall time (0: no pacing)",
        ),
    ] = 0.0,
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Run a scenario into a new run directory and print a summary (many runs: 95% CIs).

    With --replications or --precision, many runs are summarised with 95% CIs.
    """
    many = replications > 1 or bool(precision)
    if live and many:
        warn("--live tells one run: it is ignored with --replications and --precision")
    if speed and not (live and not many):
        warn("--speed paces --live: without a live run it is ignored")
    if metric and not many:
        warn("--metric chooses what replications show: one run shows its whole summary")
    if not many:
        from sim.experiments.run import RunRequest

        _one_run(RunRequest(file, tuple(set_ or []), out, seed, max_events), live, speed)
        return
    from sim.experiments.replicate import ReplicationsRequest

    request = ReplicationsRequest(
        file,
        replications,
        overrides=tuple(set_ or []),
        out=out,
        seed=seed,
        workers=workers,
        dask=dask,
        precision=tuple(precision or []),
        max_replications=max_replications,
        max_events=max_events,
    )
    _replications(request, list(metric or []))


def _one_run(request: RunRequest, live: bool, speed: float) -> None:
    """`intelsim run SCENARIO`: one run, told live or with progress, then its summary."""
    from sim.experiments.run import run_file
    from sim.report.summary import print_run
    from sim.report.watching import RunConsoleWatch

    outcome = run_file(request, RunConsoleWatch(out_console, err_console, live=live, speed=speed))
    with finished_in(outcome.run_dir, "the run"):
        print_run(outcome, out_console)


def _replications(request: ReplicationsRequest, patterns: list[str]) -> None:
    """`intelsim run SCENARIO --replications N`: the replications, their table and files."""
    from sim.experiments.replicate import replicate
    from sim.report.results import print_replications
    from sim.report.watching import ConsoleWatch

    result = replicate(request, ConsoleWatch(out_console, err_console))
    with finished_in(result.directory, "the replications"):
        print_replications(result, patterns, out_console, err_console)


@app.command()
def verify(run_id: RunArgument, out: OutOption = Path("logs")) -> None:
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
    run_id: RunArgument,
    at: Annotated[
        str,
        typer.Option(
            "--at",
            metavar="WHEN",
            help="when the future changes: a duration since the start (10d, 36h) or an ISO time",
        ),
    ],
    set_: SetOption = None,
    out: OutOption = Path("logs"),
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Same past, changed future: re-run RUN with --set changes from time --at.

    The branch ends with what changed against RUN, node by node.
    """
    from sim.experiments.branch import BranchRequest, branch
    from sim.report.results import print_branch
    from sim.store import resolve_run

    run_dir = resolve_run(run_id, out)
    result = branch(BranchRequest(run_dir, at, tuple(set_ or []), out, max_events))
    with finished_in(result.outcome.run_dir, "the branch"):
        print_branch(result, out_console)
