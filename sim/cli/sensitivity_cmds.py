"""`intelsim sensitivity`: which varied parameters drive each metric."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import (
    DaskOption,
    MetricOption,
    OutOption,
    SeedOption,
    SetOption,
    WorkersOption,
    app,
    err_console,
    fail,
    out_console,
)
from sim.cli.whatif_cmds import ResumableScenario, ResumeOption
from sim.interrupts import finished_in


@app.command()
def sensitivity(
    file: ResumableScenario = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(metavar="PATH=LOW..HIGH", help="a parameter and its range (repeatable)"),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            metavar="sobol|morris", help="sobol (variance shares) or morris (elementary effects)"
        ),
    ] = "sobol",
    samples: Annotated[
        int | None,
        typer.Option(
            min=2,
            metavar="N",
            help="sobol: base samples, a power of 2 (32); morris: trajectories (10)",
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option(min=1, metavar="N", help="replications per point")
    ] = 4,
    metric: MetricOption = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    resume: ResumeOption = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
) -> None:
    """Global sensitivity (Sobol or Morris) of the headline metrics, with 95% CIs."""
    from sim.experiments.sensitivity import run_study
    from sim.experiments.sweep import SweepSpec
    from sim.report.results import print_sensitivity
    from sim.report.watching import ConsoleWatch

    if resume is None and file is None:
        fail("give a SCENARIO file (or --resume DIR)")
    spec = SweepSpec(
        file=str(file),
        vary=tuple(vary or []),
        replications=replications,
        design=method,
        samples=samples,
        sets=tuple(set_ or []),
        seed=seed,
    )
    watch = ConsoleWatch(out_console, err_console)
    patterns = list(metric or [])
    result = run_study(resume or spec, out, patterns, workers=workers, dask=dask, watch=watch)
    with finished_in(result.sweep.directory, "the sensitivity study"):
        print_sensitivity(result, out_console)
