"""What a log says must agree with itself: checks that a re-hashed forgery does not pass.

The hash chain proves a log was not changed *after* it was chained; someone who edits
a line and re-hashes every line after it passes the chain (and, if they also edit the
manifest, the final hash). These checks look for facts that cannot all be true:

- an assessment's band is the band of its confidence (the PHIA yardstick), and its
  confidence is a probability;
- a delivered message carries the item, kind and marking it was sent with.

The checks are a table, event type -> its check (types not in it need none), for
verify's per-event fold, which dispatches on the type already: a check returns a
sentence naming the contradiction, or None. They keep only the messages in flight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim import events as ev
from sim.grading import band


def _band_check(event: ev.AssessmentFacts | ev.AssessmentReceived) -> str | None:
    p = event.confidence
    if not 0.0 <= p <= 1.0:
        return f"{event.assessment} has confidence {p!r}, not a probability"
    expected = band(p)
    if event.band != expected:
        return (
            f"{event.assessment} is said to be {event.band!r} at confidence {p:.4f}, "
            f"which is {expected!r}: the line was edited"
        )
    return None


def consistency_handlers() -> dict[type, Callable[[Any], str | None]]:
    """Event type -> the check of facts that must agree (see the module docstring)."""
    in_flight: dict[str, tuple[str, str, ev.Marking]] = {}

    def sent(event: ev.MessageSent) -> None:
        in_flight[event.message] = (event.item, event.kind, event.marking)

    def delivered(event: ev.MessageDelivered) -> str | None:
        was = in_flight.pop(event.message, None)
        if was is not None and was != (event.item, event.kind, event.marking):
            return _carried_text(event, was)
        return None

    def dropped(event: ev.MessageDropped) -> None:
        in_flight.pop(event.message, None)

    # one dict lookup per event: verify runs this on every line of a long log
    handlers: dict[type, Callable[[Any], str | None]] = {
        ev.AssessmentIssued: _band_check,
        ev.AssessmentUpdated: _band_check,
        ev.AssessmentReceived: _band_check,
        ev.MessageSent: sent,
        ev.MessageDelivered: delivered,
        ev.MessageDropped: dropped,
    }
    return handlers


def _carried_text(got: ev.MessageDelivered, was: tuple[str, str, ev.Marking]) -> str:
    item, kind, marking = was
    return (
        f"message {got.message} was sent as {item} ({kind}) marked {marking.classification} "
        f"REL TO {', '.join(marking.rel_to)} but delivered as {got.item} ({got.kind}) marked "
        f"{got.marking.classification} REL TO {', '.join(got.marking.rel_to)}"
    )
