"""An independent oracle for evolve: a hand-built trace through every kind of event, with
the state after it worked out by hand and written down here, field by field.

Live == replay (tests/test_determinism.py) folds the same handlers on both sides, so it
cannot catch a handler that is wrong the same way twice; this can. The expected values
below come from reading the trace, not from running evolve (the comments say how).

Nodes: A (UKR, 1 analyst, no fusion) and B (USA, 2 analysts, fusion); links A->B, B->A.
"""

from __future__ import annotations

from collections import deque

import pytest

from sim import events as ev
from sim.scenario.models import Scenario
from sim.state import WorldState, evolve, initial_state
from sim.state.model import Assessment, Report
from tests.builders import link, node, scenario_dict

MARK = ev.Marking("NATO-RESTRICTED", ["NATO", "UKR"])


def _scenario() -> Scenario:
    fused = node("USA", analysts=2, fusion={"window": "72h", "min_sources": 1})
    return Scenario.model_validate(
        scenario_dict(
            nodes={"A": node("UKR"), "B": fused},
            links=[link("A", "B"), link("B", "A")],
        )
    )


def _sighting(t: float, report: str, usage: str | None, grade: str) -> ev.SightingReported:
    return ev.SightingReported(
        t=t,
        report=report,
        collector="c1" if usage else "fake",
        node="A",
        munition="KN-23",
        sector="S",
        grade=grade,
        discipline="FORENSIC" if usage else "OSINT",
        usage=usage,
    )


def _message(kind: type[ev.MessageFacts], t: float, message: str, link: str, item: str) -> ev.Event:
    what = "report" if item.startswith("R") else "assessment"
    return kind(t=t, message=message, link=link, item=item, kind=what, marking=MARK)


def _assessment(
    kind: type[ev.AssessmentFacts], t: float, confidence: float, band: str, version: int
) -> ev.Event:
    return kind(
        t=t,
        assessment="A-B-1",
        node="B",
        munition="KN-23",
        sector="S",
        confidence=confidence,
        band=band,
        reports=["R1"],
        sources=["c1"],
        version=version,
        period_start=0.0,  # the cluster of a use claimed at t=0 (a sighting's default)
        period_end=72.0,
    )


TRACE: list[ev.Event] = [
    ev.RunStarted(t=0.0, scenario="oracle", seed=1, start="2024-07-11T00:00:00Z", horizon=20.0),
    ev.MunitionUsed(t=1.0, usage="U1", munition="KN-23", sector="S"),
    _sighting(2.0, "R1", "U1", "B2"),  # 2
    ev.ReportReceived(t=2.0, node="A", report="R1"),
    ev.AnalysisStarted(t=2.0, node="A", report="R1"),
    _sighting(3.0, "R2", None, "E5"),  # 5: a fake
    ev.ReportReceived(t=3.0, node="A", report="R2"),
    ev.AnalysisCompleted(t=4.0, node="A", report="R1"),  # 7
    _message(ev.MessageSent, 4.0, "M1", "A->B", "R1"),
    ev.AnalysisStarted(t=4.0, node="A", report="R2"),
    ev.LinkDown(t=5.0, link="A->B", cause="failure"),  # 10
    ev.MessageHeld(t=5.0, message="M1", link="A->B", item="R1", reason="link-down"),
    ev.InterventionApplied(
        t=6.0, index=0, changes={"nodes.A.analysts": 2, "nodes.B.clearance": "NATO-SECRET"}
    ),
    ev.LinkUp(t=7.0, link="A->B", cause="failure"),
    _message(ev.MessageDelivered, 8.0, "M1", "A->B", "R1"),
    ev.ReportReceived(t=8.0, node="B", report="R1", via="M1"),  # 15: first check here
    ev.AnalysisStarted(t=8.0, node="B", report="R1"),
    ev.AnalysisCompleted(t=9.0, node="A", report="R2"),
    ev.MessageDropped(t=10.0, message="M2", link="A->B", item="R2", reason="not-releasable"),
    ev.AnalysisCompleted(t=11.0, node="B", report="R1"),
    _assessment(ev.AssessmentIssued, 11.0, 0.7, "likely", 1),  # 20
    _message(ev.MessageSent, 11.0, "M3", "B->A", "A-B-1"),
    ev.LinkCompromised(t=12.0, link="B->A", attack="leak"),
    _message(ev.MessageDelivered, 13.0, "M3", "B->A", "A-B-1"),
    ev.AssessmentReceived(
        t=13.0, node="A", assessment="A-B-1", band="likely", confidence=0.7, via="M3"
    ),
    _assessment(ev.AssessmentUpdated, 14.0, 0.9, "very likely", 2),  # 25
    ev.LinkSecured(t=15.0, link="B->A", attack="leak"),
    ev.RunEnded(t=20.0, reason="horizon"),  # 27
]


def _fold(until_seq: int) -> WorldState:
    state = initial_state(_scenario())
    for seq, event in enumerate(TRACE[: until_seq + 1]):
        evolve(state, ev.numbered(event, seq))
    return state


# what the state knows of each report: filed at A, and the nodes it entered, in order
R1 = Report(
    report="R1",
    collector="c1",
    node="A",
    munition="KN-23",
    sector="S",
    grade="B2",
    discipline="FORENSIC",
    usage="U1",
    t=2.0,
    received_at=["A", "B"],
)
R2 = Report(
    report="R2",
    collector="fake",
    node="A",
    munition="KN-23",
    sector="S",
    grade="E5",
    discipline="OSINT",
    usage=None,
    t=3.0,
    received_at=["A"],
)


def test_the_state_at_seq_15_by_hand() -> None:
    s = _fold(15)
    assert (s.t, s.seq, s.started, s.ended, s.usages) == (8.0, 15, True, False, 1)
    a, b = s.nodes["A"], s.nodes["B"]
    # A took R1 then R2; R1 analysed at t=4, R2 under analysis since t=4
    assert (a.queue, a.busy, a.received) == (deque(), {"R2"}, {"R1", "R2"})
    assert (a.receipts, a.analysed, a.assessments, a.known_assessments) == (2, 1, {}, {})
    # R1 arrived at B by M1 at t=8 and waits in B's queue
    assert (b.queue, b.busy, b.received, b.receipts, b.analysed) == (
        deque(["R1"]),
        set(),
        {"R1"},
        1,
        0,
    )
    assert len(b.clusters) == 0  # B has analysed nothing yet
    # the intervention at t=6: A has 2 analysts, B is cleared to NATO-SECRET; B unchanged
    assert (a.analysts, b.analysts) == (2, 2)
    assert s.scenario.nodes["A"].analysts == 2
    assert s.scenario.nodes["B"].clearance == "NATO-SECRET"
    assert s.scenario.nodes["A"].clearance == "COSMIC-TOP-SECRET"
    # the link was down 5..7 (M1 held), M1 delivered at 8: nothing in flight, all up
    ab, ba = s.links["A->B"], s.links["B->A"]
    for ls in (ab, ba):
        assert (ls.enabled, ls.up, ls.down, ls.compromised) == (True, True, set(), set())
        assert (ls.in_flight, ls.held) == ({}, set())
    # both reports in play: R2 under analysis at A, R1 queued at B (its message released
    # it at t=8 and the queue took it again at once, so it is noted idle but held)
    assert s.reports == {"R1": R1, "R2": R2}
    assert s.holds == {"R1": 1, "R2": 1}
    assert s.idle == ["R1"]
    assert s.assessments == {}


def test_the_state_at_the_end_by_hand() -> None:
    s = _fold(len(TRACE) - 1)
    assert (s.t, s.seq, s.started, s.ended, s.usages) == (20.0, 27, True, True, 1)
    a, b = s.nodes["A"], s.nodes["B"]
    # R2 left play at t=10 (analysed at 9, held by nothing, time moved on), R1 at t=12
    # (analysed at B at 11): neither is in any node's dedupe set any more
    assert (a.queue, a.busy, a.received, a.receipts, a.analysed) == (deque(), set(), set(), 2, 2)
    assert (b.queue, b.busy, b.received, b.receipts, b.analysed) == (deque(), set(), set(), 1, 1)
    assert s.reports == {} and s.holds == {} and s.idle == []
    # B issued A-B-1 at 11 (likely, 0.7) and updated it at 14 (very likely, 0.9); A
    # received the version of 13 and never heard of the update
    assert b.assessments == {"A-B-1": "very likely"} and a.assessments == {}
    assert a.known_assessments == {"A-B-1": "likely"} and b.known_assessments == {}
    assert s.assessments == {
        "A-B-1": Assessment(
            assessment="A-B-1",
            node="B",
            munition="KN-23",
            sector="S",
            confidence=0.9,
            band="very likely",
            reports=["R1"],
            sources=["c1"],
            issued=11.0,
            updated=14.0,
            period=(0.0, 72.0),
            versions=[(), ()],  # the trace's assessments carry no evidence lines
        )
    }
    # one cluster at B, holding R1, published as A-B-1 version 2; none at A (no fusion)
    assert len(b.clusters) == 1 and len(a.clusters) == 0
    cluster = b.clusters.get("KN-23", "S", 0.0)
    assert cluster is not None
    assert (cluster.seen, cluster.assessment, cluster.version) == ({"R1"}, "A-B-1", 2)
    # A received version 1 of A-B-1
    assert a.known_versions == {"A-B-1": 1} and b.known_versions == {}
    # B->A was read by "leak" from 12 to 15; M3 delivered at 13
    for ls in s.links.values():
        assert (ls.up, ls.down, ls.compromised, ls.in_flight, ls.held) == (
            True,
            set(),
            set(),
            {},
            set(),
        )


@pytest.mark.parametrize("seq", [10, 11, 22])
def test_links_in_between(seq: int) -> None:
    s = _fold(seq)
    ab, ba = s.links["A->B"], s.links["B->A"]
    expected = {
        # t=5: A->B down with M1 sent at 4 still in flight, not yet held
        10: (False, {"failure"}, {"M1": "R1"}, set(), set()),
        # M1 now held at the sending end
        11: (False, {"failure"}, {"M1": "R1"}, {"M1"}, set()),
        # t=12: A->B long up and empty; B->A compromised, carrying M3 (A-B-1)
        22: (True, set(), {}, set(), {"leak"}),
    }[seq]
    assert (ab.up, ab.down, ab.in_flight, ab.held, ba.compromised) == expected
    if seq == 22:
        assert ba.in_flight == {"M3": "A-B-1"}
