"""Markings and metrics of a log, judged in a child process beside `verify`'s fold.

`verify` must fold every event through evolve (replay, snapshots, consistency) *and*
judge every delivery by the releasability rules in force and recompute the metrics.
The metrics projection follows the rules in force from the events alone (by evolve's
own rule, :func:`sim.state.evolve.scenario_after`), so it needs nothing from the fold:
for a big log `verify` runs :func:`judge` in a forked child on the machine's other core
(:mod:`sim.store.forked`), reading the log as the parent does (every check but the
hash, which :mod:`sim.store.chaincheck` makes), so both stop at the same line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.metrics import MetricsProjection
from sim.events import Event
from sim.scenario.models import Scenario
from sim.state.evolve import cycle_collection_paused
from sim.store.reading import LogReading

KEEP = 100  # refused deliveries named in full (verify shows fewer); the rest are counted


@dataclass
class Judged:
    """What the projection found: refused deliveries (seq, sentence), how many more, metrics."""

    problems: list[tuple[int, str]] = field(default_factory=list)
    more: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)


def judge(scenario: Scenario, log: Path, events: Iterable[Event] | None = None) -> Judged:
    """Every delivery of a log judged by the rules in force, and its metrics recomputed.

    The log is read checked, up to its first fault, unless `events` are given.
    """
    if events is None:
        events = LogReading(log).events(hashes=False)
    projection = MetricsProjection(scenario)
    refused = _Kept()
    with cycle_collection_paused():
        projection.feed(events, refused)
        metrics = projection.result()
    return Judged(list(refused), refused.more, metrics)


class _Kept(list[tuple[int, str]]):
    """The first KEEP refused deliveries, in full; the rest only counted."""

    def __init__(self) -> None:
        super().__init__()
        self.more = 0

    def append(self, found: tuple[int, str]) -> None:
        if len(self) < KEEP:
            super().append(found)
        else:
            self.more += 1
