"""`intelsim replay`: the state of a run at a time, from the nearest snapshot, checked.

The state at `t` is the fold of every event with a time up to `t`. It starts from the
latest snapshot at or before `t` when the run has one (see :mod:`sim.store.snapshots`),
else from the initial state, and reads the log through a :class:`LogReading`, so a
broken or cut log is said plainly. A time past the end of the run is answered with
the state at its end, and says when the run ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.analysis.replay import replay_events
from sim.analysis.source import RunSource
from sim.errors import LogError
from sim.state import WorldState, initial_state
from sim.store.reading import LogIntegrityError, LogReading
from sim.store.snapshots import load_snapshot


@dataclass
class Replayed:
    """The state asked for, what the reading found, and what the user should be told."""

    state: WorldState
    at: float | None
    reading: LogReading
    note: str | None = None
    from_snapshot: int | None = None  # the seq of the snapshot it started from


def replay_at(source: RunSource, at: float | None) -> Replayed:
    """The state of the run at time `at` (None: the end); raises when the log says nothing.

    Raises LogIntegrityError when the log is broken *before* `at` (the state at `at`
    is unknown); when it is broken only after, the state is returned and the reading's
    fault is left for the caller to report.
    """
    reading = source.reading()
    snapshot = load_snapshot(source.run_dir, math.inf if at is None else at, source.log_path)
    if snapshot is None:
        state, resume, start = initial_state(source.scenario), None, None
    else:
        state, resume, start = snapshot.state, snapshot.resume, snapshot.seq
    try:
        state = replay_events(
            source.scenario, reading.events(resume=resume, until_t=at), state=state
        )
    except LogError as exc:  # an intact log whose events cannot follow each other: forged
        raise LogIntegrityError(f"{source.log_path}: the log was altered: {exc}") from None
    if reading.fault is not None and (at is None or reading.fault.kind == "altered"):
        reading.raise_if_broken()
    last = reading.last
    cut_before = reading.fault is not None and not reading.stopped_early
    if cut_before and last is not None and at is not None and at > last.t:
        raise LogIntegrityError(
            f"{reading.describe()}; its last event is at t={last.t:g} h, "
            f"so the state at t={at:g} h is unknown"
        )
    note = None
    if at is not None and state.ended and at > state.t:
        note = f"the run ended at t={state.t:g} h: this is its state at the end"
    return Replayed(state, at, reading, note, start)
