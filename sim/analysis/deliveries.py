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

A node's *own* assessment is judged against the material it rests on, as the engine's
consent ledger releases it: each version's counted lines name the partner assessments
they came through and the reports the node counted itself; the marking the node holds the
version under is the combination (:func:`sim.scenario.markings.combine`) of the markings
it holds those items under, other nations' material only (its own nation's is its to
release). So a node that fuses or exploits keeps the marking of every report it received
(``kept``), as the engine does; an exploitation's re-reading is held under the marking of
the report it re-reads, never as the reading node's own.
"""

from __future__ import annotations

from sim import events as ev
from sim.scenario.markings import combine, widened
from sim.scenario.models import Scenario
from sim.scenario.releasability import MarkingPair, Refusal, Releasability


class DeliveryCheck:
    """Counts deliveries the releasability rule refuses; remembers the last one, in words."""

    def __init__(self, scenario: Scenario) -> None:
        self.in_force(scenario)
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
        # at nodes that fuse or exploit: (node, report) -> (its originator's nation, the
        # marking received under), for good: the material their own assessments rest on
        self.kept: dict[tuple[str, str], tuple[str, MarkingPair]] = {}
        self.issuer: dict[str, str] = {}  # assessment -> the node that issued it
        # (assessment, version) -> the items of other nodes its lines rest on
        self.rests_on: dict[tuple[str, int], list[str]] = {}

    def in_force(self, scenario: Scenario) -> None:
        """An intervention put `scenario` in force: judge later deliveries by its rules."""
        self.rules = Releasability(scenario)
        self.nations = {name: spec.nation for name, spec in scenario.nodes.items()}
        self.keeping = {
            name
            for name, spec in scenario.nodes.items()
            if spec.fusion is not None or spec.expertise is not None
        }

    def _forget_shared(self, t: float) -> None:
        if self._expire and t > self._expire_t:
            held = self.held
            for key in self._expire:
                held.pop(key, None)
                if self.granted and key not in self.kept:
                    self.granted.pop(key, None)
            self._expire.clear()

    def received(self, node: str, item: str, via: str | None, origin: str | None = None) -> None:
        """A node took in an item (``ReportReceived`` or ``AssessmentReceived``); `origin`:
        for a report, the node it was filed at."""
        delivered = self._delivered
        if via is not None and delivered is not None and delivered.message == via:
            marking = delivered.marking
            pair = self.held[(node, item)] = (marking.classification, marking.rel_to)
            if origin is not None and node in self.keeping:
                self.kept[(node, item)] = (self.nations.get(origin, ""), pair)

    def exploited(self, e: ev.ReportExploited) -> None:
        """A node re-read a report's material: the new report is held as the examined one."""
        if e.derived is None:
            return
        key = (e.node, e.report)
        examined = self.kept.get(key)
        if examined is not None:
            nation, marking = examined
            self.kept[(e.node, e.derived)] = (nation, self.granted.get(key) or marking)

    def published(self, e: ev.AssessmentFacts) -> None:
        """A node issued or updated its own assessment: note the items its lines rest on."""
        self.issuer.setdefault(e.assessment, e.node)
        items: list[str] = []
        for line in e.evidence:
            if line.via:
                items.append(line.via[0])
            else:
                items.extend(r for r in line.reports if (e.node, r) in self.kept)
        self.rests_on[(e.assessment, e.version)] = items

    def _own(self, node: str, assessment: str, version: int) -> MarkingPair | None:
        """The marking a node holds a version of its own assessment under: that of the other
        nations' material it rests on (None: none of it)."""
        here = self.nations.get(node)
        scenario = self.rules.scenario
        held: MarkingPair | None = None
        for item in self.rests_on.get((assessment, version), ()):
            key = (node, item)
            kept = self.kept.get(key)
            if kept is not None:
                nation, under = kept
            elif key in self.held:
                nation, under = self.nations.get(self.issuer.get(item, ""), ""), self.held[key]
            else:
                continue
            if nation == here:
                continue
            under = self.granted.get(key) or under
            held = (
                under
                if held is None
                else combine(held, under, scenario.communities, scenario.classifications)
            )
        return held

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
        (callers may skip this while ``held`` and ``kept`` are empty and no assessment has
        been published)."""
        self._forget_shared(e.t)
        sender = self._senders.get(e.link)
        if sender is None:
            sender = self._senders[e.link] = e.link.partition("->")[0]
        key = (sender, e.item)
        if e.kind != "report" and self.issuer.get(e.item) == sender:
            held = self._own(sender, e.item, e.version)
        else:
            held = (self.granted.get(key) if self.granted else None) or self.held.get(key)
            if held is None and key in self.kept:
                held = self.kept[key][1]
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
