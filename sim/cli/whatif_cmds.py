"""What-if commands: compare, sweep (replications are `intelsim run --replications`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    DaskOption,
    MaxEventsOption,
    MetricOption,
    OutOption,
    ReplicationsOption,
    SeedOption,
    SetOption,
    WorkersOption,
    app,
    err_console,
    fail,
    out_console,
    warn,
)
from sim.interrupts import finished_in
from sim.limits import DEFAULT_MAX_EVENTS

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).

ResumeOption = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="continue the stopped study in this directory"),
]
# a study's scenario: not needed when --resume names the study's directory
ResumableScenario = Annotated[
    Path | None,
    typer.Argument(metavar="SCENARIO", help="scenario file (not needed with --resume)"),
]


@app.command()
def compare(
    file_a: Annotated[
        Path, typer.Argument(metavar="SCENARIO_A", help="the baseline scenario file (A)")
    ],
    file_b: Annotated[
        Path, typer.Argument(metavar="SCENARIO_B", help="the variant scenario file (B)")
    ],
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
    from sim.experiments.compare import ComparisonRequest, compare_files
    from sim.report.results import print_comparison
    from sim.report.watching import ConsoleWatch

    request = ComparisonRequest(
        file_a,
        file_b,
        replications,
        overrides=tuple(set_ or []),
        metrics=tuple(metric or []),
        out=out,
        seed=seed,
        workers=workers,
        dask=dask,
        max_events=max_events,
    )
    result = compare_files(request, ConsoleWatch(out_console, err_console))
    with finished_in(result.directory, "the comparison"):
        print_comparison(result, out_console)


@app.command()
def sweep(
    file: ResumableScenario = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PATH=VALUES",
            help="PATH=V1,V2,... (grid) or PATH=LOW..HIGH (with --design lhs); repeatable",
        ),
    ] = None,
    replications: ReplicationsOption = 10,
    design: Annotated[
        str, typer.Option(metavar="grid|lhs", help="grid (every combination) or lhs")
    ] = "grid",
    samples: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="points of an lhs design")
    ] = None,
    metric: MetricOption = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    keep_logs: Annotated[
        bool, typer.Option("--keep-logs", help="also write the full event log of every replication")
    ] = False,
    resume: ResumeOption = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
    max_events: MaxEventsOption = DEFAULT_MAX_EVENTS,
) -> None:
    """Replications at every point of a grid or Latin-hypercube design; tables and plots."""
    from sim.experiments.sweep import SweepSpec, run_sweep
    from sim.report.results import print_sweep
    from sim.report.watching import ConsoleWatch

    if resume is not None and (file is not None or vary):
        warn("--resume continues the sweep as it was started; SCENARIO and --vary are ignored")
    if resume is None and file is None:
        fail("give a SCENARIO file (or --resume DIR)")
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
    watch = ConsoleWatch(out_console, err_console)
    result = run_sweep(resume or spec, out, workers=workers, dask=dask, watch=watch)
    with finished_in(result.sweep.directory, "the sweep"):
        print_sweep(result, list(metric or []), out_console)
