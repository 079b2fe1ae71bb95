"""Run metrics as an incremental projection of the event log (DESIGN.md, "Metrics").

:class:`MetricsProjection` is fed every event of a run, once, in order: live as a
recorder listener or afterwards from the log, with the same result. It keeps small
per-report and per-message dicts (dropped as soon as an item is done with) and the
samples of each distribution, never the events themselves.

Who knew what and when (time to knowledge, episodes, first appearance, false
attribution, partner evidence) is :mod:`sim.analysis.knowledge`, fed from here; a
report *traces to* a usage when it names the usage's munition (a misidentified report
traces to none), and only such reports are genuine support.

What it remembers per report and per usage (memory must not grow with every report):

- a report's ``(time reported, traced usage, fabricated, node filed at)`` is needed
  when the report enters a queue (latency) and when an assessment lists it. It enters
  queues only while it is *in play* (queued, under analysis or riding a message; the same rule as
  ``sim.state.evolve``, counted here from the events alone, and forgotten once its
  count is 0 and the clock has moved on). An assessment only ever lists reports its
  node has analysed, and only fusion nodes issue assessments (an intervention can
  tune a node's fusion, never give a node fusion it lacks), so a report analysed at a
  fusion node is kept for the whole run: a cluster can stay open, and be updated
  with all its reports, for as long as reports keep joining it, so no age bound is
  sound. Every other report is forgotten once retired; with no fusion node in the
  scenario, that is every report.
- a usage's munition is needed by any sighting of it, and a collector's delay is
  unbounded, so it is kept for the whole run, but compactly: 1 byte a usage in an
  array indexed by the engine's ids ``U1, U2, ...`` (any other id falls back to a
  dict). Its time is the knowledge's (monitored uses only), not kept here.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from sim import events as ev
from sim.analysis.deliveries import DeliveryCheck
from sim.analysis.durations import Durations
from sim.analysis.kinds import Kind
from sim.analysis.knowledge import Knowledge
from sim.analysis.ledger import id_slot
from sim.analysis.partner import PartnerMaterial
from sim.analysis.stats_basic import DIGITS
from sim.scenario.models import Scenario
from sim.state.evolve import cycle_collection_paused, scenario_after
from sim.state.model import WorldState

Metrics = dict[str, Any]


class _Node:
    """Running tallies of one node."""

    __slots__ = (
        "analysed",
        "analysis",
        "consent_asked",
        "consent_granted",
        "consent_refused",
        "consent_tearlines",
        "consent_wait",
        "exploited",
        "issued",
        "latency",
        "queue_wait",
        "received",
        "received_assessments",
        "started",
        "updated",
        "waiting",
    )

    def __init__(self) -> None:
        self.waiting: dict[str, float] = {}  # report -> entered the queue
        self.started: dict[str, float] = {}  # report -> analysis began
        self.received = 0
        self.analysed = 0
        self.latency = Durations()
        self.queue_wait = Durations()
        self.analysis = Durations()
        self.issued = 0
        self.updated = 0
        self.received_assessments = 0
        self.exploited: dict[str, int] = {}  # outcome -> reports examined
        self.consent_asked = self.consent_granted = self.consent_refused = 0
        self.consent_tearlines = 0
        self.consent_wait = Durations()  # request -> answer


class _Link:
    """Running tallies of one link."""

    __slots__ = (
        "causes",
        "delivered",
        "down_h",
        "down_since",
        "dropped",
        "held",
        "intercepted",
        "outages",
        "sent",
        "transit",
    )

    def __init__(self) -> None:
        self.sent = 0
        self.delivered = 0
        self.held = 0
        self.intercepted = 0
        self.dropped: dict[str, int] = {}
        self.transit = Durations()
        self.causes: set[str] = set()
        self.down_since: float | None = None
        self.outages = 0
        self.down_h = 0.0


class MetricsProjection:
    """Incremental metrics of one run: call :meth:`apply` per event, then :meth:`result`.

    The rules in force (who fuses, what a delivery may carry) are those of the scenario
    in force, which the folded state holds: give `state` when the caller folds the same
    events through evolve before this projection sees them (the recorder, `verify`);
    without one, the projection follows interventions by evolve's own rule.
    """

    def __init__(self, scenario: Scenario, state: WorldState | None = None) -> None:
        self._state = state
        self.scenario = scenario if state is None else state.scenario  # in force
        self.events = 0
        self.t = 0.0
        self.usages = 0
        self.reports = 0
        self.collected = 0
        self.fabricated = 0
        self.denials = 0
        self.misidentified = 0
        self.indicators = 0
        self.shipments: dict[str, str] = {}  # shipment -> munition (few: kept for the run)
        self.interventions = 0
        self.drops: dict[str, int] = {}
        # usage -> munition, compact: U<n> at index n-1 of this array
        self._usage_m: array[int] = array("B")  # index into _munitions (widened if need be)
        self._munitions: list[str] = []
        self._munition_ix: dict[str, int] = {}
        self._usage_other: dict[str, str] = {}  # ids not of the form U<n>
        # the last usage and its munition: a sighting often follows its use at once
        self._last_usage: tuple[str | None, str] = (None, "")
        self.knowledge = Knowledge(scenario)
        # report -> (time reported, the usage it truly traces to or None, fabricated, node)
        self._reports: dict[str, tuple[float, str | None, bool, str]] = {}
        # reports in play (see the module docstring): report -> places holding it
        self._holds: dict[str, int] = {}
        self._idle: list[str] = []  # count fell to 0 at time `t`
        self._report_msgs: dict[str, str] = {}  # report message in flight -> report
        self._fusion = {name for name, node in scenario.nodes.items() if node.fusion is not None}
        self._sent_at: dict[str, float] = {}  # message in flight -> sent
        self.deliveries = DeliveryCheck(self.scenario)  # releasability of every delivery
        self.nodes: dict[str, _Node] = {name: _Node() for name in scenario.nodes}
        self.links: dict[str, _Link] = {link.name: _Link() for link in scenario.links}
        self._handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.MunitionUsed: self._munition_used,
            ev.SightingReported: self._sighting,
            ev.ReportReceived: self._report_received,
            ev.AnalysisStarted: self._analysis_started,
            ev.AnalysisCompleted: self._analysis_completed,
            ev.AssessmentIssued: self._assessment_issued,
            ev.AssessmentUpdated: self._assessment_updated,
            ev.AssessmentReceived: self._assessment_received,
            ev.MessageSent: self._message_sent,
            ev.MessageHeld: self._message_held,
            ev.MessageDelivered: self._message_delivered,
            ev.MessageDropped: self._message_dropped,
            ev.MessageIntercepted: self._message_intercepted,
            ev.LinkDown: self._link_down,
            ev.LinkUp: self._link_up,
            ev.InterventionApplied: self._intervention,
            ev.ReportExploited: self._report_exploited,
            ev.ShipmentDeparted: self._shipment_departed,
            ev.ShipmentArrived: self._shipment_arrived,
            ev.ConsentRequested: self._consent_requested,
            ev.ConsentGranted: self._consent_answered,
            ev.ConsentRefused: self._consent_answered,
        }
        self.partner = PartnerMaterial(scenario)
        self._asked_at: dict[str, float] = {}  # consent request pending -> when asked
        self._consent_holds: set[str] = set()  # requests holding a report in play

    # --- the hot path ----------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Fold one event into the tallies (cheap: one dict lookup and a handler)."""
        self.events += 1
        t = event.t
        if t > self.t and self._idle:
            self._retire()
        self.t = t
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def feed(
        self, events: Iterable[ev.Event], refused: list[tuple[int, str]] | None = None
    ) -> None:
        """:meth:`apply` every event in turn, in one loop with its lookups bound once (a
        long log's hot path: no call per event but the handler's).

        With `refused`, each delivery the rules in force refuse is added to it as
        ``(seq, sentence)``, as `verify` reports it.
        """
        get = self._handlers.get
        idle = self._idle
        deliveries = self.deliveries
        count, last = self.events, self.t
        seen = deliveries.violations
        try:
            for event in events:
                count += 1
                t = event.t
                if t > last and idle:
                    self._retire()
                last = t
                handler = get(type(event))
                if handler is not None:
                    handler(event)
                    if refused is not None and deliveries.violations != seen:
                        seen = deliveries.violations
                        if sentence := deliveries.last:
                            refused.append((event.seq, sentence))
        finally:  # (no handler reads them: kept here, once)
            self.events, self.t = count, last

    def _node(self, name: str) -> _Node:
        node = self.nodes.get(name)
        if node is None:  # a node the scenario does not declare: count it all the same
            node = self.nodes[name] = _Node()
        return node

    def _link(self, name: str) -> _Link:
        link = self.links.get(name)
        if link is None:
            link = self.links[name] = _Link()
        return link

    # --- reports in play, usages --------------------------------------------------------

    def _hold(self, report: str) -> None:
        holds = self._holds
        n = holds.get(report)
        if n is not None:  # (kept for good, or never reported: nothing to count)
            holds[report] = n + 1

    def _release(self, report: str) -> None:
        holds = self._holds
        n = holds.get(report)
        if n is not None:
            holds[report] = n - 1
            if n == 1:
                self._idle.append(report)

    def _retire(self) -> None:
        holds, reports = self._holds, self._reports
        idle = self._idle
        for report in idle:
            if not holds.get(report, 1):
                del holds[report]
                reports.pop(report, None)
        idle.clear()

    def _usage_slot(self, usage: str) -> int | None:
        """The array index of an engine usage id ``U<n>`` seen so far, or None."""
        index = id_slot(usage, "U")
        return index if index is not None and index < len(self._usage_m) else None

    def _usage(self, usage: str) -> str | None:
        """The munition of a usage, or None if unknown."""
        index = self._usage_slot(usage)
        if index is None:
            return self._usage_other.get(usage)
        return self._munitions[self._usage_m[index]]

    def _munition_used(self, e: ev.MunitionUsed) -> None:
        self.usages += 1
        munition, usage, used = e.munition, e.usage, self._usage_m
        ix = self._munition_ix.get(munition)
        if ix is None:
            ix = self._munition_ix[munition] = len(self._munitions)
            self._munitions.append(munition)
            if ix == 256:  # more munitions than a byte can number
                used = self._usage_m = array("I", used)
        self._last_usage = (usage, munition)
        if usage == f"U{len(used) + 1}":
            used.append(ix)
        elif (index := self._usage_slot(usage)) is not None:
            # an id used twice (never by the engine): the later use wins, as in a dict
            used[index] = ix
        else:
            self._usage_other[usage] = munition
        self.knowledge.used(e)

    def _consent_requested(self, e: ev.ConsentRequested) -> None:
        self._node(e.node).consent_asked += 1
        self.deliveries.consent_requested(e)
        self._asked_at[e.request] = e.t
        if e.item in self._holds:  # a report waiting for consent stays in play
            self._hold(e.item)
            self._consent_holds.add(e.request)

    def _consent_answered(self, e: ev.ConsentGranted | ev.ConsentRefused) -> None:
        node = self.nodes.get(e.node) or self._node(e.node)
        self.deliveries.consent_answered(e)
        asked = self._asked_at.pop(e.request, None)
        if asked is not None:
            node.consent_wait.append(e.t - asked)
        if e.request in self._consent_holds:
            self._consent_holds.discard(e.request)
            self._release(e.item)
        if isinstance(e, ev.ConsentGranted):
            node.consent_granted += 1
            node.consent_tearlines += e.tearline
        else:
            node.consent_refused += 1

    def _shipment_departed(self, e: ev.ShipmentDeparted) -> None:
        self.shipments[e.shipment] = e.munition
        self.knowledge.shipped(e)

    def _shipment_arrived(self, e: ev.ShipmentArrived) -> None:
        self.knowledge.arrived(e)

    def _traced(self, usage: str | None, shipment: str | None, munition: str) -> str | None:
        """The use or shipment a report naming `munition` truly traces to, or None."""
        if shipment is not None:
            return shipment if self.shipments.get(shipment) == munition else None
        if usage is not None and self._usage(usage) == munition:
            return usage
        return None

    def _sighting(self, e: ev.SightingReported) -> None:
        self.reports += 1
        traced: str | None = None
        usage, report = e.usage, e.report
        fabricated = False
        if e.shipment is not None:
            self.indicators += 1
            traced = self._traced(None, e.shipment, e.munition)
            if traced is None:
                self.misidentified += 1
        elif usage is None:
            fabricated = True
            if e.polarity == "contradicts":
                self.denials += 1
            else:
                self.fabricated += 1
        else:
            self.collected += 1
            last, munition = self._last_usage
            # (the last usage's munition is what `_usage` would find: no later use changed it)
            used = munition if usage == last else self._usage(usage)
            if used == e.munition:
                traced = usage
            elif used is not None:
                self.misidentified += 1
        self._reports[report] = (e.t, traced, fabricated, e.node)
        # held by nothing yet: the node's ReportReceived follows at the same instant
        self._holds.setdefault(report, 0)
        self._idle.append(report)

    def _report_exploited(self, e: ev.ReportExploited) -> None:
        node = self.nodes.get(e.node) or self._node(e.node)
        node.exploited[e.outcome] = node.exploited.get(e.outcome, 0) + 1
        if e.derived is None:
            return
        traced = self._traced(e.usage, e.shipment, e.munition_after)
        self._reports[e.derived] = (e.t, traced, False, e.node)
        self.deliveries.exploited(e)
        self.partner.exploited(e)
        if e.node in self._fusion:  # filed in a cluster at once: an assessment may list it
            return
        self._holds.setdefault(e.derived, 0)
        self._idle.append(e.derived)

    def _report_received(self, e: ev.ReportReceived) -> None:
        report, t = e.report, e.t
        if report in self.partner.created:  # (a call per report otherwise: the hot path)
            self.partner.report_received(e)
        node = self.nodes.get(e.node) or self._node(e.node)
        node.received += 1
        node.waiting[report] = t
        holds = self._holds
        n = holds.get(report)  # (the rule of `_hold`, inline: the hot path)
        if n is not None:
            holds[report] = n + 1
            idle = self._idle
            if not n and idle and idle[-1] == report:
                # just reported, now held: retiring it would find it held and skip it
                idle.pop()
        origin = self._reports.get(report)
        if e.via is not None:  # by a message (most come from collectors)
            filed_at = None if origin is None else origin[3]
            self.deliveries.received(e.node, report, e.via, filed_at)
        if origin is not None and not origin[2]:  # a fake is made up on the spot: no latency
            d = t - origin[0]
            if d:  # stored, as Durations.append would (a C call: the hot path)
                node.latency.values.append(d)
            else:
                node.latency.append(d)

    def _analysis_started(self, e: ev.AnalysisStarted) -> None:
        report, t = e.report, e.t
        node = self.nodes.get(e.node) or self._node(e.node)
        entered = node.waiting.pop(report, None)
        if entered is not None:
            d = t - entered
            if d:  # stored, as Durations.append would (a C call: the hot path)
                node.queue_wait.values.append(d)
            else:
                node.queue_wait.append(d)
        node.started[report] = t

    def _analysis_completed(self, e: ev.AnalysisCompleted) -> None:
        name, report, t = e.node, e.report, e.t
        node = self.nodes.get(name) or self._node(name)
        node.analysed += 1
        began = node.started.pop(report, None)
        if began is not None:
            d = t - began
            if d:  # stored, as Durations.append would (a C call: the hot path)
                node.analysis.values.append(d)
            else:
                node.analysis.append(d)
        if self.deliveries.held:  # (a method call per report otherwise: the hot path)
            self.deliveries.analysed(t, name, report)
        if name in self._fusion:  # an assessment may list it: keep it for good
            self._holds.pop(report, None)
        else:
            self._release(report)

    def _facts(self, report: str) -> tuple[bool, bool, str] | None:
        """(genuine, fabricated, node filed at) of a report an assessment lists."""
        origin = self._reports.get(report)
        if origin is None:
            return None
        return origin[1] is not None, origin[2], origin[3]

    def _assessment_issued(self, e: ev.AssessmentIssued) -> None:
        self._node(e.node).issued += 1
        self.deliveries.published(e)
        self.knowledge.published(e, self._facts)
        self.partner.published(e)

    def _assessment_updated(self, e: ev.AssessmentUpdated) -> None:
        self._node(e.node).updated += 1
        self.deliveries.published(e)
        self.knowledge.published(e, self._facts)
        self.partner.published(e)

    def _assessment_received(self, e: ev.AssessmentReceived) -> None:
        self._node(e.node).received_assessments += 1
        self.deliveries.received(e.node, e.assessment, e.via)
        self.knowledge.received(e)
        self.partner.received(e)

    def _message_sent(self, e: ev.MessageSent) -> None:
        self._link(e.link).sent += 1
        self._sent_at[e.message] = e.t
        if self.deliveries.held or self.deliveries.issuer:
            self.deliveries.sent(e)
        if e.kind == "report" and e.item in self._holds:
            self._hold(e.item)
            self._report_msgs[e.message] = e.item

    def _message_held(self, e: ev.MessageHeld) -> None:
        self._link(e.link).held += 1

    def _message_delivered(self, e: ev.MessageDelivered) -> None:
        link = self._link(e.link)
        link.delivered += 1
        sent = self._sent_at.pop(e.message, None)
        if sent is not None:
            link.transit.append(e.t - sent)
        report = self._report_msgs.pop(e.message, None)
        if report is not None:
            self._release(report)
        self.deliveries.delivered(e)

    def _message_dropped(self, e: ev.MessageDropped) -> None:
        dropped = self._link(e.link).dropped
        dropped[e.reason] = dropped.get(e.reason, 0) + 1
        self.drops[e.reason] = self.drops.get(e.reason, 0) + 1
        self._sent_at.pop(e.message, None)
        if self.deliveries.sent_under:
            self.deliveries.dropped(e)
        report = self._report_msgs.pop(e.message, None)
        if report is not None:
            self._release(report)

    def _message_intercepted(self, e: ev.MessageIntercepted) -> None:
        self._link(e.link).intercepted += 1

    def _link_down(self, e: ev.LinkDown) -> None:
        link = self._link(e.link)
        if not link.causes:
            link.down_since = e.t
            link.outages += 1
        link.causes.add(e.cause)

    def _link_up(self, e: ev.LinkUp) -> None:
        link = self._link(e.link)
        link.causes.discard(e.cause)
        if not link.causes and link.down_since is not None:
            link.down_h += e.t - link.down_since
            link.down_since = None

    def _intervention(self, e: ev.InterventionApplied) -> None:
        self.interventions += 1
        state = self._state
        scenario = scenario_after(self.scenario, e) if state is None else state.scenario
        self.scenario = scenario
        self._fusion = {name for name, node in scenario.nodes.items() if node.fusion is not None}
        self.deliveries.in_force(scenario)

    # --- the result ------------------------------------------------------------------

    def result(self) -> Metrics:
        """The metrics so far, JSON-ready, keys in a fixed order; None where undefined."""
        usages = self.usages
        nodes = {name: self._node_result(name, node) for name, node in self.nodes.items()}
        links = {name: self._link_result(link) for name, link in self.links.items()}
        totals = list(self.links.values())
        knowledge = self.knowledge
        return {
            "run": {
                "events": self.events,
                "t_end_h": round(self.t, DIGITS),
                "usages": usages,
                "usages_monitored": knowledge.usages,
                "usages_lookalike": knowledge.lookalike,
                "episodes": knowledge.episodes(),
                "reports": self.reports,
                "reports_collected": self.collected,
                "reports_fabricated": self.fabricated,
                "reports_denials": self.denials,
                "reports_misidentified": self.misidentified,
                "reports_indicators": self.indicators,
                "shipments": len(self.shipments),
                "assessments_issued": sum(n.issued for n in self.nodes.values()),
                "messages_sent": sum(k.sent for k in totals),
                "messages_delivered": sum(k.delivered for k in totals),
                "messages_dropped": sum(self.drops.values()),
                "messages_held": sum(k.held for k in totals),
                "messages_in_flight": len(self._sent_at),
                "link_outages": sum(k.outages for k in totals),
                "interventions": self.interventions,
            },
            "nodes": nodes,
            "links": links,
            "drops_by_reason": dict(sorted(self.drops.items())),
            "intercepted": sum(k.intercepted for k in totals),
            "releasability_violations": self.deliveries.violations,
        }

    def _node_result(self, name: str, node: _Node) -> Metrics:
        return {
            "reports_received": node.received,
            "reports_analysed": node.analysed,
            "report_latency_h": node.latency.describe(),
            "queue_wait_h": node.queue_wait.describe(),
            "analysis_time_h": node.analysis.describe(),
            "assessments_issued": node.issued,
            "assessments_updated": node.updated,
            "assessments_received": node.received_assessments,
            "reports_exploited": dict(sorted(node.exploited.items())),
            "consent_asked": node.consent_asked,
            "consent_granted": node.consent_granted,
            "consent_refused": node.consent_refused,
            "consent_tearlines": node.consent_tearlines,
            "consent_wait_h": node.consent_wait.describe(),
            **self.knowledge.node_result(name, self.t),
            **self.partner.node_result(name, self.t),
        }

    def _link_result(self, link: _Link) -> Metrics:
        down = link.down_h
        if link.down_since is not None:  # still down when the log ends
            down += self.t - link.down_since
        return {
            "sent": link.sent,
            "delivered": link.delivered,
            "held": link.held,
            "dropped": dict(sorted(link.dropped.items())),
            "intercepted": link.intercepted,
            "transit_h": link.transit.describe(),
            "outages": link.outages,
            "down_h": round(down, DIGITS),
        }


# --- the kind of every metric ----------------------------------------------------------
#
# Declared here, with the metrics: the statistics over replications choose each
# interval by kind and keep it inside the kind's range. Flattened names, `*` standing
# for a node, link or reason. A metric added to `result` needs its line here (a test
# runs scenarios and fails on any metric without one).

DURATION_STATS = {
    "n": Kind.COUNT,
    "mean": Kind.TIME_MEAN,
    "median": Kind.TIME_QUANTILE,
    "p90": Kind.TIME_QUANTILE,
    "max": Kind.TIME_MAX,
}  # what `describe` gives of a sample of durations in hours


def _durations(name: str) -> dict[str, Kind]:
    return {f"{name}.{stat}": kind for stat, kind in DURATION_STATS.items()}


_RUN_COUNTS = [
    "events",
    "usages",
    "episodes",
    "reports",
    "reports_collected",
    "reports_fabricated",
    "reports_misidentified",
    "assessments_issued",
    "messages_sent",
    "messages_delivered",
    "messages_dropped",
    "messages_held",
    "messages_in_flight",
    "link_outages",
    "interventions",
    "usages_monitored",
    "usages_lookalike",
    "reports_denials",
    "reports_indicators",
    "shipments",
]
_NODE_COUNTS = [
    "reports_received",
    "reports_analysed",
    "assessments_issued",
    "assessments_updated",
    "assessments_received",
    "usages_known",
    "episodes_known",
    "false_attributions",
    "consent_asked",
    "consent_granted",
    "consent_refused",
    "consent_tearlines",
]
_LINK_COUNTS = ["sent", "delivered", "held", "intercepted", "outages"]

KINDS: dict[str, Kind] = {
    **{f"run.{name}": Kind.COUNT for name in _RUN_COUNTS},
    "run.t_end_h": Kind.TIME,
    **{f"nodes.*.{name}": Kind.COUNT for name in _NODE_COUNTS},
    **_durations("nodes.*.report_latency_h"),
    **_durations("nodes.*.queue_wait_h"),
    **_durations("nodes.*.analysis_time_h"),
    **_durations("nodes.*.consent_wait_h"),
    # time from a partner's item (assessment, finding) to a node benefiting from it
    "nodes.*.partner_material_median_h": Kind.CENSORED_TIME,
    "nodes.*.partner_material_within_*d": Kind.SHARE,
    "nodes.*.coverage": Kind.SHARE,
    "nodes.*.usage_coverage": Kind.SHARE,
    # time to knowledge with censoring: a Kaplan–Meier median (None: not reached by the
    # horizon) and the shares known within d days; first appearance (None: never)
    "nodes.*.knowledge_median_h": Kind.CENSORED_TIME,
    "nodes.*.known_within_*d": Kind.SHARE,
    "nodes.*.first_appearance_h.*": Kind.CENSORED_TIME,
    "nodes.*.false_attribution_rate": Kind.SHARE,
    "nodes.*.false_attribution_h": Kind.TIME,
    "nodes.*.misidentified_support": Kind.COUNT,
    "nodes.*.reports_exploited.*": Kind.COUNT,
    # supply-chain warning: first use minus first sound warning (None: never warned, the
    # smallest value); share of shipments warned of before they reached the depots
    "nodes.*.warning_lead_h.*": Kind.LEAD_TIME,
    "nodes.*.shipments_warned": Kind.SHARE,
    "nodes.*.false_warnings": Kind.COUNT,
    "nodes.*.on_partner_evidence": Kind.SHARE,
    "nodes.*.partner_evidence.*": Kind.SHARE,
    **{f"links.*.{name}": Kind.COUNT for name in _LINK_COUNTS},
    "links.*.dropped.*": Kind.COUNT,
    **_durations("links.*.transit_h"),
    "links.*.down_h": Kind.TIME,
    "drops_by_reason.*": Kind.COUNT,
    "intercepted": Kind.COUNT,
    "releasability_violations": Kind.COUNT,
}

_PATTERNS = [
    (re.compile("^" + ".+".join(re.escape(part) for part in pattern.split("*")) + "$"), kind)
    for pattern, kind in KINDS.items()
]


@lru_cache(maxsize=4096)
def kind_of(name: str) -> Kind:
    """The declared kind of a flattened metric name; NUMBER for a name not declared."""
    for pattern, kind in _PATTERNS:
        if pattern.match(name):
            return kind
    return Kind.NUMBER


def metrics_from_events(scenario: Scenario, events: Iterable[ev.Event]) -> Metrics:
    """The metrics of a run, computed from its events alone."""
    projection = MetricsProjection(scenario)
    with cycle_collection_paused():  # (no cycles made: a collection would only walk the heap)
        projection.feed(events)
        return projection.result()


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float | int | None]:
    """Numbers of a metrics dict under dotted keys (``nodes.NATO-JISD.coverage``), in order."""
    flat: dict[str, float | int | None] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, bool):
            flat[name] = int(value)
        elif value is None or isinstance(value, int | float):
            flat[name] = value
    return flat
