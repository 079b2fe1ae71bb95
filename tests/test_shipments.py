"""Supply-chain warning: shipments as ground truth ahead of use, indicators, warnings, lead.

Hand-worked trace. One shipment of Koksan guns leaves on route R at 120 h (5 d) and
reaches the depots after the route's transit, 240 h (at 360 h); the first Koksan gun
fires in sector S at 480 h (20 d). KOR watches the route with imagery (delay 1 d, B2)
and SIGINT (2 d, B2), analyses each report in 1 h and fuses with prior 0.2, two sources,
0.6: the imagery report alone (144 h, analysed 145 h) gives -1.386 + 1.12 = -0.266,
0.434: no warning; with the SIGINT report (168 h, analysed 169 h) -0.266 + 1.12 = 0.854,
0.701: KOR warns (A-KOR-1, 169 h). It shares its assessments with NATO over a 10 d link:
NATO holds the warning from 409 h.

Lead time = first use - first sound warning: KOR 480 - 169 = 311 h, NATO 480 - 409 = 71 h.
Shipments warned before arrival (360 h): KOR 1 of 1, NATO 0 of 1. Over a 2 h link NATO
holds it at 171 h: lead 309 h, 1 of 1.
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.analysis.metrics import metrics_from_events
from sim.analysis.timeline import timeline
from sim.events import (
    AssessmentIssued,
    AssessmentUpdated,
    Event,
    ShipmentArrived,
    ShipmentDeparted,
    SightingReported,
)
from sim.fusion import FusionPolicy
from sim.scenario.models import Scenario
from tests.builders import collector, link, node, rule, run_events, scenario_dict

MUNITIONS = {
    "Koksan-170mm": {"origin": "DPRK", "category": "self-propelled-gun"},
    "DPRK-152mm": {"origin": "DPRK", "category": "artillery-shell"},
}
POLICY = {"window": "72h", "min_sources": 2, "min_confidence": 0.6, "prior": 0.2}


def world(latency: str = "10d", **usage: Any) -> dict[str, Any]:
    """The trace's world; `latency` of KOR->NATO; `usage` overrides the Koksan usage line."""
    line = {"munition": "Koksan-170mm", "sector": "S", "at": "20d", **usage}
    raw = scenario_dict(
        duration="30d",
        munitions=MUNITIONS,
        usage_lines=[line],
        nodes={"KOR": node("KOR", fusion=POLICY), "NATO": node("NATO", fusion=POLICY)},
        links=[link("KOR", "NATO", latency=latency)],
        collectors={
            "imagery": collector("KOR", discipline="IMINT", delay="1d", sectors=[], routes=["R"]),
            "sigint": collector("KOR", discipline="SIGINT", delay="2d", sectors=[], routes=["R"]),
        },
        sharing=[rule("KOR", ["NATO"], items="assessments", rel_to=["KOR", "NATO"])],
    )
    raw["collectors"]["imagery"]["sectors"] = []
    raw["collectors"]["sigint"]["sectors"] = []
    raw["theater"]["routes"] = {"R": {"transit": "10d", "description": "rail"}}
    raw["theater"]["shipments"] = [{"munition": "Koksan-170mm", "route": "R", "at": "5d"}]
    return raw


def node_metrics(raw: dict[str, Any], events: list[Event], name: str) -> dict[str, Any]:
    result: dict[str, Any] = metrics_from_events(Scenario.model_validate(raw), events)
    return dict(result["nodes"][name])


def test_a_shipment_seen_on_its_route_becomes_a_warning_ahead_of_use() -> None:
    raw = world()
    events = run_events(raw)
    truth = [
        (type(e).__name__, e.t, e.shipment, e.munition, e.route)
        for e in events
        if isinstance(e, ShipmentDeparted | ShipmentArrived)
    ]
    assert truth == [
        ("ShipmentDeparted", 120.0, "S1", "Koksan-170mm", "R"),
        ("ShipmentArrived", 360.0, "S1", "Koksan-170mm", "R"),
    ]
    seen = [
        (e.t, e.collector, e.sector, e.shipment, e.usage, e.used_at)
        for e in events
        if isinstance(e, SightingReported)
    ]
    assert seen == [
        (144.0, "imagery", "R", "S1", None, 120.0),
        (168.0, "sigint", "R", "S1", None, 120.0),
    ]
    [warning] = [e for e in events if isinstance(e, AssessmentIssued)]
    assert (warning.t, warning.node, warning.munition, warning.sector) == (
        169.0,
        "KOR",
        "Koksan-170mm",
        "R",
    )
    assert warning.confidence == pytest.approx(0.701, abs=5e-4)
    kor, nato = node_metrics(raw, events, "KOR"), node_metrics(raw, events, "NATO")
    assert kor["warning_lead_h"] == {"Koksan-170mm": pytest.approx(311.0)}
    assert nato["warning_lead_h"] == {"Koksan-170mm": pytest.approx(71.0)}
    assert (kor["shipments_warned"], nato["shipments_warned"]) == (1.0, 0.0)
    # a warning is not knowledge of a use, nor a false attribution
    assert (kor["usages_known"], kor["false_attributions"], kor["false_warnings"]) == (0, 0, 0)
    lines = [line.text for line in timeline(Scenario.model_validate(raw), events)]
    assert any(text.startswith("KOR warns of Koksan-170mm shipments on R") for text in lines)


def test_a_faster_route_lengthens_the_lead_at_nato() -> None:
    raw = world(latency="2h")
    nato = node_metrics(raw, run_events(raw), "NATO")
    assert nato["warning_lead_h"] == {"Koksan-170mm": pytest.approx(309.0)}
    assert nato["shipments_warned"] == 1.0


def test_no_warning_is_none_and_a_use_after_the_end_counts_from_the_end() -> None:
    raw = world()
    raw["collectors"]["sigint"]["detection"] = 0.0  # one source: never a warning
    nato = node_metrics(raw, run_events(raw), "NATO")
    assert nato["warning_lead_h"] == {"Koksan-170mm": None}
    raw = world(at="29d")
    raw["duration"] = "25d"  # the first use falls after the end: lead at least 600 - 169
    kor = node_metrics(raw, run_events(raw), "KOR")
    assert kor["warning_lead_h"] == {"Koksan-170mm": pytest.approx(600.0 - 169.0)}


def test_munitions_in_use_from_the_start_have_no_lead_time() -> None:
    raw = world()
    raw["theater"]["usage"].append({"munition": "DPRK-152mm", "sector": "S", "rate": "1/d"})
    raw["theater"]["shipments"].append({"munition": "DPRK-152mm", "route": "R", "at": "6d"})
    kor = node_metrics(raw, run_events(raw), "KOR")
    assert list(kor["warning_lead_h"]) == ["Koksan-170mm"]


def test_an_indicator_naming_the_wrong_munition_makes_a_false_warning() -> None:
    raw = world()
    for name in ("imagery", "sigint"):  # both name shells: what the shipment did not carry
        raw["collectors"][name]["misidentification"] = 1.0
    events = run_events(raw)
    kor = node_metrics(raw, events, "KOR")
    assert kor["false_warnings"] == 1
    assert kor["warning_lead_h"] == {"Koksan-170mm": None}


def test_a_warning_bar_of_one_source_warns_on_the_first_indicator() -> None:
    # fusion.warnings {min_sources: 1, min_confidence: 0.4} at KOR: the imagery report
    # alone (analysed 145 h) gives 0.434 >= 0.4: KOR warns at 145 h (A-KOR-1 v1, one
    # source, the warning's bar recorded), the SIGINT report makes v2 (169 h, 0.701).
    # NATO holds v1 from 145 + 240 = 385 h. Lead: KOR 480 - 145 = 335 h, NATO 95 h;
    # shipments warned before arrival (360 h): KOR 1 of 1, NATO 0 of 1
    raw = world()
    bar = {"min_sources": 1, "min_confidence": 0.4}
    raw["nodes"]["KOR"]["fusion"] = {**POLICY, "warnings": bar}
    events = run_events(raw)
    issued = [
        (type(e).__name__, e.t, e.version, round(e.confidence, 3), e.min_sources, e.min_confidence)
        for e in events
        if isinstance(e, AssessmentIssued | AssessmentUpdated)
    ]
    assert issued == [
        ("AssessmentIssued", 145.0, 1, 0.434, 1, 0.4),
        ("AssessmentUpdated", 169.0, 2, 0.701, 1, 0.4),
    ]
    kor, nato = node_metrics(raw, events, "KOR"), node_metrics(raw, events, "NATO")
    assert kor["warning_lead_h"] == {"Koksan-170mm": pytest.approx(335.0)}
    assert nato["warning_lead_h"] == {"Koksan-170mm": pytest.approx(95.0)}
    assert (kor["shipments_warned"], nato["shipments_warned"]) == (1.0, 0.0)


def test_the_warning_bar_is_for_routes_only() -> None:
    policy = FusionPolicy(72.0, 2, 0.6, routes=frozenset({"R"}), warning=(240.0, 1, 0.4))
    assert policy.meets(0.43, 1, "R") and not policy.meets(0.43, 1, "S")
    assert (policy.window_for("R"), policy.window_for("S")) == (240.0, 72.0)
    assert policy.period(250.0, "R") == (240.0, 480.0) and policy.period(250.0) == (216.0, 288.0)
    # no warning bar: a route is judged like a sector
    assert not FusionPolicy(72.0, 2, 0.6, routes=frozenset({"R"})).meets(0.43, 1, "R")


def test_a_warning_window_gathers_indicators_of_shipments_days_apart() -> None:
    # a second Koksan shipment leaves at 8 d (192 h), seen by both watchers (216 h, 240 h).
    # With the 72 h window the shipments fall in periods 72-144 h and 144-216 h: two
    # warnings, each 0.434 then 0.701. With a 10 d window both fall in 0-240 h: one warning;
    # the second shipment's indicators come from the sources it already counts (same
    # collectors): no new version
    def run(window: str | None) -> list[tuple[str, float, float, int, float]]:
        raw = world()
        raw["theater"]["shipments"].append({"munition": "Koksan-170mm", "route": "R", "at": "8d"})
        bar: dict[str, Any] = {"min_sources": 1, "min_confidence": 0.4}
        if window is not None:
            bar["window"] = window
        raw["nodes"]["KOR"]["fusion"] = {**POLICY, "warnings": bar}
        return [
            (e.assessment, e.t, e.period_start, e.version, round(e.confidence, 3))
            for e in run_events(raw)
            if isinstance(e, AssessmentIssued | AssessmentUpdated) and e.node == "KOR"
        ]

    assert run(None) == [
        ("A-KOR-1", 145.0, 72.0, 1, 0.434),
        ("A-KOR-1", 169.0, 72.0, 2, 0.701),
        ("A-KOR-2", 217.0, 144.0, 1, 0.434),
        ("A-KOR-2", 241.0, 144.0, 2, 0.701),
    ]
    assert run("10d") == [("A-KOR-1", 145.0, 0.0, 1, 0.434), ("A-KOR-1", 169.0, 0.0, 2, 0.701)]
