"""The story of a run in the domain's words, one line per event, with real UTC times.

Streaming: :func:`timeline` reads events one at a time and keeps only what later
lines need to be told (who filed each report, where each assessment came from).
With ``as_node`` it tells what that node saw, and nothing of the ground truth.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Generator, Iterable, Iterator
from datetime import datetime, timedelta
from functools import lru_cache, reduce
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import msgspec.structs

from sim import events as ev
from sim.analysis.ledger import Filed, ReportBook, UsageBook, claim_text
from sim.analysis.perspective import QueryError, check_node, endpoints, seen_by, visible_to
from sim.analysis.phrases import sources_text
from sim.analysis.source import load_run
from sim.scenario.models import Scenario
from sim.scenario.units import format_hours, parse_duration
from sim.store import events_path, read_events

MAX_LISTED = 6  # supporting reports named in one line; the rest are counted
_HH_MM = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60)]


class Line(NamedTuple):
    """One line of a timeline: when, what kind of fact, and the sentence.

    A named tuple, not a frozen dataclass: one is made per event, and a frozen
    dataclass's field-by-field initialisation cost a sixth of a timeline's time.
    """

    seq: int
    t: float
    when: str
    # truth, report, analysis, exploitation, assessment, consent, message, drop, link,
    # intervention, run
    kind: str
    text: str
    ground_truth: bool = False

    def __str__(self) -> str:
        return f"{self.when}  {self.text}"


def marking_text(marking: ev.Marking) -> str:
    """``NATO RESTRICTED REL TO NATO, UKR``."""
    return f"{marking.classification.replace('-', ' ')} REL TO {', '.join(marking.rel_to)}"


def cause_text(cause: str) -> str:
    """An outage cause in words: ``cyber:ddos`` -> ``cyber attack ddos``."""
    kind, _, name = cause.partition(":")
    return f"cyber attack {name}" if kind == "cyber" and name else cause.replace("-", " ")


KINDS: dict[type[ev.Event], str] = {
    ev.RunStarted: "run",
    ev.MunitionUsed: "truth",
    ev.DisinformationInjected: "truth",
    ev.SightingReported: "report",
    ev.ReportReceived: "report",
    ev.AnalysisStarted: "analysis",
    ev.AnalysisCompleted: "analysis",
    ev.AssessmentIssued: "assessment",
    ev.AssessmentUpdated: "assessment",
    ev.AssessmentReceived: "assessment",
    ev.MessageSent: "message",
    ev.MessageHeld: "message",
    ev.MessageDelivered: "message",
    ev.MessageDropped: "drop",
    ev.MessageIntercepted: "truth",
    ev.LinkDown: "link",
    ev.LinkUp: "link",
    ev.LinkCompromised: "truth",
    ev.LinkSecured: "truth",
    ev.ReportExploited: "exploitation",
    ev.ShipmentDeparted: "truth",
    ev.ShipmentArrived: "truth",
    ev.ConsentRequested: "consent",
    ev.ConsentGranted: "consent",
    ev.ConsentRefused: "consent",
    ev.InterventionApplied: "intervention",
    ev.RunEnded: "run",
}
"""The kind of fact each event type tells (the terminal colours lines by it)."""

Say = Callable[[Any], str | None]
"""Tells one event: its sentence, or None for an event another line already tells."""


Hear = Callable[[Any], None]
"""Remembers of one event what telling it would, without the sentence."""

HEARD: dict[type[ev.Event], tuple[str, ...]] = {
    ev.MunitionUsed: ("t", "usage", "munition", "sector"),
    ev.DisinformationInjected: ("report", "campaign"),
    ev.SightingReported: (
        *("report", "collector", "discipline", "grade", "munition", "sector", "node"),
        *("polarity", "usage", "shipment"),
    ),
    ev.ReportReceived: ("t", "node", "report"),
    ev.AnalysisStarted: ("t", "node", "report"),
    ev.AnalysisCompleted: ("node", "report"),
    ev.AssessmentIssued: ("assessment", "node", "munition", "sector"),
    ev.AssessmentUpdated: ("assessment", "node", "munition", "sector"),
    ev.MessageSent: ("t", "message"),
    ev.MessageDelivered: ("message",),
    ev.MessageDropped: ("message",),
    ev.LinkDown: ("link", "cause"),
    ev.LinkUp: ("link", "cause"),
    ev.ReportExploited: (
        *("derived", "collector", "discipline", "grade_after", "munition_after", "sector"),
        *("node", "polarity", "usage", "shipment"),
    ),
    ev.ShipmentDeparted: ("shipment", "munition"),
}
"""The fields of each event type that :meth:`Narrator.hearing` reads (no other type's)."""


@lru_cache(maxsize=1)
def heard_decoder() -> tuple[msgspec.json.Decoder[Any], dict[type[ev.Event], type]]:
    """A decoder of log lines into stand-ins that hold only the fields :data:`HEARD` names
    (a third less to decode than whole events, for a reader that only hears them), and
    each event type's stand-in.

    A stand-in's type is not its event's: only :meth:`Narrator.remember` takes them.
    """
    stand_ins: dict[type[ev.Event], type] = {}
    for name, cls in ev.EVENT_TYPES.items():
        kept = HEARD.get(cls, ())
        spec: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for field in msgspec.structs.fields(cls):
            if field.name not in kept:
                continue
            if field.default is msgspec.NODEFAULT:
                spec.append((field.name, field.type))
            else:
                spec.append((field.name, field.type, field.default))
        stand_ins[cls] = msgspec.defstruct(
            f"Heard{name}", spec, tag_field="type", tag=name, kw_only=True, gc=False
        )
    union = reduce(operator.or_, stand_ins.values())  # tagged on "type", as events are
    return msgspec.json.Decoder(union), stand_ins


def _unsaid(event: ev.Event) -> None:
    """Tells nothing (ground truth to a node's timeline, which needs none of it)."""


class Narrator:
    """Turns events into sentences, remembering what later sentences refer to.

    One method per event type returns the sentence (a ground-truth event's, and a
    sighting's true origin, end in `` [ground truth]``), or None; :attr:`say` maps each
    type to it, so a loop over a log looks up one method per event and makes no record
    of what it tells (a line of a big log costs about a microsecond, and a record or a
    lookup more is a good part of it).
    """

    def __init__(self, scenario: Scenario, *, reveal_truth: bool = True) -> None:
        self.start = scenario.start
        midnight = scenario.start.replace(hour=0, minute=0, second=0, microsecond=0)
        self._midnight = midnight
        self._offset_us = (scenario.start - midnight) // timedelta(microseconds=1)
        self._day = -1
        self._day_text = ""
        self._minute = -1
        self._minute_text = ""
        self._lo, self._hi = 1.0, 0.0  # the times surely in `_minute` (none yet)
        self.notes = [i.note for i in scenario.interventions]
        self.fusion = {name for name, spec in scenario.nodes.items() if spec.fusion is not None}
        self.reveal_truth = reveal_truth
        self.routes = set(scenario.theater.routes)
        self.indicators: dict[str, str] = {}  # report -> the shipment it truly traces to
        self.shipments: dict[str, str] = {}  # shipment -> munition
        self.reports = ReportBook()  # every report filed, compactly (later lines name them)
        self.usages = UsageBook()  # every usage (a sighting may trace to it at any time)
        self.campaigns: dict[str, str] = {}  # fabricated report -> campaign
        self.assessments: dict[str, tuple[str, str, str]] = {}  # id -> node, munition, sector
        self.sent: dict[str, float] = {}  # message -> sent
        self.queued: dict[tuple[str, str], float] = {}
        self.began: dict[tuple[str, str], float] = {}
        self.down: dict[str, set[str]] = {}
        self._claims: list[tuple[str, str]] = []  # per kind of report filed: see _sighting
        self._truthless = False  # hears no ground truth, and keeps none (see for_a_node)
        self.say: dict[type[ev.Event], Say] = {
            ev.RunStarted: self._run_started,
            ev.MunitionUsed: self._munition_used,
            ev.DisinformationInjected: self._disinformation,
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
            ev.LinkCompromised: self._link_compromised,
            ev.LinkSecured: self._link_secured,
            ev.ReportExploited: self._report_exploited,
            ev.ShipmentDeparted: self._shipment_departed,
            ev.ShipmentArrived: self._shipment_arrived,
            ev.ConsentRequested: self._consent_requested,
            ev.ConsentGranted: self._consent_granted,
            ev.ConsentRefused: self._consent_refused,
            ev.InterventionApplied: self._intervention,
            ev.RunEnded: self._run_ended,
        }

    def when(self, t: float) -> str:
        """The UTC date and time of simulation time `t` (hours since the start).

        Formatting a datetime costs more than telling the rest of the line, so the day is
        formatted once per day and the minute computed (same result as `format_when`),
        and a time surely within the minute told last is told at once.
        """
        if self._lo <= t <= self._hi:  # events come in bursts within a minute
            return self._minute_text
        # whole minutes since the first midnight (timedelta rounds hours to microseconds)
        minute = (self._offset_us + round(t * 3_600_000_000)) // 60_000_000
        if minute != self._minute:
            day = minute // 1440
            if day != self._day:
                self._day = day
                self._day_text = (self._midnight + timedelta(days=day)).strftime("%Y-%m-%d ")
            self._minute, self._minute_text = minute, self._day_text + _HH_MM[minute - day * 1440]
            # the times surely in this minute: a microsecond inside either end, where
            # rounding t to microseconds cannot cross it (floats this far from 0 are
            # exact to well under a microsecond; further out, every time is computed)
            first = minute * 60_000_000 - self._offset_us  # in microseconds since the start
            if abs(first) < 1 << 50:
                self._lo = (first + 1) / 3_600_000_000
                self._hi = (first + 59_999_999) / 3_600_000_000
            else:
                self._lo, self._hi = 1.0, 0.0
        return self._minute_text

    def narrate(self, event: ev.Event) -> Line | None:
        """The line telling `event`, or None for an event another line already tells."""
        cls = type(event)
        text = self.say[cls](event)
        if text is None:
            return None
        return Line(event.seq, event.t, self.when(event.t), KINDS[cls], text, cls.ground_truth)

    def for_a_node(self) -> dict[type[ev.Event], Say]:
        """:attr:`say` for a node's timeline: ground truth tells nothing (and is not
        heard, nor a report's usage kept: no sentence a node is told refers to them, so
        this narrator no longer knows them and must tell nothing else once asked this,
        nor be asked for a report's origin). What a node sees of
        the rest is :func:`sees`'s to decide; every event is still heard (later lines
        may refer to one the node did not see)."""
        self._truthless = True
        return {cls: _unsaid if cls.ground_truth else say for cls, say in self.say.items()}

    def hearing(self) -> dict[type[ev.Event], Hear | None]:
        """Per event type, what telling an event of it remembers, without the sentence
        (None: nothing): for a reader that must know what a narrator knows at a line of
        the log without telling what came before it (:func:`remember`).

        The same changes as the ``_<type>`` methods make, in the same order; a test holds
        the two to the same memory after every prefix of several runs' logs. Ask it after
        :meth:`for_a_node`, if at all: a node's narrator hears no ground truth.
        """
        usages, reports, indicators = self.usages, self.reports, self.indicators
        queued, began, sent, down = self.queued, self.began, self.sent, self.down
        assessments, campaigns, shipments = self.assessments, self.campaigns, self.shipments
        truthless = self._truthless

        def munition_used(e: ev.MunitionUsed) -> None:
            usages.note(e.usage, e.munition, e.sector, e.t)

        def disinformation(e: ev.DisinformationInjected) -> None:
            campaigns[e.report] = e.campaign

        def sighting(e: ev.SightingReported) -> None:
            names = (e.collector, e.discipline, e.grade, e.munition, e.sector, e.node, e.polarity)
            reports.file(e.report, names, None if truthless else e.usage)
            if e.shipment is not None:
                indicators[e.report] = e.shipment

        def report_received(e: ev.ReportReceived) -> None:
            queued[(e.node, e.report)] = e.t

        def analysis_started(e: ev.AnalysisStarted) -> None:
            key = (e.node, e.report)
            began[key] = e.t
            queued.pop(key, None)

        def analysis_completed(e: ev.AnalysisCompleted) -> None:
            began.pop((e.node, e.report), None)

        def assessment(e: ev.AssessmentIssued | ev.AssessmentUpdated) -> None:
            assessments[e.assessment] = (e.node, e.munition, e.sector)

        def message_sent(e: ev.MessageSent) -> None:
            sent[e.message] = e.t

        def message_gone(e: ev.MessageDelivered | ev.MessageDropped) -> None:
            sent.pop(e.message, None)

        def link_down(e: ev.LinkDown) -> None:
            down.setdefault(e.link, set()).add(e.cause)

        def link_up(e: ev.LinkUp) -> None:
            down.setdefault(e.link, set()).discard(e.cause)

        def report_exploited(e: ev.ReportExploited) -> None:
            if e.derived is None:
                return
            names = (e.collector, e.discipline, e.grade_after, e.munition_after, e.sector, e.node)
            reports.file(e.derived, (*names, e.polarity), None if truthless else e.usage)
            if e.shipment is not None:
                indicators[e.derived] = e.shipment

        def shipment_departed(e: ev.ShipmentDeparted) -> None:
            shipments[e.shipment] = e.munition

        heard: dict[type[ev.Event], Hear] = {
            ev.MunitionUsed: munition_used,
            ev.DisinformationInjected: disinformation,
            ev.SightingReported: sighting,
            ev.ReportReceived: report_received,
            ev.AnalysisStarted: analysis_started,
            ev.AnalysisCompleted: analysis_completed,
            ev.AssessmentIssued: assessment,
            ev.AssessmentUpdated: assessment,
            ev.MessageSent: message_sent,
            ev.MessageDelivered: message_gone,
            ev.MessageDropped: message_gone,
            ev.LinkDown: link_down,
            ev.LinkUp: link_up,
            ev.ReportExploited: report_exploited,
            ev.ShipmentDeparted: shipment_departed,
        }
        return {cls: None if truthless and cls.ground_truth else heard.get(cls) for cls in self.say}

    def remember(self, events: Iterable[Any]) -> None:
        """Hear `events` as telling them would (see :meth:`hearing`), telling nothing:
        events, or their stand-ins decoded by :func:`heard_decoder`."""
        hearing = self.hearing()
        for cls, stand_in in heard_decoder()[1].items():
            hearing[stand_in] = hearing[cls]
        for event in events:
            hear = hearing[type(event)]
            if hear is not None:
                hear(event)

    # --- what a report is, in words ----------------------------------------------------

    def report_text(self, report: str, filed: Filed | None = None) -> str:
        """``kharkiv-prosecutors (FORENSIC, B2) reports a KN-23 in Kharkiv``."""
        filed = filed or self.reports.get(report)
        if filed is None:
            return f"report {report}"
        claim = claim_text(
            filed.collector, filed.discipline, filed.grade, filed.polarity, filed.munition
        )
        return f"{claim} in {filed.sector}"

    def origin_text(self, report: str, filed: Filed | None = None) -> str:
        """What the report truly traces to (ground truth), in words."""
        filed = filed or self.reports.get(report)
        if filed is None:
            return "unknown origin"
        return self._origin(report, filed.munition, filed.usage, filed.polarity)

    def _origin(self, report: str, munition: str, usage: str | None, polarity: str) -> str:
        shipment = self.indicators.get(report)
        if shipment is not None:
            shipped = self.shipments.get(shipment)
            if shipped is not None and shipped != munition:
                return f"misidentified: traces to shipment {shipment}, of {shipped}"
            return f"traces to shipment {shipment}"
        if usage is None:
            campaign = self.campaigns.get(report)
            what = "a denial" if polarity == "contradicts" else "fabricated"
            return f"{what} by campaign {campaign}" if campaign else what
        used = self.usages.munition(usage)
        if used is not None and used != munition:
            return f"misidentified: traces to {usage}, a {used}"
        return f"traces to {usage}"

    def usage_text(self, usage: str) -> str:
        """``U3 (KN-23 used in Kharkiv 2024-07-12 03:10)``."""
        used = self.usages.get(usage)
        if used is None:
            return usage
        return f"{usage} ({used.munition} used in {used.sector} {self.when(used.t)})"

    def supporting_text(self, reports: list[str]) -> str:
        """``R4 (kharkiv-prosecutors B2), R9 (…)``, shortened past a few."""
        named = []
        for report in reports[:MAX_LISTED]:
            filed = self.reports.get(report)
            named.append(report if filed is None else f"{report} ({filed.collector} {filed.grade})")
        more = len(reports) - MAX_LISTED
        return ", ".join(named) + (f" and {more} more" if more > 0 else "")

    # --- one sentence per event type -------------------------------------------------

    def _run_started(self, e: ev.RunStarted) -> str:
        return f"run of {e.scenario} starts (seed {e.seed}, {format_hours(e.horizon)})"

    def _munition_used(self, e: ev.MunitionUsed) -> str:
        self.usages.note(e.usage, e.munition, e.sector, e.t)
        return f"{e.munition} used in {e.sector} ({e.usage}) [ground truth]"

    def _disinformation(self, e: ev.DisinformationInjected) -> str:
        self.campaigns[e.report] = e.campaign
        return f"campaign {e.campaign} fabricates {e.report} for {e.node} [ground truth]"

    def _sighting(self, e: ev.SightingReported) -> str:
        report, munition, polarity, usage = e.report, e.munition, e.polarity, e.usage
        names = (e.collector, e.discipline, e.grade, munition, e.sector, e.node, polarity)
        # a report's usage is ground truth: only its origin, never told to a node, names it
        kind = self.reports.file(report, names, None if self._truthless else usage)
        shipment = e.shipment
        if shipment is not None:
            self.indicators[report] = shipment
            text = (
                f"{e.collector} ({e.discipline}, {e.grade}) sees a shipment of {munition} on "
                f"{e.sector} ({self.when(e.used_at)}), reports to {e.node} ({report})"
            )
        else:
            # "collector (DISCIPLINE, grade) reports a munition in sector (use claimed " and
            # ") to node (": the same for every report with these names, made once
            claims = self._claims
            if kind >= len(claims):
                claims.extend([("", "")] * (kind + 1 - len(claims)))
            before, after = claims[kind]
            if not before:
                claim = claim_text(e.collector, e.discipline, e.grade, polarity, munition)
                before, after = f"{claim} in {e.sector} (use claimed ", f") to {e.node} ("
                claims[kind] = (before, after)
            text = f"{before}{self.when(e.used_at)}{after}{report})"
        if not self.reveal_truth:
            return text
        if shipment is None and usage is not None and report not in self.indicators:
            used = self.usages.munition(usage)  # what _origin says, in its usual case
            if used is None or used == munition:
                return f"{text} — traces to {usage} [ground truth]"
        return f"{text} — {self._origin(report, munition, usage, polarity)} [ground truth]"

    def _report_received(self, e: ev.ReportReceived) -> str | None:
        self.queued[(e.node, e.report)] = e.t
        if e.via is None:  # straight from its collector: the sighting line told it
            return None
        return f"{e.node} receives {e.report} via {e.via}: {self.report_text(e.report)}"

    def _analysis_started(self, e: ev.AnalysisStarted) -> str:
        key = (e.node, e.report)
        t = e.t
        self.began[key] = t
        queued = self.queued.pop(key, None)
        if queued is not None and t - queued >= 1 / 60:  # under a minute: at once
            return (
                f"{e.node} starts analysing {e.report} after {format_hours(t - queued)} "
                "in the queue"
            )
        return f"{e.node} starts analysing {e.report}"

    def _analysis_completed(self, e: ev.AnalysisCompleted) -> str:
        began = self.began.pop((e.node, e.report), None)
        if began is None:
            return f"{e.node} finishes analysing {e.report}"
        return f"{e.node} finishes analysing {e.report} ({format_hours(e.t - began)})"

    def evidence_text(self, e: ev.AssessmentFacts) -> str:
        """``from 2 sources (3 reports): R4 (…), …; against: R7 (…)``."""
        if not e.reports and not e.contradicting:
            return "on no evidence (what it rested on was withdrawn)"
        text = f"{sources_text(len(e.sources), len(e.reports))}: {self.supporting_text(e.reports)}"
        if e.contradicting:
            text += f"; against: {self.supporting_text(e.contradicting)}"
        return text

    def period_text(self, e: ev.AssessmentFacts) -> str:
        """``uses claimed 2024-07-12 00:00 to 2024-07-15 00:00``."""
        return f"uses claimed {self.when(e.period_start)} to {self.when(e.period_end)}"

    def _assessment_issued(self, e: ev.AssessmentIssued) -> str:
        self.assessments[e.assessment] = (e.node, e.munition, e.sector)
        if e.sector in self.routes:  # a warning: shipments on a route, ahead of use
            return (
                f"{e.node} warns of {e.munition} shipments on {e.sector} (seen "
                f"{self.when(e.period_start)} to {self.when(e.period_end)}) as {e.band} "
                f"({e.confidence:.2f}) {self.evidence_text(e)} — {e.assessment}"
            )
        return (
            f"{e.node} assesses {e.munition} use in {e.sector} ({self.period_text(e)}) as "
            f"{e.band} ({e.confidence:.2f}) {self.evidence_text(e)} — {e.assessment}"
        )

    def _assessment_updated(self, e: ev.AssessmentUpdated) -> str:
        self.assessments[e.assessment] = (e.node, e.munition, e.sector)
        return (
            f"{e.node} revises {e.assessment} ({e.munition} use in {e.sector}) to version "
            f"{e.version}: {e.band} ({e.confidence:.2f}) {self.evidence_text(e)}"
        )

    def _assessment_received(self, e: ev.AssessmentReceived) -> str:
        known = self.assessments.get(e.assessment)
        what = "" if known is None else f" ({known[0]}: {known[1]} use in {known[2]})"
        weighed = ""
        if e.node in self.fusion:
            weighed = f": evidence here, reliability {e.reliability}"
        return (
            f"{e.node} receives {e.assessment} version {e.version}{what} as {e.band} "
            f"({e.confidence:.2f}) via {e.via}{weighed}"
        )

    def _message_sent(self, e: ev.MessageSent) -> str:
        self.sent[e.message] = e.t
        src, dst = endpoints(e.link)
        return f"{src} -> {dst}: {e.item} sent as {e.message}, {marking_text(e.marking)}"

    def _message_held(self, e: ev.MessageHeld) -> str:
        src, _ = endpoints(e.link)
        why = e.reason.replace("-", " ")
        return f"message {e.message} ({e.item}) held at {src}: {e.link} {why}"

    def _message_delivered(self, e: ev.MessageDelivered) -> str:
        sent = self.sent.pop(e.message, None)
        took = "" if sent is None else f", {format_hours(e.t - sent)} after sending"
        _, dst = endpoints(e.link)
        return f"message {e.message} ({e.item}) delivered to {dst} over {e.link}{took}"

    def _message_dropped(self, e: ev.MessageDropped) -> str:
        self.sent.pop(e.message, None)
        why = e.reason.replace("-", " ")
        return f"message {e.message} ({e.item}) dropped on {e.link}: {why}"

    def _message_intercepted(self, e: ev.MessageIntercepted) -> str:
        return (
            f"adversary ({e.attack}) reads message {e.message} ({e.item}) on {e.link}"
            " [ground truth]"
        )

    def _link_down(self, e: ev.LinkDown) -> str:
        self.down.setdefault(e.link, set()).add(e.cause)
        return f"link {e.link} down: {cause_text(e.cause)}"

    def _link_up(self, e: ev.LinkUp) -> str:
        causes = self.down.setdefault(e.link, set())
        causes.discard(e.cause)
        if causes:
            still = ", ".join(cause_text(c) for c in sorted(causes))
            return f"link {e.link}: {cause_text(e.cause)} over, still down ({still})"
        return f"link {e.link} back up ({cause_text(e.cause)} over)"

    def _link_compromised(self, e: ev.LinkCompromised) -> str:
        return f"adversary ({e.attack}) starts reading link {e.link} [ground truth]"

    def _link_secured(self, e: ev.LinkSecured) -> str:
        return f"adversary ({e.attack}) stops reading link {e.link} [ground truth]"

    def _report_exploited(self, e: ev.ReportExploited) -> str:
        before = f"{e.munition_before} ({e.grade_before})"
        if e.derived is None:
            found = "nothing new" if e.outcome == "confirmed" else e.outcome
            return f"{e.node} examines the material of {e.report}: {found}"
        names = (e.collector, e.discipline, e.grade_after, e.munition_after, e.sector, e.node)
        self.reports.file(e.derived, (*names, e.polarity), None if self._truthless else e.usage)
        if e.shipment is not None:
            self.indicators[e.derived] = e.shipment
        if e.polarity == "contradicts":
            after = f"no {e.munition_after} ({e.grade_after})"
        else:
            after = f"{e.munition_after} ({e.grade_after})"
        return (
            f"{e.node} examines the material of {e.report}: {e.outcome}, {before} -> {after}, "
            f"filed as {e.derived} in its place"
        )

    def _shipment_departed(self, e: ev.ShipmentDeparted) -> str:
        self.shipments[e.shipment] = e.munition
        return f"shipment {e.shipment} of {e.munition} leaves on {e.route} [ground truth]"

    def _shipment_arrived(self, e: ev.ShipmentArrived) -> str:
        return (
            f"shipment {e.shipment} of {e.munition} reaches the depots of {e.route} [ground truth]"
        )

    def _consent_requested(self, e: ev.ConsentRequested) -> str:
        return (
            f"{e.node} asks {e.originator} for consent to pass {e.item} on to {e.nation} "
            f"({e.request})"
        )

    def _consent_granted(self, e: ev.ConsentGranted) -> str:
        how = "as a tearline, " if e.tearline else ""
        return (
            f"{e.originator} consents ({e.request}): {e.node} may pass {e.item} on to "
            f"{e.nation}, {how}{marking_text(e.marking)}"
        )

    def _consent_refused(self, e: ev.ConsentRefused) -> str:
        return (
            f"{e.originator} refuses ({e.request}): {e.item} does not pass from {e.node} "
            f"to {e.nation}"
        )

    def _intervention(self, e: ev.InterventionApplied) -> str:
        changes = ", ".join(f"{path} = {value}" for path, value in e.changes.items())
        note = self.notes[e.index] if 0 <= e.index < len(self.notes) else ""
        return f"intervention: {changes}" + (f" ({note})" if note else "")

    def _run_ended(self, e: ev.RunEnded) -> str:
        return f"run ends ({e.reason})"


Sees = bool | Callable[[str, Any], bool] | None
"""Whether a node sees an event of a type: always (True), never (False), when it is its
own (None: its ``node`` is the node, the commonest rule, checked in line) or as a
function of the node and the event decides."""


def sees() -> dict[type[ev.Event], Sees]:
    """Per event type, whether a node sees it: :func:`~sim.analysis.perspective.visible_to`
    decided once per type rather than once per event."""
    rules: dict[type[ev.Event], Sees] = {}
    for cls in KINDS:
        rule = seen_by(cls)
        if rule in ("everyone", "no one"):
            rules[cls] = rule == "everyone"
        elif rule == "own":
            rules[cls] = None
        else:
            rules[cls] = visible_to
    return rules


def sees_by_rule(rule: Sees, node: str, event: ev.Event) -> bool:
    """Whether `node` sees `event`, by its type's rule from :func:`sees`."""
    if rule is True or rule is False:
        return rule
    if rule is None:
        return bool(event.node == node)  # type: ignore[attr-defined]
    return rule(node, event)


@lru_cache(maxsize=256)
def format_when(start: datetime, t: float) -> str:
    """``2024-07-12 03:10``: the UTC minute of simulation time `t` after `start`.

    Cached: the lines of one event, told by several narrators, share their time.
    """
    return (start + timedelta(hours=t)).strftime("%Y-%m-%d %H:%M")


Teller = tuple[Narrator, dict[type[ev.Event], Say], dict[type[ev.Event], Sees] | None]
"""A narrator, what it says per event type and what its node sees per type (None: all)."""


def teller(
    scenario: Scenario, as_node: str | None, narrator_type: type[Narrator] | None = None
) -> Teller:
    """A narrator for one timeline (of `narrator_type`, a Narrator by default), what it
    says per event type and, for `as_node`'s timeline, what that node sees per type
    (None: everything)."""
    make = Narrator if narrator_type is None else narrator_type
    if as_node is None:
        narrator = make(scenario)
        return narrator, narrator.say, None
    check_node(scenario, as_node)
    narrator = make(scenario, reveal_truth=False)
    return narrator, narrator.for_a_node(), sees()


def timeline(
    scenario: Scenario,
    events: Iterable[ev.Event],
    *,
    as_node: str | None = None,
    until: float | None = None,
) -> Iterator[Line]:
    """The lines of a run's story, streaming; only what `as_node` saw, up to time `until`.

    Every event is heard, also those `as_node` does not see: later lines may refer to
    them. Stops before the first event later than `until`.
    """
    narrator, say, seen = teller(scenario, as_node)
    when = narrator.when
    last = float("inf") if until is None else until
    for event in events:
        t = event.t
        if t > last:
            return
        cls = type(event)
        text = say[cls](event)
        if text is None:
            continue
        if seen is not None and not sees_by_rule(seen[cls], as_node, event):  # type: ignore[arg-type]
            continue
        yield Line(event.seq, t, when(t), KINDS[cls], text, cls.ground_truth)


def timeline_text(
    scenario: Scenario,
    events: Iterable[ev.Event],
    *,
    as_node: str | None = None,
    until: float | None = None,
    block: int = 4096,
) -> Generator[str, None, None]:
    """The same story as :func:`timeline` as plain text, `block` lines at a time.

    Each line is ``str(line)`` and a newline. For output to a file or a pipe, where a
    :class:`Line` per event, or a write per line, would cost more than telling it:
    the same loop as :func:`timeline`'s, with the time's text made once per minute.
    """
    return told_text(teller(scenario, as_node), events, as_node=as_node, until=until, block=block)


def told_text(
    told_by: Teller,
    events: Iterable[ev.Event],
    *,
    as_node: str | None = None,
    until: float | None = None,
    block: int = 4096,
) -> Generator[str, None, None]:
    """:func:`timeline_text` told by `told_by`, one of :func:`teller`'s, as it is (its
    narrator may have heard earlier events: see :mod:`sim.analysis.timeline_apart`)."""
    narrator, say, seen = told_by
    when = narrator.when
    last = float("inf") if until is None else until
    pending: list[str] = []
    append = pending.append
    left = block  # lines to go in this block
    stamp_t, stamp = float("nan"), ""  # the time of the event before, and its "when  "
    for event in events:
        t = event.t
        if t != stamp_t:  # events come in bursts at one instant
            if t > last:
                break
            # before telling the event: its sentence may name its own time, now known
            stamp_t, stamp = t, f"{when(t)}  "  # the layout of Line.__str__
        cls = type(event)
        text = say[cls](event)
        if text is None:
            continue
        if seen is not None:  # sees_by_rule, in line: a call per event would cost a tenth more
            rule = seen[cls]
            if rule is not True and (
                event.node != as_node  # type: ignore[attr-defined]
                if rule is None
                else rule is False or not rule(as_node, event)  # type: ignore[arg-type]
            ):
                continue
        append(f"{stamp}{text}\n")
        left -= 1
        if not left:
            yield "".join(pending)
            pending.clear()
            left = block
    if pending:
        yield "".join(pending)


def run_timeline(
    run_dir: Path, *, as_node: str | None = None, until: float | None = None
) -> Iterator[Line]:
    """The timeline of a run directory, read from its log as it goes."""
    scenario, _ = load_run(run_dir)
    return timeline(scenario, read_events(events_path(Path(run_dir))), as_node=as_node, until=until)


def parse_when(text: str, scenario: Scenario) -> float:
    """Hours since the start for a duration (``"10d"``, ``"36h"``, ``12``) or an ISO datetime."""
    try:
        return parse_duration(float(text) if _is_number(text) else text)
    except ValueError as error:
        as_duration = str(error)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        msg = (
            f"cannot read the time {text!r}: give a duration since the start (10d, 36h, 12d12h) "
            "or an ISO datetime (2024-07-20T12:00Z)"
        )
        if "largest first" in as_duration:  # a duration, but its units out of order
            msg = f"cannot read the time {text!r}: {as_duration}"
        raise QueryError(msg) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=scenario.start.tzinfo)
    hours = (moment - scenario.start).total_seconds() / 3600.0
    if hours < 0:
        start = format_when(scenario.start, 0.0)
        msg = f"the time {text!r} is before the run starts ({start} UTC)"
        raise QueryError(msg)
    return hours


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
