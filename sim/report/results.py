"""What the run and what-if commands print when the work is done: tables, notes, plots.

Each function takes a finished result (from `sim.experiments`) and prints it; plots are
drawn here too, beside the tables they illustrate, into the result's directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

from rich.console import Console

from sim.experiments.branch import Branch
from sim.experiments.compare import ComparisonResult
from sim.experiments.replicate import ReplicationsResult
from sim.experiments.replications import select_metrics
from sim.experiments.sensitivity import StudyResult
from sim.experiments.sweep import SweepResult
from sim.experiments.value import ValueResult
from sim.report.branch_view import branch_changes
from sim.report.plots import forest_plot, sensitivity_plots, sweep_plots
from sim.report.summary import identity, print_run, run_summary
from sim.report.value_plot import value_plot
from sim.report.value_view import LEGEND, value_tables
from sim.report.whatif_view import comparison_table, sensitivity_table, summary_table, sweep_table

__all__ = ["print_run"]  # re-exported: its home is sim.report.summary (no pandas, scipy)


def print_branch(result: Branch, out: Console) -> None:
    """The branch's summary, the past it shares with its parent, and what changed."""
    outcome = result.outcome
    out.print(run_summary(outcome.metrics, None, outcome.wall_seconds, identity(outcome)))
    parent = result.parent.name if result.parent is not None else "the parent"
    where = (
        f"diverges at t={result.diverged_at:g}h"
        if result.diverged_at is not None
        else "no event differs"
    )
    out.print(
        f"same past: the first {result.shared_events} events are byte-identical to {parent}; "
        f"{where}",
        highlight=False,
    )
    out.print(branch_changes(result.headline(), parent))
    out.print(f"run directory: [bold]{outcome.run_dir}[/]", highlight=False)


def print_replications(
    result: ReplicationsResult, patterns: Sequence[str], out: Console, err: Console
) -> None:
    """The summary table, what the precision targets reached, and where the files are."""
    names = result.metrics
    shown = select_metrics(names, patterns)
    shown += [g.metric for g in result.goals if g.metric not in shown]
    title = f"{result.scenario}: {len(result.frame)} replications, mean and 95% CI"
    out.print(summary_table({m: result.summary[m] for m in shown}, title))
    for p in result.outcome.precision:
        achieved = "undefined" if p.achieved is None else f"{p.achieved:.4g}"
        if p.reached:
            out.print(
                f"[green]precision reached[/]: {p.metric} ± {achieved} ≤ {p.target:g} "
                f"after {p.replications} replications",
                highlight=False,
            )
        else:
            err.print(
                f"[bold yellow]precision NOT reached[/]: {p.metric} ± {achieved} > {p.target:g}; "
                f"stopped at the cap of {p.replications} replications (--max-replications)",
                highlight=False,
                soft_wrap=True,
            )
    directory = result.directory
    out.print(
        f"{len(names)} metrics in {directory / 'summary.json'}; "
        f"one row per replication in {directory / 'replications.csv'}",
        highlight=False,
    )


def print_comparison(result: ComparisonResult, out: Console) -> None:
    """B − A for the metrics shown, how to read VR, where every metric and the plot are."""
    plots = forest_plot(result.shown, result.directory / "forest", result.title)
    out.print(comparison_table(result.shown, result.title + " (B − A, 95% CI)"))
    out.print(
        "VR ×: (Var A + Var B) / Var(B − A), how much tighter pairing made the interval",
        style="dim",
        highlight=False,
    )
    out.print(
        f"every metric in {result.directory / 'comparison.csv'}; forest plot {plots[0]}",
        highlight=False,
    )


def print_sweep(result: SweepResult, patterns: Sequence[str], out: Console) -> None:
    """Each chosen metric at each point (mean and 95% CI), and the plots."""
    plan, summary, directory = result.sweep.plan, result.summary, result.sweep.directory
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
    plots = sweep_plots(summary, factors, plotted, directory / "plots")
    paths = [f.path for f in plan.factors]
    title = f"{plan.scenario_name}: mean and 95% CI per point"
    out.print(sweep_table(summary, paths, shown, title, out.width))
    out.print(
        f"runs.csv/.parquet and summary.csv/.parquet in {directory}; "
        f"{len(plots) // 2} plots in {directory / 'plots'}",
        highlight=False,
    )


def print_sensitivity(result: StudyResult, out: Console) -> None:
    """The factors ranked per metric, and the bar charts."""
    study, directory = result.study, result.sweep.directory
    shown = list(dict.fromkeys(study.indices["metric"]))
    plots = sensitivity_plots(study, shown, directory / "plots")
    title = f"{result.sweep.plan.scenario_name}: {study.method} sensitivity, factors ranked"
    out.print(sensitivity_table(study, shown, title))
    out.print(
        f"indices.csv/.parquet, runs.csv/.parquet in {directory}; "
        f"{len(plots) // 2} bar charts in {directory / 'plots'}",
        highlight=False,
    )


def print_value(result: ValueResult, out: Console) -> None:
    """What each part adds, node by node (with − without), the legend and the plot."""
    directory, valuation = result.study.directory, result.valuation
    name = result.study.plan.scenario_name
    plots = value_plot(valuation, directory / "value", f"{name}: what each part adds")
    for table in value_tables(valuation, name):
        out.print(table)
    out.print(LEGEND, style="dim", highlight=False)
    out.print(
        f"every node and metric in {directory / 'value.csv'}; what each removal "
        f"removed in removed.csv; plot {plots[0]}",
        highlight=False,
    )
