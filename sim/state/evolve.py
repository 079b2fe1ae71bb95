"""evolve: the pure fold of domain events into state, one handler per event type.

No SimPy, no I/O, no randomness, no clock: the same events always give the same
state, so `replay(log)` rebuilds what the live run held (see sim/analysis/replay.py).

Retiring reports. A report is *in play* while it waits in a node's queue, is under
analysis, rides a message (``MessageSent`` not yet ``MessageDelivered`` or
``MessageDropped``), or waits at a node for its originator's consent to be passed on
(``ConsentRequested`` not yet answered); ``WorldState.holds`` counts those places. When
the count falls to 0 the report cannot be retired at once: the node that just finished
analysing it forwards it at the same instant (``MessageSent`` follows ``AnalysisCompleted`` at the
same ``t``), and a delivered report enters its destination's queue at the same instant
too. So evolve notes it in ``idle`` and retires it when the first event with a later
``t`` arrives (:func:`retire_idle`), if its count is still 0: the report leaves
``reports`` and the ``received`` set of every node it entered. A retired report cannot
come back: a second arrival at a node only ever comes by a message, and a message in
flight holds its report, so dedupe by ``received`` stays exact. Everything here is
driven by events alone, so a replay retires exactly what the live run retired.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from sim import events as ev
from sim import fusion
from sim.errors import LogError
from sim.grading import LOG_LR
from sim.scenario.models import Scenario
from sim.scenario.paths import PathError, with_changes
from sim.state.model import Assessment, LinkState, NodeState, Report, WorldState, fusion_policy


class EvolveError(LogError):
    """An event that cannot follow the state it is applied to (a corrupt or foreign log).

    The only error evolve raises for what a log says: an event naming a node, link,
    report or assessment the state does not hold, or a step out of order.
    """


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a run or a fold goes on.

    The state makes no reference cycles (tests/test_engine_gc.py), yet each collection of
    the oldest generation walks a heap that grows with the log: with it on, `verify` of a
    run 8x the baseline's horizon went at 0.63 of its events/s at 1x; off, at 1.0.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _unknown(kind: str, name: str) -> NoReturn:
    raise EvolveError(f"no {kind} {name} in the state")


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
    if e.grade not in LOG_LR:
        raise EvolveError(f"report {e.report} has no Admiralty grade ({e.grade!r})")
    s.reports[e.report] = Report(  # positional: the hot path (fields in Report's order)
        e.report,
        e.collector,
        e.node,
        e.munition,
        e.sector,
        e.grade,
        e.discipline,
        e.usage,
        e.t,
        e.polarity,
        e.used_at,
        e.artefact,
        [],  # received_at
        e.shipment,
    )
    # held by nothing yet: the node's ReportReceived follows at the same instant
    s.holds.setdefault(e.report, 0)
    s.idle.append(e.report)


def _report_received(s: WorldState, e: ev.ReportReceived) -> None:
    report = e.report
    try:
        node = s.nodes[e.node]
    except KeyError:
        _unknown("node", e.node)
    received = node.received
    if report in received:
        raise EvolveError(f"report {report} entered {e.node}'s queue twice")
    received.add(report)
    node.receipts += 1
    node.queue.append(report)
    record = s.reports.get(report)
    if record is not None:
        record.received_at.append(e.node)
    _hold(s, report)


def _analysis_started(s: WorldState, e: ev.AnalysisStarted) -> None:
    try:
        node = s.nodes[e.node]
    except KeyError:
        _unknown("node", e.node)
    if not node.queue or node.queue[0] != e.report:
        raise EvolveError(f"{e.node} started {e.report} out of arrival order")
    node.queue.popleft()
    node.busy.add(e.report)


def _analysis_completed(s: WorldState, e: ev.AnalysisCompleted) -> None:
    try:
        node = s.nodes[e.node]
        node.busy.remove(e.report)
    except KeyError:
        if e.node not in s.nodes:
            _unknown("node", e.node)
        raise EvolveError(f"{e.node} completed {e.report}, which it was not analysing") from None
    node.analysed += 1
    if node.fusion is not None:
        _file(node, s.reports[e.report])
    _release(s, e.report)


def _file(node: NodeState, r: Report) -> None:
    """Put an analysed report in its cluster at a fusion node; a re-reading of another
    report's material (an exploitation's) takes that report out of the cluster it was in."""
    policy = node.fusion
    assert policy is not None  # callers check
    if r.supersedes is not None and r.was is not None:
        old = node.clusters.cluster_for(r.was, r.sector, r.used_at, policy.window_for(r.sector))
        old.withdraw(r.supersedes)
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
    window = policy.window_for(r.sector)
    cluster = node.clusters.cluster_for(r.munition, r.sector, r.used_at, window)
    cluster.add_report(evidence)


def _report_exploited(s: WorldState, e: ev.ReportExploited) -> None:
    node = s.nodes[e.node]
    node.exploited += 1
    if e.derived is None:
        return
    if e.derived in s.reports:
        raise EvolveError(f"report {e.derived} filed twice")
    record = s.reports[e.derived] = Report(
        report=e.derived,
        collector=e.collector,
        node=e.node,
        munition=e.munition_after,
        sector=e.sector,
        grade=e.grade_after,
        discipline=e.discipline,
        usage=e.usage,
        t=e.t,
        polarity=e.polarity,
        used_at=e.used_at,
        artefact=e.artefact,
        received_at=[e.node],
        shipment=e.shipment,
        supersedes=e.report,
        was=e.munition_before,
        outcome=e.outcome,
    )
    # the finding is this node's analysis of it: filed here at once, never queued
    node.received.add(e.derived)
    if node.fusion is not None:
        _file(node, record)
    s.holds.setdefault(e.derived, 0)
    s.idle.append(e.derived)


def _consent_requested(s: WorldState, e: ev.ConsentRequested) -> None:
    node = s.nodes[e.node]
    if e.request in node.asked:
        raise EvolveError(f"consent request {e.request} made twice")
    # a report waiting for consent stays in play: it is sent on when the answer comes
    held = e.item in s.reports
    if held:
        _hold(s, e.item)
    node.asked[e.request] = (e.item, e.nation, held)


def _consent_answered(s: WorldState, e: ev.ConsentGranted | ev.ConsentRefused) -> None:
    node = s.nodes[e.node]
    asked = node.asked.pop(e.request, None)
    if asked is None:
        raise EvolveError(f"{e.node} had no consent request {e.request} pending")
    if asked[2]:
        _release(s, e.item)
    if isinstance(e, ev.ConsentGranted):
        node.granted[(e.item, e.nation)] = e.marking


def _published(s: WorldState, e: ev.AssessmentFacts) -> fusion.Cluster:
    """The cluster an issued or updated assessment speaks for, marked as published."""
    try:
        node = s.nodes[e.node]
    except KeyError:
        _unknown("node", e.node)
    cluster = node.clusters.get(e.munition, e.sector, e.period_start)
    if cluster is None:
        raise EvolveError(
            f"{e.node} has no cluster of {e.munition} in {e.sector} from {e.period_start} h "
            f"for {e.assessment}"
        )
    if e.version != cluster.version + 1 or (e.version > 1) != (cluster.assessment is not None):
        raise EvolveError(f"{e.assessment} version {e.version} does not follow the last one")
    cluster.mark(e.assessment, e.version, fusion.signature_of(e.evidence))
    node.assessments[e.assessment] = e.band
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
    try:
        a = s.assessments[e.assessment]
    except KeyError:
        _unknown("assessment", e.assessment)
    a.confidence, a.band, a.updated = e.confidence, e.band, e.t
    a.reports, a.sources = list(e.reports), list(e.sources)
    a.versions.append(tuple(e.evidence))


def _assessment_received(s: WorldState, e: ev.AssessmentReceived) -> None:
    try:
        node = s.nodes[e.node]
    except KeyError:
        _unknown("node", e.node)
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
        record.munition, record.sector, partner.midpoint, node.fusion.window_for(record.sector)
    )
    cluster.add_partner(partner)


def _link(s: WorldState, name: str) -> LinkState:
    try:
        return s.links[name]
    except KeyError:
        _unknown("link", name)


def _message_sent(s: WorldState, e: ev.MessageSent) -> None:
    try:
        link = s.links[e.link]
    except KeyError:
        _unknown("link", e.link)
    link.in_flight[e.message] = e.item
    if e.kind == "report":
        _hold(s, e.item)


def _message_held(s: WorldState, e: ev.MessageHeld) -> None:
    _link(s, e.link).held.add(e.message)


def _message_done(s: WorldState, e: ev.MessageDelivered | ev.MessageDropped) -> None:
    link = s.links.get(e.link)
    if link is not None:  # a message refused before it was sent names its link all the same
        item = link.in_flight.pop(e.message, None)
        link.held.discard(e.message)
        if item is not None and s.holds.get(item):  # a report message (assessments: no count)
            _release(s, item)


def _link_down(s: WorldState, e: ev.LinkDown) -> None:
    _link(s, e.link).down.add(e.cause)


def _link_up(s: WorldState, e: ev.LinkUp) -> None:
    _link(s, e.link).down.discard(e.cause)


def _link_compromised(s: WorldState, e: ev.LinkCompromised) -> None:
    _link(s, e.link).compromised.add(e.attack)


def _link_secured(s: WorldState, e: ev.LinkSecured) -> None:
    _link(s, e.link).compromised.discard(e.attack)


def scenario_after(scenario: Scenario, e: ev.InterventionApplied) -> Scenario:
    """The scenario in force after an intervention: the rule evolve applies.

    Raises EvolveError when the change cannot apply (a foreign or corrupt log: the
    loader refused every bad intervention before the run).
    """
    try:
        return with_changes(scenario, e.changes)
    except PathError as exc:
        raise EvolveError(f"intervention {e.index} does not apply: {exc}") from None


def _intervention_applied(s: WorldState, e: ev.InterventionApplied) -> None:
    scenario = s.scenario = scenario_after(s.scenario, e)
    for name, node in s.nodes.items():
        spec = scenario.nodes.get(name)
        if spec is None:
            raise EvolveError(f"intervention {e.index} removed node {name}")
        node.nation, node.analysts = spec.nation, spec.analysts
        node.fusion = fusion_policy(scenario, name)
    enabled = {link.name: link.enabled for link in scenario.links}
    for name, link in s.links.items():
        if name not in enabled:
            raise EvolveError(f"intervention {e.index} removed link {name}")
        link.enabled = enabled[name]


def _run_ended(s: WorldState, e: ev.RunEnded) -> None:
    s.ended = True


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
    ev.ReportExploited: _report_exploited,
    ev.ShipmentDeparted: _noop,
    ev.ShipmentArrived: _noop,
    ev.ConsentRequested: _consent_requested,
    ev.ConsentGranted: _consent_answered,
    ev.ConsentRefused: _consent_answered,
    ev.InterventionApplied: _intervention_applied,
    ev.RunEnded: _run_ended,
}


def evolve(state: WorldState, event: ev.Event) -> WorldState:
    """Fold one recorded event into the state (in place) and return it.

    The one fold driver: the recorder calls it for every event of a live run, replay
    and `verify` for every event of a log. Raises EvolveError, and only that, for an
    event the state contradicts.
    """
    t = event.t
    if state.idle and t > state.t:
        retire_idle(state)
    HANDLERS[type(event)](state, event)
    state.t = t
    state.seq = event.seq
    return state
