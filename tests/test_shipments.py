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
from sim.events import AssessmentIssued, Event, ShipmentArrived, ShipmentDeparted, SightingReported
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
