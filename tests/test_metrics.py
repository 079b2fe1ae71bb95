"""Metrics: exact numbers on a hand-built event sequence, and sanity on whole runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sim import events as ev
from sim.analysis.metrics import MetricsProjection, flatten, metrics_from_events
from sim.analysis.stats_basic import describe, percentile
from sim.engine import simulate
from sim.scenario.loader import LoadedScenario
from sim.scenario.models import Scenario
from sim.store import read_events, read_json
from tests.builders import busy_example, collector, design_example, link, node, rule, scenario_dict

RESTRICTED = ev.Marking("NATO-RESTRICTED", ["NATO", "UKR"])


def two_node_scenario() -> Scenario:
    """Nodes A (UKR) and B (USA, in NATO), links both ways, two munitions."""
    raw = scenario_dict(
        munitions={
            "KN-23": {"category": "ballistic-missile"},
            "DPRK-152mm": {"category": "artillery-shell"},
        },
        nodes={"A": node("UKR"), "B": node("USA")},
        links=[link("A", "B"), link("B", "A")],
    )
    return Scenario.model_validate(raw)


def hand_built() -> list[ev.Event]:
    """A short story whose every metric can be worked out by hand (see test below)."""
    story: list[ev.Event] = [
        ev.RunStarted(t=0.0, scenario="test", seed=1, start="2024-07-11T00:00:00Z", horizon=20.0),
        ev.MunitionUsed(t=1.0, usage="U1", munition="KN-23", sector="S"),
        ev.SightingReported(
            t=2.0,
            report="R1",
            collector="c1",
            node="A",
            munition="KN-23",
            sector="S",
            grade="B2",
            discipline="FORENSIC",
            usage="U1",
        ),
        ev.ReportReceived(t=2.0, node="A", report="R1"),
        ev.MunitionUsed(t=3.0, usage="U2", munition="KN-23", sector="S"),
        ev.AnalysisStarted(t=4.0, node="A", report="R1"),
        # misidentified: traces to U2 (a KN-23) but names a shell
        ev.SightingReported(
            t=5.0,
            report="R2",
            collector="c2",
            node="A",
            munition="DPRK-152mm",
            sector="S",
            grade="C3",
            discipline="OSINT",
            usage="U2",
        ),
        ev.SightingReported(
            t=5.0,
            report="R3",
            collector="fake",
            node="A",
            munition="KN-23",
            sector="S",
            grade="E5",
            discipline="OSINT",
            usage=None,
        ),
        ev.ReportReceived(t=5.0, node="A", report="R3"),
        ev.AnalysisCompleted(t=6.0, node="A", report="R1"),
        ev.AnalysisStarted(t=6.0, node="A", report="R3"),
        ev.MessageSent(
            t=6.0, message="M1", link="A->B", item="R1", kind="report", marking=RESTRICTED
        ),
        ev.MessageSent(
            t=7.0, message="M2", link="A->B", item="R3", kind="report", marking=RESTRICTED
        ),
        ev.MessageIntercepted(t=7.0, message="M2", link="A->B", item="R3", attack="spy"),
        ev.MessageDropped(t=7.0, message="M3", link="A->B", item="R2", reason="not-releasable"),
        # a false assessment: its only report is fabricated
        ev.AssessmentIssued(
            t=8.0,
            assessment="A-A-1",
            node="A",
            munition="KN-23",
            sector="S",
            confidence=0.7,
            band="likely",
            reports=["R3"],
            sources=["fake"],
        ),
        ev.MessageDelivered(
            t=9.0, message="M1", link="A->B", item="R1", kind="report", marking=RESTRICTED
        ),
        ev.ReportReceived(t=9.0, node="B", report="R1", via="M1"),
        ev.AssessmentIssued(
            t=10.0,
            assessment="A-B-1",
            node="B",
            munition="KN-23",
            sector="S",
            confidence=0.7,
            band="likely",
            reports=["R1"],
            sources=["c1"],
        ),
        ev.MessageSent(
            t=10.0,
            message="M4",
            link="B->A",
            item="A-B-1",
            kind="assessment",
            marking=ev.Marking("NATO-SECRET", ["NATO"]),
        ),
        # delivered although REL TO NATO excludes A (UKR): a releasability violation
        ev.MessageDelivered(
            t=12.0,
            message="M4",
            link="B->A",
            item="A-B-1",
            kind="assessment",
            marking=ev.Marking("NATO-SECRET", ["NATO"]),
        ),
        ev.AssessmentReceived(
            t=12.0, node="A", assessment="A-B-1", band="likely", confidence=0.7, via="M4"
        ),
        ev.LinkDown(t=13.0, link="A->B", cause="failure"),
        ev.LinkDown(t=14.0, link="A->B", cause="cyber:ddos"),
        ev.LinkUp(t=14.5, link="A->B", cause="failure"),
        ev.LinkUp(t=15.0, link="A->B", cause="cyber:ddos"),
        ev.LinkDown(t=18.0, link="B->A", cause="failure"),
        ev.RunEnded(t=20.0, reason="horizon"),
    ]
    for seq, event in enumerate(story):
        event.seq = seq
    return story


def test_hand_built_sequence_gives_exact_metrics() -> None:
    m = metrics_from_events(two_node_scenario(), hand_built())
    assert m["run"] == {
        "events": 28,
        "t_end_h": 20.0,
        "usages": 2,
        "episodes": 1,
        "reports": 3,
        "reports_collected": 2,
        "reports_fabricated": 1,
        "reports_misidentified": 1,
        "assessments_issued": 2,
        "messages_sent": 3,
        "messages_delivered": 2,
        "messages_dropped": 1,
        "messages_held": 0,
        "messages_in_flight": 1,  # M2
        "link_outages": 2,
        "interventions": 0,
    }
    a, b = m["nodes"]["A"], m["nodes"]["B"]
    assert a["reports_received"] == 2 and a["reports_analysed"] == 1
    assert a["report_latency_h"] == {"n": 2, "mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    assert a["queue_wait_h"] == {"n": 2, "mean": 1.5, "median": 1.5, "p90": 1.9, "max": 2.0}
    assert a["analysis_time_h"] == {"n": 1, "mean": 2.0, "median": 2.0, "p90": 2.0, "max": 2.0}
    assert a["false_assessments"] == 1
    # A first knows an assessment of (KN-23, S) at 8 (its own, false), the episode began at 1
    assert a["time_to_assessment_h"]["n"] == 1 and a["time_to_assessment_h"]["mean"] == 7.0
    assert a["coverage"] == 1.0 and a["episodes_assessed"] == 1
    # U1 is known at A through B's assessment (R1), received at 12; U2 never (misidentified)
    assert a["usage_to_assessment_h"]["n"] == 1 and a["usage_to_assessment_h"]["max"] == 11.0
    assert a["usages_assessed"] == 1 and a["usage_coverage"] == 0.5
    assert a["assessments_received"] == 1
    assert b["report_latency_h"]["mean"] == 7.0  # filed at 2, in B's queue at 9
    assert b["time_to_assessment_h"]["mean"] == 9.0
    assert b["usage_to_assessment_h"]["mean"] == 9.0
    assert b["false_assessments"] == 0
    # B never started an analysis: every statistic undefined, not 0
    assert b["queue_wait_h"] == {"n": 0, "mean": None, "median": None, "p90": None, "max": None}
    ab, ba = m["links"]["A->B"], m["links"]["B->A"]
    assert (ab["sent"], ab["delivered"], ab["dropped"], ab["intercepted"]) == (
        2,
        1,
        {"not-releasable": 1},
        1,
    )
    assert ab["transit_h"]["mean"] == 3.0
    assert ab["outages"] == 1 and ab["down_h"] == 2.0  # two overlapping causes: one outage
    assert ba["outages"] == 1 and ba["down_h"] == 2.0  # still down at the end (18 -> 20)
    assert ba["transit_h"]["max"] == 2.0
    assert m["drops_by_reason"] == {"not-releasable": 1}
    assert m["intercepted"] == 1
    assert m["releasability_violations"] == 1


def test_violations_over_classification_and_clearance() -> None:
    raw = scenario_dict(
        nodes={"A": node("UKR"), "B": node("USA", clearance="NATO-CONFIDENTIAL")},
        links=[link("A", "B", max_classification="NATO-SECRET")],
    )
    scenario = Scenario.model_validate(raw)

    def delivered(classification: str) -> ev.MessageDelivered:
        marking = ev.Marking(classification, ["NATO", "UKR"])
        return ev.MessageDelivered(
            t=1.0, message="M", link="A->B", item="R", kind="report", marking=marking
        )

    ok = metrics_from_events(scenario, [delivered("NATO-CONFIDENTIAL")])
    over_clearance = metrics_from_events(scenario, [delivered("NATO-SECRET")])
    over_link = metrics_from_events(scenario, [delivered("COSMIC-TOP-SECRET")])
    assert ok["releasability_violations"] == 0
    assert over_clearance["releasability_violations"] == 1
    assert over_link["releasability_violations"] == 1


def test_intervention_changing_clearance_is_followed() -> None:
    raw = scenario_dict(nodes={"A": node("UKR"), "B": node("USA")}, links=[link("A", "B")])
    marking = ev.Marking("NATO-SECRET", ["NATO", "UKR"])
    events = [
        ev.MessageDelivered(
            t=1.0, message="M1", link="A->B", item="R", kind="report", marking=marking
        ),
        ev.InterventionApplied(t=2.0, index=0, changes={"nodes.B.clearance": "NATO-RESTRICTED"}),
        ev.MessageDelivered(
            t=3.0, message="M2", link="A->B", item="R", kind="report", marking=marking
        ),
    ]
    m = metrics_from_events(Scenario.model_validate(raw), events)
    assert m["releasability_violations"] == 1
    assert m["run"]["interventions"] == 1


def test_a_run_without_usage_leaves_coverage_undefined() -> None:
    m = metrics_from_events(two_node_scenario(), [])
    assert m["run"]["episodes"] == 0
    assert m["nodes"]["A"]["coverage"] is None
    assert m["nodes"]["A"]["usage_coverage"] is None
    assert m["nodes"]["A"]["time_to_assessment_h"]["mean"] is None
    assert m["links"]["A->B"]["transit_h"]["n"] == 0


def test_fabricated_assessment_before_any_use_is_not_an_episode_assessment() -> None:
    events = [
        ev.SightingReported(
            t=1.0,
            report="R1",
            collector="fake",
            node="A",
            munition="KN-23",
            sector="S",
            grade="E5",
            discipline="OSINT",
            usage=None,
        ),
        ev.AssessmentIssued(
            t=2.0,
            assessment="A-A-1",
            node="A",
            munition="KN-23",
            sector="S",
            confidence=0.7,
            band="likely",
            reports=["R1"],
            sources=["fake"],
        ),
        ev.MunitionUsed(t=5.0, usage="U1", munition="KN-23", sector="S"),
    ]
    m = metrics_from_events(two_node_scenario(), events)
    assert m["nodes"]["A"]["false_assessments"] == 1
    assert m["nodes"]["A"]["coverage"] == 0.0
    assert m["nodes"]["A"]["time_to_assessment_h"]["n"] == 0


def test_flatten_gives_dotted_numeric_keys() -> None:
    flat = flatten(metrics_from_events(two_node_scenario(), hand_built()))
    assert flat["nodes.A.time_to_assessment_h.mean"] == 7.0
    assert flat["nodes.B.queue_wait_h.mean"] is None
    assert flat["links.A->B.dropped.not-releasable"] == 1
    assert flat["releasability_violations"] == 1
    assert all(v is None or isinstance(v, int | float) for v in flat.values())


def test_describe_and_percentile() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == pytest.approx(3.7)
    assert describe([5.0]) == {"n": 1, "mean": 5.0, "median": 5.0, "p90": 5.0, "max": 5.0}
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)


def _run(raw: dict[str, Any]) -> tuple[Scenario, list[ev.Event], dict[str, Any]]:
    scenario = Scenario.model_validate(raw)
    events: list[ev.Event] = []
    live = MetricsProjection(scenario)
    simulate(scenario, raw, listeners=[events.append, live.apply])
    return scenario, events, live.result()


def _consistent(events: list[ev.Event], m: dict[str, Any]) -> None:
    counts = Counter(type(e).__name__ for e in events)
    run = m["run"]
    assert run["events"] == len(events)
    assert run["usages"] == counts["MunitionUsed"]
    assert run["reports"] == counts["SightingReported"]
    assert run["reports_fabricated"] == counts["DisinformationInjected"]
    assert run["messages_sent"] == counts["MessageSent"]
    assert run["messages_delivered"] == counts["MessageDelivered"]
    assert run["messages_dropped"] == counts["MessageDropped"]
    assert run["assessments_issued"] == counts["AssessmentIssued"]
    assert m["intercepted"] == counts["MessageIntercepted"]
    assert sum(n["reports_received"] for n in m["nodes"].values()) == counts["ReportReceived"]
    assert sum(n["reports_analysed"] for n in m["nodes"].values()) == counts["AnalysisCompleted"]
    sent_and_dropped = sum(
        1
        for e in events
        if isinstance(e, ev.MessageDropped) and e.reason in ("link-down", "link-closed")
    )
    # every message sent was delivered, dropped after sending, or is still in flight
    assert run["messages_sent"] >= run["messages_delivered"] + run["messages_in_flight"]
    assert (
        run["messages_sent"]
        <= run["messages_delivered"] + run["messages_in_flight"] + sent_and_dropped
    )
    assert m["releasability_violations"] == 0
    for node_metrics in m["nodes"].values():
        for key in ("time_to_assessment_h", "usage_to_assessment_h", "queue_wait_h"):
            stats = node_metrics[key]
            assert stats["n"] == 0 or stats["max"] >= stats["median"] >= 0
        assert node_metrics["coverage"] is None or 0 <= node_metrics["coverage"] <= 1
        assert node_metrics["time_to_assessment_h"]["n"] == node_metrics["episodes_assessed"]


def test_design_example_metrics_are_sane() -> None:
    scenario, events, live = _run(design_example())
    _consistent(events, live)
    assert live == metrics_from_events(scenario, events)  # live == from the log
    assert live["nodes"]["UKR-HUR"]["report_latency_h"]["max"] == 0.0  # its own collectors


def test_busy_example_metrics_are_sane_and_assess() -> None:
    raw = busy_example()
    # a sharing rule whose REL TO leaves out UKR: those messages must be refused, not delivered
    raw["sharing"].append(
        rule(
            "NATO-JISD", ["UKR-HUR"], items="reports", classification="NATO-SECRET", rel_to=["NATO"]
        )
    )
    scenario, events, live = _run(raw)
    _consistent(events, live)
    assert live["drops_by_reason"].get("not-releasable", 0) > 0
    jisd = live["nodes"]["NATO-JISD"]
    assert jisd["assessments_issued"] > 0
    assert jisd["coverage"] == 1.0 and jisd["time_to_assessment_h"]["n"] == 1
    assert jisd["usage_to_assessment_h"]["n"] == jisd["usages_assessed"] > 0
    assert live == metrics_from_events(scenario, events)


def test_metrics_json_of_a_run_equals_recomputation(tmp_path: Path) -> None:
    from sim.experiments.run import run_to_directory

    raw = design_example()
    raw["collectors"]["second"] = collector("UKR-HUR", sectors=["Kharkiv"], detection=0.5)
    scenario = Scenario.model_validate(raw)
    outcome = run_to_directory(LoadedScenario(scenario, raw, "test", []), tmp_path)
    assert outcome.run_dir is not None
    recorded = read_json(outcome.run_dir / "metrics.json")
    recomputed = metrics_from_events(scenario, read_events(outcome.run_dir / "events.jsonl"))
    assert recorded == recomputed
