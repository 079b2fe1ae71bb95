"""evolve: the pure fold of events into state, one handler per event type."""

from __future__ import annotations

from collections import deque

import pytest

from sim import events as ev
from sim.scenario.models import Scenario
from sim.state import EvolveError, evolve, initial_state
from sim.state.evolve import HANDLERS
from tests.builders import scenario_dict


def _state():  # type: ignore[no-untyped-def]
    scenario = Scenario.model_validate(
        scenario_dict(links=[{"from": "A", "to": "B", "latency": "1h"}])
    )
    return initial_state(scenario)


def test_every_event_type_has_a_handler() -> None:
    assert set(HANDLERS) == set(ev.EVENT_TYPES.values())


def test_a_report_through_a_queue() -> None:
    s = _state()
    fold = [
        ev.RunStarted(
            seq=0, t=0.0, scenario="x", seed=1, start="2024-07-11T00:00:00Z", horizon=9.0
        ),
        ev.MunitionUsed(seq=1, t=1.0, usage="U1", munition="KN-23", sector="S"),
        ev.SightingReported(
            seq=2,
            t=2.0,
            report="R1",
            collector="c",
            node="A",
            munition="KN-23",
            sector="S",
            grade="B2",
            discipline="FORENSIC",
            usage="U1",
        ),
        ev.ReportReceived(seq=3, t=2.0, node="A", report="R1"),
        ev.ReportReceived(seq=4, t=2.5, node="A", report="R2"),
    ]
    for e in fold:
        evolve(s, e)
    node = s.nodes["A"]
    assert s.started and s.usages == 1 and s.seq == 4 and s.t == 2.5
    assert node.queue == deque(["R1", "R2"]) and node.received == {"R1", "R2"}
    evolve(s, ev.AnalysisStarted(seq=5, t=3.0, node="A", report="R1"))
    assert node.queue == deque(["R2"]) and node.busy == {"R1"}
    evolve(s, ev.AnalysisCompleted(seq=6, t=4.0, node="A", report="R1"))
    assert node.busy == set() and node.analysed == 1 and node.receipts == 2
    assert s.reports["R1"].usage == "U1" and s.reports["R1"].grade == "B2"


def test_out_of_order_analysis_is_refused() -> None:
    s = _state()
    evolve(s, ev.ReportReceived(seq=0, t=0.0, node="A", report="R1"))
    evolve(s, ev.ReportReceived(seq=1, t=0.0, node="A", report="R2"))
    with pytest.raises(EvolveError, match="arrival order"):
        evolve(s, ev.AnalysisStarted(seq=2, t=1.0, node="A", report="R2"))


def test_a_report_cannot_enter_a_queue_twice() -> None:
    s = _state()
    evolve(s, ev.ReportReceived(seq=0, t=0.0, node="A", report="R1"))
    with pytest.raises(EvolveError, match="twice"):
        evolve(s, ev.ReportReceived(seq=1, t=0.0, node="A", report="R1"))


def test_links_track_outage_causes_and_messages() -> None:
    s = _state()
    link = s.links["A->B"]
    marking = ev.Marking("NATO-RESTRICTED", ["NATO"])
    evolve(s, ev.LinkDown(seq=0, t=0.0, link="A->B", cause="failure"))
    evolve(s, ev.LinkDown(seq=1, t=0.0, link="A->B", cause="cyber:ddos"))
    evolve(s, ev.LinkUp(seq=2, t=1.0, link="A->B", cause="failure"))
    assert not link.up and link.down == {"cyber:ddos"}
    evolve(
        s,
        ev.MessageSent(
            seq=3, t=1.0, message="M1", link="A->B", item="R1", kind="report", marking=marking
        ),
    )
    evolve(
        s, ev.MessageHeld(seq=4, t=1.0, message="M1", link="A->B", item="R1", reason="link-down")
    )
    assert link.in_flight == {"M1": "R1"} and link.held == {"M1"}
    evolve(s, ev.LinkUp(seq=5, t=2.0, link="A->B", cause="cyber:ddos"))
    evolve(
        s,
        ev.MessageDelivered(
            seq=6, t=3.0, message="M1", link="A->B", item="R1", kind="report", marking=marking
        ),
    )
    assert link.up and link.in_flight == {} and link.held == set()


def test_interventions_change_analysts_and_close_links() -> None:
    s = _state()
    evolve(
        s,
        ev.InterventionApplied(
            seq=0, t=5.0, index=0, changes={"nodes.A.analysts": 7, "links.A->B.enabled": False}
        ),
    )
    assert s.nodes["A"].analysts == 7
    assert not s.links["A->B"].enabled and not s.links["A->B"].up


def test_an_intervention_puts_the_changed_scenario_in_force() -> None:
    s = _state()
    before = s.scenario
    evolve(
        s,
        ev.InterventionApplied(
            seq=0,
            t=5.0,
            index=0,
            changes={"nodes.B.clearance": "NATO-SECRET", "links.A->B.latency": "3h"},
        ),
    )
    assert s.scenario.nodes["B"].clearance == "NATO-SECRET"
    assert s.scenario.link("A->B").latency.mean == 3.0
    # copy on change: the scenario before is untouched, and only the changed parts differ
    assert before.nodes["B"].clearance == "COSMIC-TOP-SECRET"
    assert s.scenario.nodes["A"] == before.nodes["A"]


def test_an_intervention_that_cannot_apply_contradicts_the_log() -> None:
    s = _state()
    with pytest.raises(EvolveError, match=r"nodes\.Q\.analysts"):
        evolve(s, ev.InterventionApplied(seq=0, t=5.0, index=0, changes={"nodes.Q.analysts": 2}))
    with pytest.raises(EvolveError, match="analysts"):
        evolve(s, ev.InterventionApplied(seq=0, t=5.0, index=0, changes={"nodes.A.analysts": 0}))


def _sighting(report: str, grade: str = "B2") -> ev.SightingReported:
    return ev.SightingReported(
        seq=0,
        t=0.0,
        report=report,
        collector="c",
        node="A",
        munition="KN-23",
        sector="S",
        grade=grade,
        discipline="FORENSIC",
        usage=None,
    )


MARK = ev.Marking("NATO-RESTRICTED", ["NATO"])


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (ev.ReportReceived(seq=0, t=0.0, node="Q", report="R1"), "no node Q"),
        (ev.AnalysisStarted(seq=0, t=0.0, node="Q", report="R1"), "no node Q"),
        (ev.AnalysisCompleted(seq=0, t=0.0, node="A", report="R1"), "was not analysing"),
        (
            ev.MessageSent(
                seq=0, t=0.0, message="M1", link="A->Q", item="R1", kind="report", marking=MARK
            ),
            "no link A->Q",
        ),
        (ev.LinkDown(seq=0, t=0.0, link="B->A", cause="failure"), "no link B->A"),
        (
            ev.AssessmentReceived(
                seq=0, t=0.0, node="Q", assessment="A-1", band="likely", confidence=0.7, via="M1"
            ),
            "no node Q",
        ),
        (
            ev.AssessmentUpdated(
                seq=0,
                t=0.0,
                assessment="A-1",
                node="A",
                munition="KN-23",
                sector="S",
                confidence=0.7,
                band="likely",
                reports=["R1"],
                sources=["c"],
            ),
            "A has no cluster of KN-23 in S",
        ),
        (_sighting("R1", grade="Z9"), "no Admiralty grade"),
    ],
)
def test_a_contradicting_event_raises_evolve_error_and_nothing_else(
    event: ev.Event, says: str
) -> None:
    with pytest.raises(EvolveError, match=says):
        evolve(_state(), event)
