"""`intelsim diff` in words and tables."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table

from sim.analysis.diff import RunDiff, Said
from sim.report.tables import cell


def _said(said: Said | None) -> str:
    if said is None:
        return "—"
    return f"t={said.issued:.1f} h, {said.band} ({said.confidence:.2f}), {len(said.sources)} src"


def _change(a: Said | None, b: Said | None) -> str:
    if a is None:
        return "only in B"
    if b is None:
        return "only in A"
    notes = []
    if b.issued != a.issued:
        notes.append(f"issued {'later' if b.issued > a.issued else 'earlier'} by "
                     f"{abs(b.issued - a.issued):.1f} h")  # fmt: skip
    if b.band != a.band:
        notes.append(f"band {a.band} -> {b.band}")
    if b.sources != a.sources:
        gained, lost = set(b.sources) - set(a.sources), set(a.sources) - set(b.sources)
        notes.append("sources " + " ".join([*(f"+{s}" for s in sorted(gained)),
                                             *(f"-{s}" for s in sorted(lost))]))  # fmt: skip
    return "; ".join(notes) or f"confidence {a.confidence:.2f} -> {b.confidence:.2f}"


def render_diff(diff: RunDiff, name_a: str, name_b: str) -> list[RenderableType]:
    """The diff as a headline, a table of counts per type and a table of changed assessments."""
    n_a, n_b = diff.lengths
    if diff.identical:
        head = f"A {name_a} and B {name_b}: identical, {n_a} events each"
    else:
        t_a, t_b = diff.diverged_at or (None, None)
        when = t_a if t_b is None else t_b if t_a is None else min(t_a, t_b)
        head = (
            f"A {name_a} ({n_a} events) and B {name_b} ({n_b} events): the first "
            f"{diff.same_prefix} events are identical; they diverge at seq {diff.same_prefix}, "
            f"t={cell(when)} h"
        )
    counts = Table(title="events per type", title_justify="left", show_edge=False)
    for column in ("type", "A", "B", "B - A"):
        counts.add_column(column, justify="left" if column == "type" else "right")
    for kind, (in_a, in_b) in diff.counts.items():
        counts.add_row(kind, str(in_a), str(in_b), f"{in_b - in_a:+d}" if in_b != in_a else "")
    changed = diff.changed_assessments()
    items = Table(
        title=f"assessments that differ ({len(changed)} of {len(diff.assessments)})",
        title_justify="left",
        show_edge=False,
    )
    for column in ("assessment", "A", "B", "what changed"):
        items.add_column(column, overflow="fold")
    for item, (a, b) in changed.items():
        items.add_row(item, _said(a), _said(b), _change(a, b))
    return [head, counts, items]
