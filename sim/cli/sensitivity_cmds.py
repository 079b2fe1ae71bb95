"""`intelsim sensitivity`: which varied parameters drive each metric."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.app import OutOption, SeedOption, SetOption, app, fail, finished_in, out_console
from sim.cli.whatif_cmds import DaskOption, MetricOption, WorkersOption, drive_sweep


@app.command()
def sensitivity(
    file: Annotated[
        Path | None, typer.Argument(help="scenario file (not needed with --resume)")
    ] = None,
    vary: Annotated[
        list[str] | None, typer.Option(help="PATH=LOW..HIGH: a parameter and its range")
    ] = None,
    method: Annotated[
        str, typer.Option(help="sobol (variance shares) or morris (elementary effects)")
    ] = "sobol",
    samples: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="sobol: base samples, a power of 2 (32); morris: trajectories (10)",
        ),
    ] = None,
    replications: Annotated[int, typer.Option(min=1, help="replications per point")] = 4,
    metric: MetricOption = None,
    set_: SetOption = None,
    seed: SeedOption = None,
    resume: Annotated[
        Path | None, typer.Option(help="continue the stopped study in this directory")
    ] = None,
    workers: WorkersOption = None,
    dask: DaskOption = None,
    out: OutOption = Path("logs"),
) -> None:
    """Global sensitivity (Sobol or Morris) of the headline metrics, with 95% CIs."""
    from sim.experiments.sensitivity import DEFAULT_SAMPLES, open_study
    from sim.experiments.sweep import SweepSpec

    if resume is None and file is None:
        fail("give a scenario FILE (or --resume DIR)")
    spec = SweepSpec(
        file=str(file),
        vary=tuple(vary or []),
        replications=replications,
        design=method,
        samples=samples or DEFAULT_SAMPLES.get(method),
        sets=tuple(set_ or []),
        seed=seed,
    )
    patterns = list(metric or [])
    current = open_study(spec if resume is None else resume, out, patterns)
    runs, _ = drive_sweep(current, workers, dask, "sensitivity")
    with finished_in(current.directory, "the sensitivity study"):
        _report(current, runs, patterns)


def _report(current: Any, runs: Any, patterns: list[str]) -> None:
    """The indices (written), their table and bar charts."""
    from sim.experiments.sensitivity import finish_study
    from sim.report.plots import sensitivity_plots
    from sim.report.whatif_view import sensitivity_table

    study = finish_study(current, runs, patterns)
    shown = list(dict.fromkeys(study.indices["metric"]))
    plots = sensitivity_plots(study, shown, current.directory / "plots")
    title = f"{current.plan.scenario_name}: {study.method} sensitivity, factors ranked"
    out_console.print(sensitivity_table(study, shown, title))
    out_console.print(
        f"indices.csv/.parquet, runs.csv/.parquet in {current.directory}; "
        f"{len(plots) // 2} bar charts in {current.directory / 'plots'}",
        highlight=False,
    )
