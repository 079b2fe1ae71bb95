"""evolve: the pure fold of domain events into state, one handler per event type.

No SimPy, no I/O, no randomness, no clock: the same events always give the same
state, so `replay(log)` rebuilds what the live run held (see sim/analysis/replay.py).

Retiring reports. A report is *in play* while it waits in a node's queue, is under
analysis, or rides a message (``MessageSent`` not yet ``MessageDelivered`` or
``MessageDropped``); ``WorldState.holds`` counts those places. When the count falls to
0 the report cannot be retired at once: the node that just finished analysing it
forwards it at the same instant (``MessageSent`` follows ``AnalysisCompleted`` at the
same ``t``), and a delivered report enters its destination's queue at the same instant
too. So evolve notes it in ``idle`` and retires it when the first event with a later
``t`` arrives (:func:`retire_idle`), if its count is still 0: the report leaves
``reports`` and the ``received`` set of every node it entered. A retired report cannot
come back: a second arrival at a node only ever comes by a message, and a message in
flight holds its report, so dedupe by ``received`` stays exact. Everything here is
driven by events alone, so a replay retires exactly what the live run retired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sim import events as ev
from sim import fusion
from sim.errors import LogError
from sim.scenario.units import parse_duration
from sim.state.model import Assessment, Report, WorldState


class EvolveError(LogError):
    """An event that cannot follow the state it is applied to (a corrupt or foreign log)."""


def _run_started(s: WorldState, e: ev.RunStarted) -> None:
    s.started = True


def _munition_used(s: WorldState, e: ev.MunitionUsed) -> None:
    s.usages += 1


def _noop(s: WorldState, e: ev.Event) -> None:
    return None


def _hold(s: WorldState, report: str) -> None:
    holds = s.holds
    holds[report] = holds.get(report, 0) + 1


def _release(s: WorldState, report: str) -> None:
    holds = s.holds
    n = holds[report] - 1
    holds[report] = n
    if n == 0:
        s.idle.append(report)


def retire_idle(s: WorldState) -> None:
    """Forget the reports no queue, analysis or message has held since the last instant.

    Call before applying an event whose ``t`` is later than ``s.t`` (``evolve`` and the
    recorder do).
    """
    holds, reports, nodes = s.holds, s.reports, s.nodes
    for report in s.idle:
        if holds.get(report) != 0:  # held again since (or already retired)
            continue
        del holds[report]
        record = reports.pop(report, None)
        for name in nodes if record is None else record.received_at:
            nodes[name].received.discard(report)
    s.idle.clear()


def _sighting_reported(s: WorldState, e: ev.SightingReported) -> None:
    s.reports[e.report] = Report(
        report=e.report,
        collector=e.collector,
        node=e.node,
        munition=e.munition,
        sector=e.sector,
        grade=e.grade,
        discipline=e.discipline,
        usage=e.usage,
        t=e.t,
        polarity=e.polarity,
        used_at=e.used_at,
        artefact=e.artefact,
    )
    # held by nothing yet: the node's ReportReceived follows at the same instant
    s.holds.setdefault(e.report, 0)
    s.idle.append(e.report)


def _report_received(s: WorldState, e: ev.ReportReceived) -> None:
    node = s.nodes[e.node]
    if e.report in node.received:
        raise EvolveError(f"report {e.report} entered {e.node}'s queue twice")
    node.received.add(e.report)
    node.receipts += 1
    node.queue.append(e.report)
    record = s.reports.get(e.report)
    if record is not None:
        record.received_at.append(e.node)
    _hold(s, e.report)


def _analysis_started(s: WorldState, e: ev.AnalysisStarted) -> None:
    node = s.nodes[e.node]
    if not node.queue or node.queue[0] != e.report:
        raise EvolveError(f"{e.node} started {e.report} out of arrival order")
    node.queue.popleft()
    node.busy.add(e.report)


def _analysis_completed(s: WorldState, e: ev.AnalysisCompleted) -> None:
    node = s.nodes[e.node]
    node.busy.remove(e.report)
    node.analysed += 1
    if node.fusion is not None:
        r = s.reports[e.report]
        evidence = fusion.ReportEvidence(
            report=r.report,
            collector=r.collector,
            grade=r.grade,
            munition=r.munition,
            sector=r.sector,
            used_at=r.used_at,
            polarity=r.polarity,
            artefact=r.artefact,
        )
        cluster = node.clusters.cluster_for(r.munition, r.sector, r.used_at, node.fusion.window)
        cluster.add_report(evidence)
    _release(s, e.report)


def _published(s: WorldState, e: ev.AssessmentFacts) -> fusion.Cluster:
    """The cluster an issued or updated assessment speaks for, marked as published."""
    cluster = s.nodes[e.node].clusters.get(e.munition, e.sector, e.period_start)
    if cluster is None:
        raise EvolveError(
            f"{e.node} has no cluster of {e.munition} in {e.sector} from {e.period_start} h "
            f"for {e.assessment}"
        )
    if e.version != cluster.version + 1 or (e.version > 1) != (cluster.assessment is not None):
        raise EvolveError(f"{e.assessment} version {e.version} does not follow the last one")
    cluster.mark(e.assessment, e.version, fusion.signature_of(e.evidence))
    s.nodes[e.node].assessments[e.assessment] = e.band
    return cluster


def _assessment_issued(s: WorldState, e: ev.AssessmentIssued) -> None:
    _published(s, e)
    s.assessments[e.assessment] = Assessment(
        assessment=e.assessment,
        node=e.node,
        munition=e.munition,
        sector=e.sector,
        confidence=e.confidence,
        band=e.band,
        reports=list(e.reports),
        sources=list(e.sources),
        issued=e.t,
        updated=e.t,
        period=(e.period_start, e.period_end),
        versions=[tuple(e.evidence)],
    )


def _assessment_updated(s: WorldState, e: ev.AssessmentUpdated) -> None:
    _published(s, e)
    a = s.assessments[e.assessment]
    a.confidence, a.band, a.updated = e.confidence, e.band, e.t
    a.reports, a.sources = list(e.reports), list(e.sources)
    a.versions.append(tuple(e.evidence))


def _assessment_received(s: WorldState, e: ev.AssessmentReceived) -> None:
    node = s.nodes[e.node]
    node.known_assessments[e.assessment] = e.band
    node.known_versions[e.assessment] = max(node.known_versions.get(e.assessment, 0), e.version)
    if node.fusion is None:
        return
    record = s.assessments.get(e.assessment)
    if record is None or not 1 <= e.version <= len(record.versions):
        raise EvolveError(f"{e.node} received an unknown version of {e.assessment}")
    partner = fusion.PartnerAssessment(
        assessment=e.assessment,
        node=record.node,
        version=e.version,
        reliability=e.reliability,
        munition=record.munition,
        sector=record.sector,
        period=record.period,
        lines=record.versions[e.version - 1],
    )
    cluster = node.clusters.cluster_for(
        record.munition, record.sector, partner.midpoint, node.fusion.window
    )
    cluster.add_partner(partner)


def _message_sent(s: WorldState, e: ev.MessageSent) -> None:
    s.links[e.link].in_flight[e.message] = e.item
    if e.kind == "report":
        _hold(s, e.item)


def _message_held(s: WorldState, e: ev.MessageHeld) -> None:
    s.links[e.link].held.add(e.message)


def _message_done(s: WorldState, e: ev.MessageDelivered | ev.MessageDropped) -> None:
    link = s.links.get(e.link)
    if link is not None:  # a message refused before it was sent names its link all the same
        item = link.in_flight.pop(e.message, None)
        link.held.discard(e.message)
        if item is not None and s.holds.get(item):  # a report message (assessments: no count)
            _release(s, item)


def _link_down(s: WorldState, e: ev.LinkDown) -> None:
    s.links[e.link].down.add(e.cause)


def _link_up(s: WorldState, e: ev.LinkUp) -> None:
    s.links[e.link].down.discard(e.cause)


def _link_compromised(s: WorldState, e: ev.LinkCompromised) -> None:
    s.links[e.link].compromised.add(e.attack)


def _link_secured(s: WorldState, e: ev.LinkSecured) -> None:
    s.links[e.link].compromised.discard(e.attack)


def _intervention_applied(s: WorldState, e: ev.InterventionApplied) -> None:
    for path, value in e.changes.items():
        apply_change(s, path, value)


def _run_ended(s: WorldState, e: ev.RunEnded) -> None:
    s.ended = True


def apply_change(s: WorldState, path: str, value: Any) -> None:
    """Apply the part of a parameter change that the state holds (analysts, fusion, links)."""
    parts = path.split(".")
    if parts[0] == "nodes" and len(parts) >= 3 and parts[1] in s.nodes:
        node = s.nodes[parts[1]]
        if parts[2] == "analysts":
            node.analysts = int(value)
        elif parts[2] == "fusion" and node.fusion is not None and len(parts) == 4:
            field = parts[3]
            converters: dict[str, Callable[[Any], Any]] = {
                "window": parse_duration,
                "min_sources": int,
                "min_confidence": float,
                "prior": float,
            }
            convert = converters[field]
            parsed = convert(value)
            node.fusion = dataclasses.replace(node.fusion, **{field: parsed})
    elif parts[0] == "links" and len(parts) == 3 and parts[1] in s.links and parts[2] == "enabled":
        s.links[parts[1]].enabled = bool(value)


Handler = Callable[[WorldState, Any], None]

HANDLERS: dict[type[ev.Event], Handler] = {
    ev.RunStarted: _run_started,
    ev.MunitionUsed: _munition_used,
    ev.DisinformationInjected: _noop,
    ev.SightingReported: _sighting_reported,
    ev.ReportReceived: _report_received,
    ev.AnalysisStarted: _analysis_started,
    ev.AnalysisCompleted: _analysis_completed,
    ev.AssessmentIssued: _assessment_issued,
    ev.AssessmentUpdated: _assessment_updated,
    ev.AssessmentReceived: _assessment_received,
    ev.MessageSent: _message_sent,
    ev.MessageHeld: _message_held,
    ev.MessageDelivered: _message_done,
    ev.MessageDropped: _message_done,
    ev.MessageIntercepted: _noop,
    ev.LinkDown: _link_down,
    ev.LinkUp: _link_up,
    ev.LinkCompromised: _link_compromised,
    ev.LinkSecured: _link_secured,
    ev.InterventionApplied: _intervention_applied,
    ev.RunEnded: _run_ended,
}


def evolve(state: WorldState, event: ev.Event) -> WorldState:
    """Fold one event into the state (in place) and return it."""
    if state.idle and event.t > state.t:
        retire_idle(state)
    HANDLERS[type(event)](state, event)
    state.t = event.t
    state.seq = event.seq
    return state
