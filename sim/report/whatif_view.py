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

from sim.experiments.stats import Interval, PairedDiff


def num(value: float | int | None, digits: int = 4) -> str:
    """A number with `digits` significant digits; "—" when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e9):
        return f"{int(value)}"
    if 10**digits <= abs(value) < 1e9:  # 1146 rather than 1.15e+03
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def interval_text(interval: Interval, digits: int = 4) -> str:
    """ "[low, high]", or "—" when there are too few values."""
    if interval.low is None or interval.high is None:
        return "—"
    return f"[{num(interval.low, digits)}, {num(interval.high, digits)}]"


def undefined_text(undefined: int, total: int) -> str:
    """ "undefined in k of N", or "" when every replication defined the metric."""
    return f"undefined in {undefined} of {total}" if undefined else ""


SHORT_NAMES = {
    "time_to_assessment_h.mean": "to assess, mean (h)",
    "time_to_assessment_h.median": "to assess, median (h)",
    "time_to_assessment_h.p90": "to assess, p90 (h)",
    "usage_to_assessment_h.mean": "use to assess, mean (h)",
    "queue_wait_h.mean": "queue wait, mean (h)",
    "report_latency_h.mean": "report latency, mean (h)",
    "false_assessments": "false assessments",
    "releasability_violations": "releasability violations",
}


def split_metric(name: str) -> tuple[str, str]:
    """("KOR-NIS", "to assess, mean (h)") for "nodes.KOR-NIS.time_to_assessment_h.mean"."""
    head, _, rest = name.partition(".")
    if head in ("nodes", "links") and rest:
        where, _, what = rest.partition(".")
    elif head == "run" and rest:
        where, what = "run", rest
    else:
        where, what = "", name
    return where, SHORT_NAMES.get(what, what.replace("_h.", " (h) ").replace("_", " "))


def summary_table(summary: Mapping[str, Interval], title: str) -> Table:
    """Each metric: mean, 95% CI and how many replications defined it.

    Metrics no replication defines are counted in the caption, not listed; a bootstrap
    interval is marked †, a metric some replications leave undefined *.
    """
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("where", style="bold", no_wrap=True)
    table.add_column("metric", overflow="fold")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("n", justify="right")
    undefined = boot = partly = 0
    for metric, iv in summary.items():
        if iv.n == 0:
            undefined += 1
            continue
        where, what = split_metric(metric)
        if iv.method == "bootstrap":
            boot += 1
            what += " †"
        if iv.undefined:
            partly += 1
            what += " *"
        table.add_row(where, what, num(iv.mean), interval_text(iv, 3), f"{iv.n}/{iv.total}")
    notes = ["n: replications that define the metric"]
    if boot:
        notes.append("† bootstrap percentile interval (skewed metric); others Student t")
    if partly:
        notes.append("* undefined in some replications, averaged over the rest")
    if undefined:
        notes.append(f"{undefined} metric(s) undefined in every replication, not listed")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table


def _identical(d: PairedDiff) -> bool:
    return d.diff.mean == 0 and d.diff.low == 0 and d.diff.high == 0


def comparison_table(diffs: Mapping[str, PairedDiff], title: str) -> Table:
    """B − A per metric with its paired CI, whether it excludes 0, and the variance reduction.

    Metrics equal in every replication on both sides, and metrics no replication defines,
    are counted in the caption, not listed; a metric some replications leave undefined
    is starred.
    """
    table = Table(title=title, title_justify="left")
    table.add_column("where", style="bold", no_wrap=True)
    table.add_column("metric", overflow="fold")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B − A", justify="right")
    table.add_column("95% CI", justify="right")
    table.add_column("≠ 0", justify="center")
    table.add_column("VR ×", justify="right")
    same = undefined = partly = 0
    for metric, d in diffs.items():
        if d.diff.mean is None:
            undefined += 1
            continue
        if _identical(d):
            same += 1
            continue
        where, what = split_metric(metric)
        if d.diff.undefined:
            partly += 1
            what += " *"
        mark = Text("yes", style="bold red") if d.excludes_zero else Text("no", style="dim")
        table.add_row(
            where,
            what,
            num(d.mean_a),
            num(d.mean_b),
            num(d.diff.mean, 3),
            interval_text(d.diff, 3),
            mark,
            num(d.variance_reduction, 3),
        )
    notes = []
    if partly:
        notes.append("* undefined in some replications (averaged over the rest)")
    if same:
        notes.append(f"{same} metric(s) identical in every replication on both sides")
    if undefined:
        notes.append(f"{undefined} metric(s) undefined in every replication")
    if notes:
        table.caption = "; ".join(notes)
        table.caption_justify = "left"
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
POINT_COLUMNS = 6  # up to this many points: metrics as rows, one column per point


def _point_label(group: pd.DataFrame, paths: Sequence[str]) -> str:
    values = [str(group[p].iloc[0]) for p in paths]
    if len(paths) == 1:
        return values[0]
    return ", ".join(f"{p.rsplit('.', 1)[-1]}={v}" for p, v in zip(paths, values, strict=True))


def sweep_table(
    summary: pd.DataFrame, paths: Sequence[str], metrics: Sequence[str], title: str
) -> Table:
    """Each chosen metric at each point of the design, as mean ± 95% half-width.

    Few points: a row per metric and a column per point (compare along a row). Many
    points: a row per point, with a column per metric when there are few metrics, or a
    row per (point, metric) otherwise.
    """
    groups = list(summary.groupby("point", sort=True))
    table = Table(title=title, title_justify="left")
    if len(groups) <= POINT_COLUMNS:
        table.add_column("where", style="bold", no_wrap=True)
        table.add_column("metric", overflow="fold")
        for _, group in groups:
            table.add_column(_point_label(group, paths), justify="right", overflow="fold")
        indexed = [group.set_index("metric") for _, group in groups]
        for metric in metrics:
            table.add_row(*split_metric(metric), *(_cell(by, metric) for by in indexed))
        varied = ", ".join(paths)
        table.caption = f"columns: {varied}; cells: mean ± 95% half-width over replications"
        table.caption_justify = "left"
        return table
    wide = len(metrics) <= WIDE_METRICS
    table.add_column("point", justify="right")
    for path in paths:
        table.add_column(path, justify="right", overflow="fold")
    for metric in metrics if wide else ["metric", "mean ± 95% half-width"]:
        table.add_column(metric, justify="left" if metric == "metric" else "right", overflow="fold")
    for point, group in groups:
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
