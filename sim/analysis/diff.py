"""`intelsim diff`: where two runs' logs part, how their events differ, what each assessment became.

One checked pass over both logs side by side: the first seq whose line differs (and
its time), the events per type in each, and per assessment id when it was issued, its
last band and confidence, and the sources it rests on at the end. Runs whose scenario
and seed agree up to a time (a ``branch``) share every line before it: the diff says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import zip_longest

from sim import events as ev
from sim.analysis.source import RunSource
from sim.events import ENCODER


@dataclass
class Said:
    """What a run's log says of one assessment by its end."""

    node: str
    munition: str
    sector: str
    issued: float
    band: str
    confidence: float
    sources: tuple[str, ...]


@dataclass
class RunDiff:
    """How run B differs from run A."""

    same_prefix: int  # leading events identical in both
    diverged_at: (
        tuple[float | None, float | None] | None
    )  # (t in A, t in B) of the first difference
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # type -> (in A, in B)
    assessments: dict[str, tuple[Said | None, Said | None]] = field(default_factory=dict)
    lengths: tuple[int, int] = (0, 0)

    @property
    def identical(self) -> bool:
        return self.diverged_at is None

    def changed_assessments(self) -> dict[str, tuple[Said | None, Said | None]]:
        """Assessments that differ between the runs (issued at another time, band, sources)."""
        return {k: (a, b) for k, (a, b) in self.assessments.items() if a != b}


class _Side:
    """Tallies of one run's events."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.said: dict[str, Said] = {}

    def add(self, event: ev.Event) -> None:
        self.counts[type(event).__name__] += 1
        if isinstance(event, ev.AssessmentIssued | ev.AssessmentUpdated):
            first = self.said.get(event.assessment)
            issued = first.issued if first is not None else event.t
            self.said[event.assessment] = Said(
                event.node, event.munition, event.sector, issued, event.band,
                event.confidence, tuple(sorted(event.sources)),
            )  # fmt: skip


def diff_runs(a: RunSource, b: RunSource) -> RunDiff:
    """Compare two runs' logs (both read checked; LogIntegrityError if either is broken)."""
    reading_a, reading_b = a.reading(), b.reading()
    left, right = _Side(), _Side()
    same, diverged = 0, None
    encode = ENCODER.encode
    n_a = n_b = 0
    for ea, eb in zip_longest(reading_a.events(), reading_b.events()):
        if ea is not None:
            left.add(ea)
            n_a += 1
        if eb is not None:
            right.add(eb)
            n_b += 1
        if diverged is None:
            if ea is not None and eb is not None and encode(ea) == encode(eb):
                same += 1
            else:
                diverged = (None if ea is None else ea.t, None if eb is None else eb.t)
    reading_a.raise_if_broken()
    reading_b.raise_if_broken()
    types = sorted(set(left.counts) | set(right.counts))
    ids = sorted(set(left.said) | set(right.said), key=_id_order)
    return RunDiff(
        same_prefix=same,
        diverged_at=diverged,
        counts={t: (left.counts[t], right.counts[t]) for t in types},
        assessments={i: (left.said.get(i), right.said.get(i)) for i in ids},
        lengths=(n_a, n_b),
    )


def _id_order(item: str) -> tuple[str, int]:
    head, _, tail = item.rpartition("-")
    return (head, int(tail)) if tail.isdigit() else (item, 0)
