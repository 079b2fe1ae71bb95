"""Every delivery of a log judged by the one releasability rule, with the rules in force.

:class:`DeliveryCheck` is fed the message and receipt events of a run in order (the
metrics projection does it) and asks :mod:`sim.scenario.releasability` about each
``MessageDelivered``: REL TO, the link's ceiling and the destination's clearance under
the scenario in force at that moment, and whether a re-shared item left its sender
under a marking looser than the one the sender received it under.

To judge re-sharing it follows, from the events alone, the marking under which each
node holds what it received from another node: a report from its ``ReportReceived``
(via a message) until the instant its analysis ends (a node shares a report then, at
that same instant), an assessment from each ``AssessmentReceived`` on. So what it keeps
is bounded by the reports waiting in queues and the assessments received.
"""

from __future__ import annotations

from sim import events as ev
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

    def in_force(self, scenario: Scenario) -> None:
        """An intervention put `scenario` in force: judge later deliveries by its rules."""
        self.rules = Releasability(scenario)

    def _forget_shared(self, t: float) -> None:
        if self._expire and t > self._expire_t:
            held = self.held
            for key in self._expire:
                held.pop(key, None)
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

    def sent(self, e: ev.MessageSent) -> None:
        """A message left its sender: note the marking it held the item under, if any
        (callers may skip this while ``held`` is empty)."""
        self._forget_shared(e.t)
        sender = self._senders.get(e.link)
        if sender is None:
            sender = self._senders[e.link] = e.link.partition("->")[0]
        held = self.held.get((sender, e.item))
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
