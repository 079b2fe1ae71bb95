"""The recorder: the one door through which a decision becomes a fact.

`emit` has the event numbered by the log (events are immutable: the log returns the
numbered copy it wrote), folds it into the state with `evolve` (the one fold driver,
which replay and `verify` use too) and tells the listeners (metrics projections, live
display). Processes never touch the state themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from msgspec.structs import replace

from sim.events import Event
from sim.state.evolve import evolve
from sim.state.model import WorldState

Listener = Callable[[Event], None]


class Sink(Protocol):
    """Where events go: the event log writer, or nothing."""

    def append(self, event: Event) -> Event:
        """Write the event as the log's next one; return it numbered so."""
        ...


class Recorder:
    """Numbers, stores and applies events in the order they happen."""

    def __init__(self, state: WorldState, sink: Sink | None = None) -> None:
        self.state = state
        self._append = sink.append if sink is not None else None
        self.listeners: list[Listener] = []
        self.count = 0

    def emit(self, event: Event) -> Event:
        """Record a fact: the log numbers it, evolve folds it, the listeners hear it."""
        append = self._append
        # numbered: a copy (sim.events.numbered, inlined: this is the hot path)
        event = replace(event, seq=self.count) if append is None else append(event)
        self.count += 1
        evolve(self.state, event)
        for listener in self.listeners:
            listener(event)
        return event
