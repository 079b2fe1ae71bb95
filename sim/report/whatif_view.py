"""Terminal views of what-if results (rich): summaries, comparisons, sweeps."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
from rich.table import Table
from rich.text import Text

from sim.experiments.intervals import METHODS
from sim.experiments.sensitivity import Sensitivity
from sim.experiments.stats import Interval, PairedDiff
from sim.report.names import named_with_unit


def num(value: float | int | None, digits: int = 4) -> str:
    """A number with `digits` significant digits; "—" when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
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


def split_metric(name: str) -> tuple[str, str]:
    """("KOR-NIS", "time to knowledge, median (h)") for "nodes.KOR-NIS.knowledge_median_h"."""
    head, _, rest = name.partition(".")
    if head in ("nodes", "links") and rest:
        where, _, what = rest.partition(".")
    elif head == "run" and rest:
        where, what = "run", rest
    else:
        where, what = "", name
    return where, named_with_unit(what)


def method_notes(methods: Sequence[str]) -> str:
    """ "log: t on the log scale of the mean (times); …" for the methods used, in order."""
    seen = dict.fromkeys(m for m in methods if m in METHODS)
    return "; ".join(f"{METHODS[m].short}: {METHODS[m].description}" for m in seen)


def summary_table(summary: Mapping[str, Interval], title: str) -> Table:
    """Each metric: mean, 95% CI, the method of the interval, how many replications defined it.

    Metrics no replication defines are counted in the caption, not listed; a metric
    some replications leave undefined is starred; the caption names each method used.
    """
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("where", style="bold", overflow="fold")
    table.add_column("metric", overflow="fold")
    table.add_column("mean", justify="right", overflow="fold")
    table.add_column("95% CI", justify="right", overflow="fold")
    table.add_column("by", overflow="fold")
    table.add_column("n", justify="right", overflow="fold")
    undefined = partly = censored = 0
    used: list[str] = []
    for metric, iv in summary.items():
        if iv.n == 0:
            undefined += 1
            continue
        where, what = split_metric(metric)
        if iv.undefined:
            partly += 1
            what += " *"
        used.append(iv.method)
        by = METHODS[iv.method].short if iv.method in METHODS else iv.method
        if iv.censored:
            censored += 1
            what += " †"
        mean = "not reached" if iv.mean is not None and math.isinf(iv.mean) else num(iv.mean)
        ci = "—" if iv.low is not None and math.isinf(iv.low) else interval_text(iv, 3)
        table.add_row(where, what, mean, ci, by, f"{iv.n}/{iv.total}")
    notes = ["n: replications that define the metric", method_notes(used)]
    if partly:
        notes.append("* undefined in some replications, averaged over the rest")
    if censored:
        notes.append("† not reached by the end of some replications (∞: beyond the run)")
    if undefined:
        notes.append(f"{undefined} metric(s) undefined in every replication, not listed")
    table.caption = "; ".join(n for n in notes if n)
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
    table.add_column("where", style="bold", overflow="fold")
    table.add_column("metric", overflow="fold")
    table.add_column("A", justify="right", overflow="fold")
    table.add_column("B", justify="right", overflow="fold")
    table.add_column("B − A", justify="right", overflow="fold")
    table.add_column("95% CI", justify="right", overflow="fold")
    table.add_column("≠ 0", justify="center", overflow="fold")
    table.add_column("VR ×", justify="right", overflow="fold")
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
    listed = [d.diff.method for d in diffs.values() if d.diff.mean is not None]
    notes = [f"95% CI by {method_notes(listed)}; a share's within ±1"]
    if partly:
        notes.append("* undefined in some replications (averaged over the rest)")
    if same:
        notes.append(f"{same} metric(s) identical in every replication on both sides")
    if undefined:
        notes.append(f"{undefined} metric(s) undefined in every replication")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table


def _cell(by_metric: pd.DataFrame, metric: str) -> str:
    if metric not in by_metric.index:
        return "—"
    row = by_metric.loc[metric]
    text = num(row["mean"])
    if not (pd.isna(row["ci_low"]) or pd.isna(row["ci_high"])):
        # the interval itself, never mean ± half-width: it is asymmetric, and a symmetric
        # reading of it would step outside what the metric can be (a share above 1)
        text += f" [{num(row['ci_low'], 3)}, {num(row['ci_high'], 3)}]"
    if row["undefined"]:
        text += f" ({int(row['undefined'])} undef.)"
    return text


WIDE_METRICS = 3  # up to this many metrics get a column each; more go one per row
CELL_WIDTH = 18  # "0.6667 [0.21, 0.96]" and its padding


def _point_label(group: pd.DataFrame, paths: Sequence[str]) -> str:
    values = [str(group[p].iloc[0]) for p in paths]
    if len(paths) == 1:
        return values[0]
    return ", ".join(f"{p.rsplit('.', 1)[-1]}={v}" for p, v in zip(paths, values, strict=True))


def sweep_table(
    summary: pd.DataFrame,
    paths: Sequence[str],
    metrics: Sequence[str],
    title: str,
    width: int = 80,
) -> Table:
    """Each chosen metric at each point of the design, as mean [95% CI].

    Few points (as many as fit in `width`): a row per metric and a column per point
    (compare along a row). Many points: a row per point, with a column per metric when
    there are few metrics, or a row per (point, metric) otherwise.
    """
    groups = list(summary.groupby("point", sort=True))
    table = Table(title=title, title_justify="left")
    shown = summary[summary["metric"].isin(metrics)]
    methods = method_notes(shown["method"].tolist()) if "method" in shown else ""
    table.caption = "cells: mean [95% CI] over replications" + (f"; {methods}" if methods else "")
    table.caption_justify = "left"
    if len(groups) <= max(1, (width - 30) // CELL_WIDTH):
        table.add_column("where", style="bold", overflow="fold")
        table.add_column("metric", overflow="fold")
        for _, group in groups:
            table.add_column(_point_label(group, paths), justify="right", overflow="fold")
        indexed = [group.set_index("metric") for _, group in groups]
        for metric in metrics:
            table.add_row(*split_metric(metric), *(_cell(by, metric) for by in indexed))
        table.caption = f"columns: {', '.join(paths)}; {table.caption}"
        return table
    wide = len(metrics) <= WIDE_METRICS
    table.add_column("point", justify="right", overflow="fold")
    for path in paths:
        table.add_column(path, justify="right", overflow="fold")
    for metric in metrics if wide else ["metric", "mean [95% CI]"]:
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


NOISY = 0.5  # noise share above which a metric's indices are not to be read


def _index(value: float, sobol: bool) -> str:
    """A Sobol index with two decimals (a share); a Morris effect with 3 digits."""
    if math.isnan(value):
        return ""
    return f"{value:.2f}" if sobol else num(value, 3)


def _ci(low: float, high: float, sobol: bool) -> str:
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"[{_index(low, sobol)}, {_index(high, sobol)}]"


def sensitivity_table(study: Sensitivity, metrics: Sequence[str], title: str) -> Table:
    """Per metric, the factors ranked by total index (Sobol) or σ then μ* (Morris)."""
    sobol = study.method == "sobol"
    table = Table(title=title, title_justify="left")
    table.add_column("metric · factor", overflow="fold", ratio=1)
    table.add_column("S1" if sobol else "μ*", justify="right", overflow="fold")
    table.add_column("95% CI", justify="right", overflow="fold")
    table.add_column("ST" if sobol else "σ", justify="right", overflow="fold")
    if sobol:  # σ has no interval
        table.add_column("95% CI", justify="right", overflow="fold")
    for metric in metrics:
        ranking = study.ranking(metric)
        if ranking.empty:
            continue
        where, what = split_metric(metric)
        share = study.noise.get(metric, math.nan)
        noise = "" if math.isnan(share) else f" (noise {100 * share:.0f}%)"
        blank = [""] * (len(table.columns) - 1)
        table.add_row(Text(f"{where} {what}{noise}".strip(), style="bold"), *blank)
        for row in ranking.itertuples():
            cells = [
                f"  {row.factor}",
                _index(row.S1, sobol),
                _ci(row.S1_ci_low, row.S1_ci_high, sobol),
                _index(row.ST, sobol),
                _ci(row.ST_ci_low, row.ST_ci_high, sobol),
            ]
            table.add_row(*cells[: len(table.columns)])
    notes = [
        "S1: share of the metric's variance due to the factor alone; ST: with its interactions"
        if sobol
        else "μ*: mean |effect| of moving the factor over its range (metric's unit); "
        "σ: spread of the effects (interactions, non-linearity)",
        "noise: share of the variance that replication noise alone would give",
    ]
    noisy = [m for m in metrics if study.noise.get(m, 0.0) > NOISY]
    if noisy:
        notes.append(
            f"noise is over {NOISY:.0%} of the variance for {len(noisy)} metric(s): their "
            "indices mostly measure luck; run more --replications"
        )
    if study.skipped:
        notes.append(f"{len(study.skipped)} metric(s) not analysed (see sensitivity.json)")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table
