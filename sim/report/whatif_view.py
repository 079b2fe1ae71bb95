"""Terminal views of what-if results (rich): summaries, comparisons, sweeps, progress."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from sim.analysis.stats import Interval, PairedDiff


def num(value: float | int | None, digits: int = 4) -> str:
    """A number with `digits` significant digits; "—" when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e9):
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def interval_text(interval: Interval) -> str:
    """ "[low, high]", or "—" when there are too few values."""
    if interval.low is None or interval.high is None:
        return "—"
    return f"[{num(interval.low)}, {num(interval.high)}]"


def undefined_text(undefined: int, total: int) -> str:
    """ "undefined in k of N", or "" when every replication defined the metric."""
    return f"undefined in {undefined} of {total}" if undefined else ""


def summary_table(summary: Mapping[str, Interval], title: str) -> Table:
    """Each metric: mean, 95% CI, half-width, n and how often it was undefined."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("metric", overflow="fold")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("±", justify="right")
    table.add_column("CI", justify="center")
    table.add_column("n", justify="right")
    table.add_column("note", style="yellow")
    for metric, iv in summary.items():
        table.add_row(
            metric,
            num(iv.mean),
            interval_text(iv),
            num(iv.half_width, 3),
            "boot" if iv.method == "bootstrap" else "t",
            str(iv.n),
            undefined_text(iv.undefined, iv.total),
        )
    return table


def comparison_table(diffs: Mapping[str, PairedDiff], title: str) -> Table:
    """B − A per metric with its paired CI, whether it excludes 0, and the variance reduction."""
    table = Table(title=title, title_justify="left")
    table.add_column("metric", overflow="fold")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B − A", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("≠ 0", justify="center")
    table.add_column("VR ×", justify="right")
    table.add_column("note", style="yellow")
    for metric, d in diffs.items():
        mark = Text("yes", style="bold red") if d.excludes_zero else Text("no", style="dim")
        table.add_row(
            metric,
            num(d.mean_a),
            num(d.mean_b),
            num(d.diff.mean),
            interval_text(d.diff),
            mark,
            num(d.variance_reduction, 3),
            undefined_text(d.diff.undefined, d.diff.total),
        )
    return table


def _cell(by_metric: pd.DataFrame, metric: str) -> str:
    if metric not in by_metric.index:
        return "—"
    row = by_metric.loc[metric]
    text = f"{num(row['mean'])} ± {num(row['half_width'], 3)}"
    if row["undefined"]:
        text += f" ({int(row['undefined'])} undef.)"
    return text


WIDE_METRICS = 3  # up to this many metrics get a column each; more go one per row


def sweep_table(
    summary: pd.DataFrame, paths: Sequence[str], metrics: Sequence[str], title: str
) -> Table:
    """Per point: factor values, then each chosen metric as mean ± half-width.

    A few metrics get a column each; with more, each (point, metric) gets a row.
    """
    wide = len(metrics) <= WIDE_METRICS
    table = Table(title=title, title_justify="left")
    table.add_column("point", justify="right")
    for path in paths:
        table.add_column(path, justify="right", overflow="fold")
    for metric in metrics if wide else ["metric", "mean ± 95% half-width"]:
        table.add_column(metric, justify="left" if metric == "metric" else "right", overflow="fold")
    for point, group in summary.groupby("point", sort=True):
        by_metric = group.set_index("metric")
        head = [str(point), *(str(group[p].iloc[0]) for p in paths)]
        if wide:
            table.add_row(*head, *(_cell(by_metric, m) for m in metrics))
            continue
        for i, metric in enumerate(metrics):
            cells = head if i == 0 else [""] * len(head)
            table.add_row(
                *cells, metric, _cell(by_metric, metric), end_section=i == len(metrics) - 1
            )
    return table


class RateColumn(ProgressColumn):
    """Replications per second so far."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} rep/s", style="cyan")


def progress_bar() -> Progress:
    """A progress bar: done of total, rate, elapsed and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=False,
    )
