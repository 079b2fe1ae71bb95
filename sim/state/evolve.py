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
        facts = fusion.ReportFacts(
            report=r.report,
            source=r.collector,
            munition=r.munition,
            sector=r.sector,
            grade=r.grade,
            t=r.t,
        )
        node.clusters, _ = fusion.add_report(node.clusters, facts, node.fusion.window)
    _release(s, e.report)


def _find_cluster(s: WorldState, node: str, report: str, assessment: str | None) -> int:
    clusters = s.nodes[node].clusters
    for index in range(len(clusters) - 1, -1, -1):
        cluster = clusters[index]
        if cluster.assessment == assessment and report in cluster.reports:
            return index
    raise EvolveError(
        f"no cluster at {node} holds report {report} for {assessment or 'a new assessment'}"
    )


def _assessment_issued(s: WorldState, e: ev.AssessmentIssued) -> None:
    node = s.nodes[e.node]
    index = _find_cluster(s, e.node, e.reports[-1], None)
    clusters = list(node.clusters)
    clusters[index] = fusion.mark_issued(clusters[index], e.assessment, e.band)
    node.clusters = tuple(clusters)
    node.assessments[e.assessment] = e.band
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
    )


def _assessment_updated(s: WorldState, e: ev.AssessmentUpdated) -> None:
    node = s.nodes[e.node]
    index = _find_cluster(s, e.node, e.reports[-1], e.assessment)
    clusters = list(node.clusters)
    clusters[index] = fusion.mark_band(clusters[index], e.band)
    node.clusters = tuple(clusters)
    node.assessments[e.assessment] = e.band
    a = s.assessments[e.assessment]
    a.confidence, a.band, a.updated = e.confidence, e.band, e.t
    a.reports, a.sources = list(e.reports), list(e.sources)


def _assessment_received(s: WorldState, e: ev.AssessmentReceived) -> None:
    s.nodes[e.node].known_assessments[e.assessment] = e.band


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
