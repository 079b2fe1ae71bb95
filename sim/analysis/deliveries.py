"""Every delivery of a log judged by the one releasability rule, with the rules in force.

:class:`DeliveryCheck` is fed the message and receipt events of a run in order (the
metrics projection does it) and asks :mod:`sim.scenario.releasability` about each
``MessageDelivered``: REL TO, the link's ceiling and the destination's clearance under
the scenario in force at that moment, and whether a re-shared item left its sender
under a marking looser than the one the sender received it under.

To judge re-sharing it follows, from the events alone, the marking under which each
node holds what it received from another node: a report from its ``ReportReceived``
(via a message) until the instant its analysis ends (a node shares a report then, at
that same instant) or, when it waits for its originator's consent, until the answer; an
assessment from each ``AssessmentReceived`` on. An originator's ``ConsentGranted``
widens what the node holds (:func:`sim.scenario.markings.widened`, as the engine does):
the one loosening the rule admits, approved by the originator and in the log. So what
it keeps is bounded by the reports waiting in queues or for consent and the assessments
received.
"""

from __future__ import annotations

from sim import events as ev
from sim.scenario.markings import widened
from sim.scenario.models import Scenario
from sim.scenario.releasability import MarkingPair, Refusal, Releasability


class DeliveryCheck:
    """Counts deliveries the releasability rule refuses; remembers the last one, in words."""

    def __init__(self, scenario: Scenario) -> None:
        self.rules = Releasability(scenario)
        self.violations = 0
        self.last: str | None = None  # the latest violation, in words
        # (node, item) -> the marking it was received under; empty: nothing to judge by
        self.held: dict[tuple[str, str], MarkingPair] = {}
        self._expire: list[tuple[str, str]] = []  # reports analysed at `_expire_t`
        self._expire_t = 0.0
        # re-shared message in flight -> the marking its sender received the item under
        self.sent_under: dict[str, MarkingPair] = {}
        self._senders: dict[str, str] = {}  # link -> its sending node
        self._delivered: ev.MessageDelivered | None = None  # its receipt follows at once
        self._asked: dict[tuple[str, str], int] = {}  # (node, item) -> consents pending
        # (node, item) -> the marking its originators consented to (kept over later receipts)
        self.granted: dict[tuple[str, str], MarkingPair] = {}

    def in_force(self, scenario: Scenario) -> None:
        """An intervention put `scenario` in force: judge later deliveries by its rules."""
        self.rules = Releasability(scenario)

    def _forget_shared(self, t: float) -> None:
        if self._expire and t > self._expire_t:
            held = self.held
            for key in self._expire:
                held.pop(key, None)
                if self.granted:
                    self.granted.pop(key, None)
            self._expire.clear()

    def received(self, node: str, item: str, via: str | None) -> None:
        """A node took in an item (``ReportReceived`` or ``AssessmentReceived``)."""
        delivered = self._delivered
        if via is not None and delivered is not None and delivered.message == via:
            marking = delivered.marking
            self.held[(node, item)] = (marking.classification, marking.rel_to)

    def analysed(self, t: float, node: str, report: str) -> None:
        """A node finished a report: it shares it at this instant, then no more (callers
        may skip this while ``held`` is empty)."""
        self._forget_shared(t)
        key = (node, report)
        if key in self.held:
            self._expire.append(key)
            self._expire_t = t

    def consent_requested(self, e: ev.ConsentRequested) -> None:
        """A node asks an originator's consent: a report it is sharing at this instant stays
        held until the answer (an assessment is held anyway)."""
        key = (e.node, e.item)
        self._forget_shared(e.t)
        if key in self._asked:
            self._asked[key] += 1
        elif key in self._expire:
            self._expire.remove(key)
            self._asked[key] = 1

    def consent_answered(self, e: ev.ConsentGranted | ev.ConsentRefused) -> None:
        """The originator answered: a grant widens what the node holds. The deferred
        sendings follow at this instant; then a report no other consent waits for is
        forgotten as shared."""
        key = (e.node, e.item)
        self._forget_shared(e.t)
        if isinstance(e, ev.ConsentGranted):
            granted = (e.marking.classification, e.marking.rel_to)
            communities = self.rules.scenario.communities
            before = self.granted.get(key) or self.held.get(key)
            self.granted[key] = widened(before, granted, communities)
        pending = self._asked.get(key)
        if pending is None:
            return
        if pending > 1:
            self._asked[key] = pending - 1
            return
        del self._asked[key]
        self._expire.append(key)
        self._expire_t = e.t

    def sent(self, e: ev.MessageSent) -> None:
        """A message left its sender: note the marking it held the item under, if any
        (callers may skip this while ``held`` is empty)."""
        self._forget_shared(e.t)
        sender = self._senders.get(e.link)
        if sender is None:
            sender = self._senders[e.link] = e.link.partition("->")[0]
        key = (sender, e.item)
        held = (self.granted.get(key) if self.granted else None) or self.held.get(key)
        if held is not None:
            self.sent_under[e.message] = held

    def dropped(self, e: ev.MessageDropped) -> None:
        """A message was refused or lost: nothing to judge (callers may skip this while
        ``sent_under`` is empty)."""
        self.sent_under.pop(e.message, None)

    def delivered(self, e: ev.MessageDelivered) -> Refusal | None:
        """Judge a delivery by the rules in force; count and describe a violation."""
        held = self.sent_under.pop(e.message, None) if self.sent_under else None
        marking = e.marking
        self._delivered = e
        refused = self.rules.refusal(e.link, marking.classification, marking.rel_to, held)
        if refused is not None:
            self.violations += 1
            self.last = f"{e.item} delivered over {e.link}: {refused.why}"
        return refused
