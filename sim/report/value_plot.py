"""The value of each part as a forest plot (PNG and SVG): what it adds at each node, with
its 95% CI, in the metric's own unit (shares in percentage points, times in hours).

Unlike the comparison's forest plot (`sim.report.plots.forest_plot`), the axis is not a
percentage of one side: a part a node cannot do without (0 without it) would have no
bar at all, and those are the parts a value study is about.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from sim.analysis.kinds import Kind
from sim.experiments.stats import PairedDiff
from sim.experiments.value import Valuation
from sim.report.plots import forest_row, save

UNITS = (
    ("percentage points", lambda kind: kind is Kind.SHARE, 100.0),
    ("hours", lambda kind: kind.is_time, 1.0),
    ("count", lambda kind: kind is Kind.COUNT, 1.0),
    ("value", lambda kind: kind is Kind.NUMBER, 1.0),
)


def _panels(valuation: Valuation) -> list[tuple[str, float, list[tuple[str, PairedDiff]]]]:
    """(unit, scale, [(label, difference)]) for each unit the shown rows use, in order."""
    panels: list[tuple[str, float, list[tuple[str, PairedDiff]]]] = []
    for unit, belongs, scale in UNITS:
        rows = []
        for row in valuation.shown.to_dict("records"):
            key = (str(row["part"]), str(row["node"]), str(row["metric"]))
            diff = valuation.diffs.get(key)
            if diff is not None and diff.diff.mean is not None and belongs(Kind(row["kind"])):
                rows.append((" · ".join(key), diff))
        if rows:
            panels.append((unit, scale, rows))
    return panels


def _infinite(value: float) -> str:
    return "known with it, never without" if value < 0 else "never with it, known without"


def value_plot(valuation: Valuation, stem: Path, title: str) -> list[Path]:
    """What each part adds (with − without) at each node shown, with its 95% CI; red where
    the interval excludes 0. One panel per unit; the figures are written beside each row."""
    panels = _panels(valuation)
    heights = [len(rows) + 1.5 for _, _, rows in panels] or [1.0]
    figure = Figure(figsize=(10, 0.3 * sum(heights) + 1.0), layout="constrained")
    axes = figure.subplots(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, (unit, scale, rows) in zip(axes, panels, strict=False):
        for y, (_, diff) in enumerate(reversed(rows)):
            d = diff.diff
            assert d.mean is not None
            low = d.mean if d.low is None else d.low
            high = d.mean if d.high is None else d.high
            text = f"{d.mean * scale:+.3g} [{low * scale:.3g}, {high * scale:.3g}]"
            if not all(map(math.isfinite, (d.mean, low, high))):
                ax.text(0, y, f"  {_infinite(d.mean)} ({text})", va="center", fontsize=7)
            else:
                forest_row(ax, y, diff, scale, text)
        ax.axvline(0.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([label for label, _ in reversed(rows)], fontsize=7)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(f"with − without, {unit} (95% CI from paired replications)", fontsize=8)
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_title(title, fontsize=9)
    if not panels:
        axes[0].text(0.5, 0.5, "no metric shown differs", ha="center", transform=axes[0].transAxes)
    return save(figure, stem)
