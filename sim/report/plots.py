"""Plots of what-if results (PNG and SVG): forest plots of differences, metrics vs parameters.

Figures are built with matplotlib's object API on the Agg canvas: no pyplot global
state, no display needed, safe in workers and tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.errors import LogError
from sim.experiments.sensitivity import Sensitivity
from sim.experiments.stats import PairedDiff

FORMATS = ("png", "svg")
MAX_SERIES = 8  # lines in one panel before it stops being readable
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A metric or path as a file name part."""
    return _UNSAFE.sub("_", text.replace("->", "-to-")).strip("_") or "plot"


def forest_row(ax: Any, row: float, diff: PairedDiff, scale: float, text: str) -> None:
    """One paired difference as a point with its interval (red when it excludes 0),
    scaled by `scale`, and `text` written beside the plot at its height."""
    d = diff.diff
    assert d.mean is not None
    low = d.mean if d.low is None else d.low
    high = d.mean if d.high is None else d.high
    mid = d.mean * scale
    ax.errorbar(
        [mid],
        [row],
        xerr=[[mid - low * scale], [high * scale - mid]],
        fmt="o",
        color="tab:red" if diff.excludes_zero else "tab:gray",
        capsize=3,
    )
    ax.annotate(
        text,
        (1.0, row),
        xycoords=("axes fraction", "data"),
        xytext=(6, 0),
        textcoords="offset points",
        va="center",
        fontsize=7,
    )


def save(figure: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png and `stem`.svg; return the paths."""
    FigureCanvasAgg(figure)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create {stem.parent}: {exc.strerror or exc}"
        raise LogError(msg) from None
    paths = []
    for fmt in FORMATS:
        path = stem.parent / f"{stem.name}.{fmt}"
        try:
            figure.savefig(path, format=fmt, dpi=120, bbox_inches="tight")
        except OSError as exc:
            msg = f"cannot write the plot {path}: {exc.strerror or exc}"
            raise LogError(msg) from None
        paths.append(path)
    return paths


def _changed(diff: PairedDiff) -> bool:
    d = diff.diff
    return d.mean is not None and (d.mean != 0 or (d.half_width or 0) > 0)


def forest_plot(diffs: Mapping[str, PairedDiff], stem: Path, title: str) -> list[Path]:
    """B − A of each metric with its 95% CI, as a percentage of A's mean, on one axis.

    Metrics differ in unit, so the axis is relative; each row also states the
    absolute difference and interval. Metrics identical on both sides in every
    replication are listed in the title, not drawn.
    """
    shown = [(m, d) for m, d in diffs.items() if _changed(d)]
    same = sum(1 for d in diffs.values() if d.diff.mean is not None and not _changed(d))
    figure = Figure(figsize=(10, 0.32 * max(len(shown), 1) + 1.4), layout="constrained")
    ax = figure.subplots()
    labels: list[str] = []
    for row, (metric, diff) in enumerate(reversed(shown)):
        d = diff.diff
        assert d.mean is not None
        low = d.mean if d.low is None else d.low
        high = d.mean if d.high is None else d.high
        base = abs(diff.mean_a) if diff.mean_a else None
        absolute = f"{d.mean:+.4g} [{low:.4g}, {high:.4g}]"
        labels.append(metric)
        if base is None or not all(map(math.isfinite, (base, low, high, d.mean))):
            # nothing to scale by, or a side never reached within the run (censored)
            why = "A's mean is 0" if base is None else "beyond the horizon"
            ax.text(0, row, f"{why}; B − A = {absolute}", va="center", fontsize=7)
            continue
        scale = 100.0 / base
        forest_row(ax, row, diff, scale, absolute)
    ax.axvline(0.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_ylim(-0.7, max(len(labels), 1) - 0.3)
    ax.set_xlabel("B − A, % of A's mean (95% CI from paired differences; red: excludes 0)")
    ax.grid(True, axis="x", alpha=0.3)
    note = f"; {same} metrics identical on both sides not shown" if same else ""
    ax.set_title(f"{title}{note}", fontsize=9)
    if not shown:
        ax.text(0.5, 0.5, "no metric differs", ha="center", transform=ax.transAxes)
    return save(figure, stem)


def _label(path: str, unit: str | None) -> str:
    return f"{path} [{unit}]" if unit else path


def metric_vs_factor(
    summary: pd.DataFrame,
    metric: str,
    factor: str,
    others: Sequence[str],
    unit: str | None,
    stem: Path,
) -> list[Path]:
    """One metric's mean and 95% CI at each point against one varied parameter.

    Points sharing the values of the other factors are joined into one line (a grid);
    scattered points (a Latin hypercube) are drawn without lines.
    """
    data = summary[summary["metric"] == metric].dropna(subset=["mean"])
    figure = Figure(figsize=(6.5, 4.2))
    ax = figure.subplots()
    groups = list(data.groupby(list(others), sort=True)) if others else [((), data)]
    lines = 0 < len(groups) <= MAX_SERIES and all(len(g) > 1 for _, g in groups)
    numeric = pd.api.types.is_numeric_dtype(data[factor])
    for key, group in groups if lines else [((), data)]:
        group = group.sort_values(factor) if numeric else group
        x = group[factor] if numeric else group[factor].astype(str)
        low = (group["mean"] - group["ci_low"].fillna(group["mean"])).clip(lower=0)
        high = (group["ci_high"].fillna(group["mean"]) - group["mean"]).clip(lower=0)
        keys = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{o}={v}" for o, v in zip(others, keys, strict=False)) if lines else None
        ax.errorbar(
            x,
            group["mean"],
            yerr=[low, high],
            fmt="o-" if lines else "o",
            capsize=3,
            label=label or None,
            alpha=0.9,
        )
    ax.set_xlabel(_label(factor, unit), fontsize=9)
    ax.set_ylabel(metric, fontsize=9)
    ax.set_title(f"{metric}\nmean and 95% CI per point", fontsize=9)
    ax.grid(True, alpha=0.3)
    if lines and others and not data.empty:
        ax.legend(fontsize=7)
    if data.empty:
        ax.text(0.5, 0.5, "undefined at every point", ha="center", transform=ax.transAxes)
    return save(figure, stem)


def sweep_plots(
    summary: pd.DataFrame,
    factors: Sequence[tuple[str, str | None]],
    metrics: Sequence[str],
    directory: Path,
) -> list[Path]:
    """A plot per (metric, varied parameter) under `directory`; the files written."""
    paths: list[Path] = []
    names = [f for f, _ in factors]
    for metric in metrics:
        for factor, unit in factors:
            others = [n for n in names if n != factor]
            stem = directory / f"{safe_name(metric)}--vs--{safe_name(factor)}"
            paths += metric_vs_factor(summary, metric, factor, others, unit, stem)
    return paths


def sensitivity_plot(study: Sensitivity, metric: str, stem: Path) -> list[Path]:
    """One metric's indices per factor as bars with their 95% intervals (Sobol: S1 and ST;
    Morris: μ* with its interval, and σ)."""
    rows = study.ranking(metric).iloc[::-1]
    sobol = study.method == "sobol"
    figure = Figure(figsize=(7, 0.5 * max(len(rows), 1) + 1.5), layout="constrained")
    ax = figure.subplots()
    y = np.arange(len(rows))
    for offset, name, label in (
        (0.2, "S1", "S1 (alone)" if sobol else "μ*"),
        (-0.2, "ST", "ST (with interactions)" if sobol else "σ"),
    ):
        values = rows[name].to_numpy(dtype=float)
        low = rows[f"{name}_ci_low"].to_numpy(dtype=float)
        high = rows[f"{name}_ci_high"].to_numpy(dtype=float)
        low = np.where(np.isnan(low), values, low)  # σ has no interval
        high = np.where(np.isnan(high), values, high)
        err = np.clip([values - low, high - values], 0.0, None)
        ax.barh(y + offset, values, height=0.4, xerr=err, capsize=3, label=label)
    ax.set_yticks(y)
    ax.set_yticklabels(rows["factor"].tolist(), fontsize=8)
    ax.set_xlabel(
        "Sobol index (share of variance), 95% CI" if sobol else f"Morris effect on {metric}"
    )
    if sobol:
        ax.set_xlim(0, 1)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    noise = study.noise.get(metric, math.nan)
    note = "" if math.isnan(noise) else f"\nnoise {100 * noise:.0f}% of the variance across points"
    ax.set_title(f"{metric}{note}", fontsize=9)
    return save(figure, stem)


def sensitivity_plots(study: Sensitivity, metrics: Sequence[str], directory: Path) -> list[Path]:
    """A bar chart per analysed metric under `directory`; the files written."""
    paths: list[Path] = []
    for metric in metrics:
        if not study.ranking(metric).empty:
            paths += sensitivity_plot(
                study, metric, directory / f"sensitivity--{safe_name(metric)}"
            )
    return paths
