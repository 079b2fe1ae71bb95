"""`intelsim value`: what a partner, node, link or collector is worth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import OutOption, SetOption, app, fail, out_console
from sim.cli.whatif_cmds import DaskOption, MetricOption, WorkersOption, drive_sweep


@app.command()
def value(
    file: Annotated[
        Path | None, typer.Argument(help="scenario file (not needed with --resume)")
    ] = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            help="a part to value: a node, a nation (all its nodes), a link FROM->TO, a "
            "collector, a campaign or an attack; A+B removes both as one part; repeatable: "
            "each alone, then all together"
        ),
    ] = None,
    replications: Annotated[
        int, typer.Option(min=2, help="paired replications (with and without each part)")
    ] = 20,
    metric: MetricOption = None,
    node: Annotated[
        list[str] | None, typer.Option(help="node to show (repeatable; default: every node)")
    ] = None,
    set_: SetOption = None,
    seed: Annotated[int | None, typer.Option(help="base seed (default: the scenario's)")] = None,
    resume: Annotated[
        Path | None, typer.Option(help="continue the stopped study in this directory")
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
) -> None:
    """What a part is worth: paired runs with and without it (same seeds), with − without
    at every node with 95% CIs."""
    from sim.experiments.value import ValueSpec, finish_value, open_value
    from sim.report.value_plot import value_plot
    from sim.report.value_view import LEGEND, removal_line, value_tables

    if resume is None and file is None:
        fail("give a scenario FILE (or --resume DIR)")
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
    study = open_value(spec if resume is None else resume, out)
    for part in study.plan.parts:
        out_console.print(removal_line(part), highlight=False)
    runs, _ = drive_sweep(study, workers, dask, "value")
    valuation = finish_value(study, runs, list(metric or []), list(node or []))
    name = study.plan.scenario_name
    plots = value_plot(valuation, study.directory / "value", f"{name}: what each part adds")
    for table in value_tables(valuation, name):
        out_console.print(table)
    out_console.print(LEGEND, style="dim", highlight=False)
    out_console.print(
        f"every node and metric in {study.directory / 'value.csv'}; what each removal "
        f"removed in removed.csv; plot {plots[0]}",
        highlight=False,
    )
