"""Messages on the map: when each left, when it arrived or was dropped, and why.

A trip is one message on one link: sent (``MessageSent``), perhaps held at the sending
end while the link is down (``MessageHeld``, store and forward; it leaves when the
state shows the link up again), then delivered or dropped with a reason. A message
refused before it was sent is a trip of no length: a drop where it happened. The page
only places dots between the times given here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim import events as ev
from sim.report.html.states import ticks
from sim.report.html.story import delta_encode
from sim.state.model import WorldState

DELIVERED, DROPPED, OPEN = 0, 1, 2  # how a trip ended (OPEN: still on its way at the end)
_MESSAGE_EVENTS = frozenset(
    {ev.MessageSent, ev.MessageHeld, ev.MessageDelivered, ev.MessageDropped, ev.LinkUp}
)


@dataclass(slots=True)
class _Trip:
    link: int
    sent: int
    departs: int
    ends: int
    outcome: int
    reason: int
    item: str
    kind: int
    seen_sent: int = -1  # interned set of the nodes that saw it sent (story.viewer_sets)
    seen_end: int = -1  # ... that saw it delivered or dropped


class Trips:
    """Collects trips from a fold (each event with the state just after it)."""

    def __init__(self, links: list[str]) -> None:
        self.links = links
        self._link_ix = {name: i for i, name in enumerate(links)}
        self.reasons: list[str] = []
        self.kinds: list[str] = []
        self.trips: list[_Trip] = []
        self._open: dict[str, _Trip] = {}
        self._held: dict[int, list[_Trip]] = {}  # link -> trips waiting for it to come up

    def _ix(self, table: list[str], value: str) -> int:
        if value not in table:
            table.append(value)
        return table.index(value)

    def add(self, event: ev.Event, state: WorldState, seen: int | None = None) -> None:
        """Follow one event (and release held trips when their link is up again).

        `seen` is the interned set of nodes that saw the event (who may see the dot).
        """
        if type(event) not in _MESSAGE_EVENTS:
            return
        if isinstance(event, ev.MessageSent):
            tick = ticks(event.t)
            trip = _Trip(
                self._link_ix[event.link],
                tick,
                tick,
                -1,
                OPEN,
                -1,
                event.item,
                self._ix(self.kinds, event.kind),
                -1 if seen is None else seen,
            )
            self._open[event.message] = trip
            self.trips.append(trip)
        elif isinstance(event, ev.MessageHeld):
            waiting = self._open.get(event.message)
            if waiting is not None:
                self._held.setdefault(waiting.link, []).append(waiting)
        elif isinstance(event, ev.MessageDelivered | ev.MessageDropped):
            self._end(event, -1 if seen is None else seen)
        elif isinstance(event, ev.LinkUp):
            ix = self._link_ix.get(event.link)
            if ix is not None and ix in self._held and state.links[event.link].up:
                for trip in self._held.pop(ix):
                    trip.departs = ticks(event.t)

    def _end(self, event: ev.MessageDelivered | ev.MessageDropped, seen: int) -> None:
        tick = ticks(event.t)
        trip = self._open.pop(event.message, None)
        if trip is None:  # refused before it was sent: a drop where it happened
            link = self._link_ix[event.link]
            trip = _Trip(link, tick, tick, tick, OPEN, -1, event.item, -1, seen)
            self.trips.append(trip)
        trip.ends, trip.seen_end = tick, seen
        if isinstance(event, ev.MessageDropped):
            trip.outcome = DROPPED
            trip.reason = self._ix(self.reasons, event.reason)
        else:
            trip.outcome = DELIVERED
        held = self._held.get(trip.link)
        if held and trip in held:
            held.remove(trip)
            trip.departs = tick  # never left before its end: it waited all along

    def columns(self) -> dict[str, Any]:
        """The page's ``trips`` table, sorted by the time each trip was sent."""
        trips = sorted(self.trips, key=lambda trip: trip.sent)
        return {
            "reasons": self.reasons,
            "kinds": self.kinds,
            "link": [trip.link for trip in trips],
            "sent": delta_encode([trip.sent for trip in trips]),
            "departs": [trip.departs - trip.sent for trip in trips],
            "ends": [trip.ends - trip.sent if trip.ends >= 0 else -1 for trip in trips],
            "outcome": [trip.outcome for trip in trips],
            "reason": [trip.reason for trip in trips],
            "item": [trip.item for trip in trips],
            "kind": [trip.kind for trip in trips],
            "seen_sent": [trip.seen_sent for trip in trips],
            "seen_end": [trip.seen_end for trip in trips],
        }
