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


def evidence(
    source: str, reports: list[str], llr: float = 1.12, grade: str = "B2"
) -> ev.EvidenceLine:
    """One supporting line of an assessment's arithmetic, counted directly."""
    return ev.EvidenceLine(
        source=source,
        polarity="supports",
        grade=grade,
        llr=llr,
        weight=1.0,
        counts_as=source,
        reports=reports,
        via=[],
    )


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
        # a false attribution: its only report is fabricated
        ev.AssessmentIssued(
            t=8.0,
            assessment="A-A-1",
            node="A",
            munition="KN-23",
            sector="S",
            confidence=0.43,
            band="realistic possibility",
            reports=["R3"],
            sources=["fake"],
            period_start=0.0,
            period_end=72.0,
            min_sources=1,
            min_confidence=0.4,
            evidence=[evidence("fake", ["R3"])],
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
            confidence=0.43,
            band="realistic possibility",
            reports=["R1"],
            sources=["c1"],
            period_start=0.0,
            period_end=72.0,
            min_sources=1,
            min_confidence=0.4,
            evidence=[evidence("c1", ["R1"])],
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
    return [ev.numbered(event, seq) for seq, event in enumerate(story)]


def test_hand_built_sequence_gives_exact_metrics() -> None:
    """Knowledge, worked by hand. U1 (t 1) and U2 (t 3) are KN-23 uses in S, both in the
    period [0, 72) and in the first week (one episode). A-A-1 (A, t 8) rests only on R3,
    fabricated: without it, p = prior 0.2 < 0.4, so it is not sound and is no knowledge.
    A-B-1 (B, t 10) rests on R1, which traces to U1: p = 1 / (1 + e^(1.386294 - 1.12))
    = 0.43382 >= 0.4 with 1 source: sound. B knows U1 and U2 at 10 (9 h and 7 h after
    use), A when it receives A-B-1 at 12 (11 h, 9 h). Kaplan-Meier with nothing censored:
    S falls to 0.5 at the shorter time, so the median is 7 h at B, 9 h at A, and every
    usage is known within 2 days (the longest-followed one was known: S is fixed after).
    """
    m = metrics_from_events(two_node_scenario(), hand_built())
    assert m["run"] == {
        "events": 28,
        "t_end_h": 20.0,
        "usages": 2,
        "usages_monitored": 2,
        "usages_lookalike": 0,
        "episodes": 1,
        "reports": 3,
        "reports_collected": 2,
        "reports_fabricated": 1,
        "reports_denials": 0,
        "reports_misidentified": 1,
        "reports_indicators": 0,
        "shipments": 0,
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
    # R3 is fabricated: made up on the spot, it has no latency
    assert a["report_latency_h"] == {"n": 1, "mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    assert a["queue_wait_h"] == {"n": 2, "mean": 1.5, "median": 1.5, "p90": 1.9, "max": 2.0}
    assert a["analysis_time_h"] == {"n": 1, "mean": 2.0, "median": 2.0, "p90": 2.0, "max": 2.0}
    assert a["assessments_received"] == 1
    assert (a["usages_known"], a["usage_coverage"], a["knowledge_median_h"]) == (2, 1.0, 9.0)
    assert (b["usages_known"], b["usage_coverage"], b["knowledge_median_h"]) == (2, 1.0, 7.0)
    for held in (a, b):
        assert held["known_within_2d"] == held["known_within_30d"] == 1.0
        assert (held["episodes_known"], held["coverage"]) == (1, 1.0)
    assert a["first_appearance_h"] == {"KN-23": 11.0}  # first use at 1, A's first sound at 12
    assert b["first_appearance_h"] == {"KN-23": 9.0}
    # A holds A-A-1 (false) and A-B-1 (sound); B holds A-B-1
    assert (a["false_attributions"], a["false_attribution_rate"]) == (1, 0.5)
    assert (b["false_attributions"], b["false_attribution_rate"]) == (0, 0.0)
    # A's own assessment rests on its own report; B's on R1, filed at A
    assert (a["on_partner_evidence"], a["partner_evidence"]) == (0.0, {})
    assert (b["on_partner_evidence"], b["partner_evidence"]) == (1.0, {"A": 1.0})
    assert b["report_latency_h"]["mean"] == 7.0  # filed at 2, in B's queue at 9
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
    assert m["nodes"]["A"]["knowledge_median_h"] is None
    assert m["nodes"]["A"]["known_within_7d"] is None
    assert m["links"]["A->B"]["transit_h"]["n"] == 0


def sighting(
    t: float, report: str, munition: str, usage: str | None, collector: str = "c1"
) -> list[ev.Event]:
    """A report filed at A and analysed there at once."""
    return [
        ev.SightingReported(
            t=t,
            report=report,
            collector=collector,
            node="A",
            munition=munition,
            sector="S",
            grade="B2",
            discipline="FORENSIC",
            usage=usage,
        ),
        ev.ReportReceived(t=t, node="A", report=report),
        ev.AnalysisStarted(t=t, node="A", report=report),
        ev.AnalysisCompleted(t=t, node="A", report=report),
    ]


def fusion_scenario(**munitions: dict[str, Any]) -> Scenario:
    """Node A fuses (an assessment lists only reports its node analysed, kept for good)."""
    raw = scenario_dict(
        munitions=munitions or {"KN-23": {"category": "ballistic-missile"}},
        nodes={"A": node("UKR", fusion={"window": "72h"}), "B": node("USA")},
        links=[link("A", "B")],
    )
    return Scenario.model_validate(raw)


def issued(
    t: float,
    assessment: str,
    reports: list[list[str]],
    version: int = 1,
    munition: str = "KN-23",
    band: str = "likely",
) -> ev.AssessmentFacts:
    """A's assessment of `munition` in S over [0, 72), one B2 line per list of reports;
    bar: 2 sources and 0.6."""
    kind = ev.AssessmentIssued if version == 1 else ev.AssessmentUpdated
    lines = [evidence(f"c{i}", rs) for i, rs in enumerate(reports)]
    return kind(
        t=t,
        assessment=assessment,
        node="A",
        munition=munition,
        sector="S",
        confidence=0.7,
        band=band,
        reports=[r for rs in reports for r in rs],
        sources=[x.source for x in lines],
        version=version,
        period_start=0.0,
        period_end=72.0,
        min_sources=2,
        min_confidence=0.6,
        evidence=lines,
    )


def test_knowledge_waits_until_the_assessment_stands_on_genuine_evidence() -> None:
    """A-A-1 (t 10) rests on R1 (genuine, U1) and R2 (fabricated): without R2, 1 source
    (p = 0.43382) under a bar of 2: no knowledge. Version 2 (t 30) adds R3 (genuine, U1):
    2 B2 sources, p = 0.70134: sound, so U1 (t 5) is known at 30: 25 h."""
    events = [
        ev.MunitionUsed(t=5.0, usage="U1", munition="KN-23", sector="S"),
        *sighting(6.0, "R1", "KN-23", "U1"),
        *sighting(7.0, "R2", "KN-23", None, collector="fake"),
        issued(10.0, "A-A-1", [["R1"], ["R2"]]),
        *sighting(20.0, "R3", "KN-23", "U1", collector="c2"),
        issued(30.0, "A-A-1", [["R1"], ["R2"], ["R3"]], version=2),
        ev.RunEnded(t=100.0, reason="horizon"),
    ]
    a = metrics_from_events(fusion_scenario(), events)["nodes"]["A"]
    assert a["knowledge_median_h"] == 25.0
    assert a["false_attributions"] == 0  # as held at the end, it stands


def test_a_band_inflated_by_a_fake_is_not_knowledge() -> None:
    """Three B2 lines, one of them fabricated: published at 0.85 "highly likely"
    (z = -1.386294 + 3 x 1.12 = 1.973706). On genuine support alone: z = 0.853706,
    p = 0.70134, "likely": it clears the bar (2 sources, 0.6) but not the band it states,
    so it is not knowledge (a partner given it for being "highly likely" is misled)."""
    events = [
        ev.MunitionUsed(t=5.0, usage="U1", munition="KN-23", sector="S"),
        *sighting(6.0, "R1", "KN-23", "U1"),
        *sighting(6.0, "R2", "KN-23", "U1", collector="c2"),
        *sighting(7.0, "R3", "KN-23", None, collector="fake"),
        issued(10.0, "A-A-1", [["R1"], ["R2"], ["R3"]], band="highly likely"),
        ev.RunEnded(t=100.0, reason="horizon"),
    ]
    a = metrics_from_events(fusion_scenario(), events)["nodes"]["A"]
    assert a["usages_known"] == 0
    assert a["false_attributions"] == 1


def test_a_never_known_usage_is_censored_not_dropped() -> None:
    """U1 (t 0) known at 10; U2 (t 80, in the next period) never: censored at 100 - 80 = 20.
    KM: S(10) = 1 - 1/2 = 0.5, so the median is 10 h; at 20 h the one left is censored:
    past 20 h the data say nothing, so the share known within 2 days is undefined (U2
    might have been known on day 2), not 0.5 and not 1."""
    events = [
        ev.MunitionUsed(t=0.0, usage="U1", munition="KN-23", sector="S"),
        *sighting(1.0, "R1", "KN-23", "U1"),
        *sighting(2.0, "R2", "KN-23", "U1", collector="c2"),
        issued(10.0, "A-A-1", [["R1"], ["R2"]]),
        ev.MunitionUsed(t=80.0, usage="U2", munition="KN-23", sector="S"),
        ev.RunEnded(t=100.0, reason="horizon"),
    ]
    a = metrics_from_events(fusion_scenario(), events)["nodes"]["A"]
    assert (a["usages_known"], a["usage_coverage"]) == (1, 0.5)
    assert a["knowledge_median_h"] == 10.0
    assert a["known_within_2d"] is None


def test_a_look_alike_taken_for_a_dprk_munition_is_a_false_attribution() -> None:
    scenario = fusion_scenario(
        **{
            "KN-23": {"category": "ballistic-missile", "looks_like": ["Iskander-M"]},
            "Iskander-M": {"origin": "RUS", "category": "ballistic-missile"},
        }
    )
    events = [
        ev.MunitionUsed(t=1.0, usage="U1", munition="Iskander-M", sector="S"),
        *sighting(2.0, "R1", "KN-23", "U1"),  # misidentified: an Iskander called a KN-23
        *sighting(3.0, "R2", "KN-23", "U1", collector="c2"),
        issued(5.0, "A-A-1", [["R1"], ["R2"]]),
        ev.RunEnded(t=100.0, reason="horizon"),
    ]
    m = metrics_from_events(scenario, events)
    assert m["run"]["usages_lookalike"] == 1 and m["run"]["usages_monitored"] == 0
    assert m["run"]["reports_misidentified"] == 2
    a = m["nodes"]["A"]
    assert (a["false_attributions"], a["false_attribution_rate"]) == (1, 1.0)
    assert a["usages_known"] == 0 and a["knowledge_median_h"] is None


def test_flatten_gives_dotted_numeric_keys() -> None:
    flat = flatten(metrics_from_events(two_node_scenario(), hand_built()))
    assert flat["nodes.A.knowledge_median_h"] == 9.0
    assert flat["nodes.B.first_appearance_h.KN-23"] == 9.0
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
    simulate(scenario, listeners=[events.append, live.apply])
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
        stats = node_metrics["queue_wait_h"]
        assert stats["n"] == 0 or stats["max"] >= stats["median"] >= 0
        for key in ("coverage", "usage_coverage", "known_within_2d", "known_within_7d"):
            assert node_metrics[key] is None or 0 <= node_metrics[key] <= 1
        shares = [node_metrics[f"known_within_{d}d"] for d in (2, 7, 30)]
        defined = [x for x in shares if x is not None]
        assert defined == sorted(defined)  # known within 2 d <= 7 d <= 30 d
        median = node_metrics["knowledge_median_h"]
        assert median is None or median >= 0


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
    assert jisd["coverage"] > 0 and jisd["usages_known"] > 0
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
