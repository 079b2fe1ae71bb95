"""The recorder: the one door through which a decision becomes a fact.

`emit` numbers the event, appends it to the log (if any), folds it into the state
and tells the listeners (metrics projections, live display). Processes never touch
the state themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sim.events import Event
from sim.state.evolve import HANDLERS as _HANDLERS
from sim.state.evolve import retire_idle
from sim.state.model import WorldState

Listener = Callable[[Event], None]


class Sink(Protocol):
    """Where events go: the event log writer, or nothing."""

    def append(self, event: Event) -> Event: ...


class Recorder:
    """Numbers, stores and applies events in the order they happen."""

    def __init__(self, state: WorldState, sink: Sink | None = None) -> None:
        self.state = state
        self._append = sink.append if sink is not None else None
        self.listeners: list[Listener] = []
        self.count = 0

    def emit(self, event: Event) -> Event:
        """Record a fact: assign seq, append to the log, evolve the state, notify listeners."""
        # `t` is always a float: the clock starts at 0.0 and every delay is a float
        append = self._append
        if append is not None:
            append(event)  # numbers the event
        else:
            event.seq = self.count
        self.count += 1
        # inline evolve (see sim.state.evolve.evolve): this is the hot path
        state = self.state
        if state.idle and event.t > state.t:
            retire_idle(state)
        _HANDLERS[type(event)](state, event)
        state.t = event.t
        state.seq = event.seq
        for listener in self.listeners:
            listener(event)
        return event
