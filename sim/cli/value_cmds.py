"""`intelsim value`: what a partner, node, link or collector is worth."""

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
def value(
    file: ResumableScenario = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            metavar="PART",
            help="a part to value: a node, a nation (all its nodes), a link FROM->TO, a "
            "collector, a campaign or an attack; A+B removes both as one part; repeatable: "
            "each alone, then all together",
        ),
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            min=2, metavar="N", help="paired replications (with and without each part), at least 2"
        ),
    ] = 20,
    metric: MetricOption = None,
    node: Annotated[
        list[str] | None,
        typer.Option(metavar="NODE", help="node to show (repeatable; default: every node)"),
    ] = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    resume: ResumeOption = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
) -> None:
    """What a part is worth: with − without it at every node (same seeds), with 95% CIs.

    Paired runs with and without the part share their seeds (common random numbers).
    """
    from sim.experiments.value import ValueSpec, run_value
    from sim.report.results import print_value
    from sim.report.value_view import removal_line
    from sim.report.watching import ConsoleWatch

    if resume is None and file is None:
        fail("give a SCENARIO file (or --resume DIR)")
    spec = ValueSpec(
        file=str(file),
        vary=(),
        replications=replications,
        sets=tuple(set_ or []),
        seed=seed,
        without=tuple(without or []),
        metrics=tuple(metric or []),
        nodes=tuple(node or []),
    )
    watch = ConsoleWatch(out_console, err_console)
    shown = (list(metric or []), list(node or []))
    result = run_value(
        resume or spec, out, *shown, workers=workers, dask=dask, watch=watch, describe=removal_line
    )
    with finished_in(result.study.directory, "the value study"):
        print_value(result, out_console)
