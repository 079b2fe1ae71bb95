"""What a branch changed: its headline metrics beside its parent's, with the difference."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from sim.analysis.metric_changes import Change
from sim.report.names import HOURS, SHARE, name_of, unit_of
from sim.scenario.units import format_hours

NONE = "—"


def value_text(metric: str, value: float | int | None) -> str:
    """A value with its unit: a time as 13m, 5.2h or 3.5d; a share in %; a count."""
    if value is None:
        return NONE
    unit = unit_of(metric)
    if unit == HOURS:
        return format_hours(value)
    if unit == SHARE:
        return f"{value:.1%}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def change_text(change: Change) -> str:
    """after − before with its sign and unit (percentage points for shares)."""
    diff = change.difference
    if diff is None:
        return "now undefined" if change.after is None else "now defined"
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    unit = unit_of(change.metric)
    if unit == HOURS:
        return sign + format_hours(abs(diff))
    if unit == SHARE:
        return f"{sign}{abs(diff) * 100:.1f} pp"
    size = abs(diff)
    return sign + (f"{size:,}" if isinstance(size, int) else f"{size:,.4g}")


def branch_changes(compared: Sequence[Change], parent: str) -> RenderableType:
    """The headline values that differ between parent and branch (run totals, then nodes
    by name), or one line saying that none does."""
    changed = [c for c in compared if c.changed]
    if not changed:
        return Text(
            f"no headline metric differs from {parent} ({len(compared)} compared): "
            "the change made no difference the metrics can see",
            style="yellow",
        )
    table = Table(title=f"What changed: {parent} → this branch", title_justify="left")
    table.add_column("where", style="bold", no_wrap=True)
    table.add_column("metric")
    table.add_column("parent", justify="right")
    table.add_column("branch", justify="right")
    table.add_column("change", justify="right")
    for c in changed:
        table.add_row(
            c.where,
            name_of(c.metric),
            value_text(c.metric, c.before),
            value_text(c.metric, c.after),
            change_text(c),
        )
    same = len(compared) - len(changed)
    table.caption = (
        f"{same} of {len(compared)} headline values unchanged; times as 13m, 5.2h, 3.5d; "
        "shares in %, their changes in percentage points (pp)"
    )
    table.caption_justify = "left"
    return table
