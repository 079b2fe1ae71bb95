"""Whole event traces of tiny deterministic scenarios, asserted event by event.

Every distribution is fixed, detection is 1, so the only randomness is *when* the one
munition use happens: a Poisson line of a million uses an hour over a window of
1e-6 h (3.6 ms) starting at 10 h. With seed 1 that window holds exactly one use, at
u ≈ 10 h; every later time is u plus fixed offsets, so traces are written relative
to u. (If the engine's random streams are ever renamed the count may change; the
first assertion of each test says so plainly.)
"""

from __future__ import annotations

from typing import Any

from sim.events import (
    AnalysisCompleted,
    AnalysisStarted,
    Event,
    LinkDown,
    LinkUp,
    Marking,
    MessageDelivered,
    MessageDropped,
    MessageHeld,
    MessageSent,
    MunitionUsed,
    ReportReceived,
    RunEnded,
    RunStarted,
    SightingReported,
)
from tests.builders import collector, link, node, rule, run_events, scenario_dict, usage

SEED = 1
ONE_USE = usage("1000000/h", from_="10h", until="10.000001h")
RESTRICTED = Marking("NATO-RESTRICTED", ["NATO", "UKR"])


def tiny(**sections: Any) -> dict[str, Any]:
    """A: UKR node (3 h analysis) fed by c1 (2 h delay); B: USA node (1 h); link A->B 4 h, 2/h."""
    base: dict[str, Any] = {
        "usage_lines": [ONE_USE],
        "nodes": {"A": node("UKR", analysis_time="3h"), "B": node("USA", analysis_time="1h")},
        "links": [link("A", "B", latency="4h", capacity="2/h")],
        "collectors": {"c1": collector("A", delay="2h")},
        "sharing": [rule("A", ["B"])],
    }
    base.update(sections)
    return scenario_dict(**base)


def the_use(events: list[Event]) -> float:
    """Time of the single MunitionUsed of the run (checked to be single and in its window)."""
    uses = [e for e in events if isinstance(e, MunitionUsed)]
    assert len(uses) == 1, f"seed {SEED} should give exactly one use in the window, got {len(uses)}"
    u = uses[0].t
    assert 10.0 <= u < 10.000001
    return u


def key(event: Event, u: float) -> tuple[Any, ...]:
    """(type, time relative to the use, the fields that identify what happened)."""
    rel = round(event.t - u, 6)
    name = type(event).__name__
    match event:
        case RunStarted():
            return (name, rel, event.scenario, event.seed, event.horizon)
        case MunitionUsed():
            return (name, rel, event.usage, event.munition, event.sector)
        case SightingReported():
            return (name, rel, event.report, event.collector, event.node, event.usage)
        case ReportReceived():
            return (name, rel, event.node, event.report, event.via)
        case AnalysisStarted() | AnalysisCompleted():
            return (name, rel, event.node, event.report)
        case MessageSent() | MessageDelivered():
            return (name, rel, event.message, event.link, event.item, event.kind, event.marking)
        case MessageDropped() | MessageHeld():
            return (name, rel, event.message, event.link, event.item, event.reason)
        case LinkDown() | LinkUp():
            return (name, rel, event.link, event.cause)
        case RunEnded():
            return (name, rel, event.reason)
    return (name, rel)


def trace(raw: dict[str, Any]) -> list[tuple[Any, ...]]:
    events = run_events(raw, seed=SEED)
    assert [e.seq for e in events] == list(range(len(events)))
    u = the_use(events)
    return [key(e, u) for e in events]


# the head every trace shares: use, report after 2 h, 3 h of analysis at A
HEAD = [
    ("RunStarted", -10.0, "test", SEED, 100.0),
    ("MunitionUsed", 0.0, "U1", "KN-23", "S"),
    ("SightingReported", 2.0, "R1", "c1", "A", "U1"),
    ("ReportReceived", 2.0, "A", "R1", None),
    ("AnalysisStarted", 2.0, "A", "R1"),
    ("AnalysisCompleted", 5.0, "A", "R1"),
]
END = [("RunEnded", 90.0, "horizon")]


def test_report_travels_from_collector_to_second_node() -> None:
    # delivery = sent + one capacity slot (1/2 h) + latency 4 h
    assert trace(tiny()) == [
        *HEAD,
        ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("MessageDelivered", 9.5, "M1", "A->B", "R1", "report", RESTRICTED),
        ("ReportReceived", 9.5, "B", "R1", "M1"),
        ("AnalysisStarted", 9.5, "B", "R1"),
        ("AnalysisCompleted", 10.5, "B", "R1"),
        *END,
    ]


def test_rel_to_refuses_a_nation_and_admits_a_community_member() -> None:
    # REL TO IP4, UKR: KOR (C) is admitted through the IP4 community, USA (B) is not
    marking = Marking("NATO-RESTRICTED", ["IP4", "UKR"])
    raw = tiny(
        nodes={
            "A": node("UKR", analysis_time="3h"),
            "B": node("USA", analysis_time="1h"),
            "C": node("KOR", analysis_time="1h"),
        },
        links=[link("A", "B", latency="4h"), link("A", "C", latency="4h")],
        sharing=[rule("A", ["B", "C"], rel_to=["IP4", "UKR"])],
    )
    assert trace(raw) == [
        *HEAD,
        ("MessageDropped", 5.0, "M1", "A->B", "R1", "not-releasable"),
        ("MessageSent", 5.0, "M2", "A->C", "R1", "report", marking),
        ("MessageDelivered", 9.0, "M2", "A->C", "R1", "report", marking),
        ("ReportReceived", 9.0, "C", "R1", "M2"),
        ("AnalysisStarted", 9.0, "C", "R1"),
        ("AnalysisCompleted", 10.0, "C", "R1"),
        *END,
    ]


def test_over_classification_and_insufficient_clearance_are_dropped() -> None:
    # NATO-SECRET over a link that carries at most NATO-RESTRICTED (to B), and to a node
    # cleared only to NATO-CONFIDENTIAL over a link that would carry it (to C)
    raw = tiny(
        nodes={
            "A": node("UKR", analysis_time="3h"),
            "B": node("USA", analysis_time="1h"),
            "C": node("GBR", analysis_time="1h", clearance="NATO-CONFIDENTIAL"),
        },
        links=[
            link("A", "B", latency="4h", max_classification="NATO-RESTRICTED"),
            link("A", "C", latency="4h", max_classification="COSMIC-TOP-SECRET"),
        ],
        sharing=[rule("A", ["B", "C"], classification="NATO-SECRET")],
    )
    assert trace(raw) == [
        *HEAD,
        ("MessageDropped", 5.0, "M1", "A->B", "R1", "over-classification"),
        ("MessageDropped", 5.0, "M2", "A->C", "R1", "insufficient-clearance"),
        *END,
    ]


def test_outage_holds_the_message_and_forwards_it_when_the_link_is_back() -> None:
    # a cyber outage of A->B over [12 h, 17 h): the report is ready at u + 5 ≈ 15 h, is
    # held, and after LinkUp takes one capacity slot (0.5 h) plus the latency (4 h)
    raw = tiny(adversary={"cyber": [{"name": "x", "link": "A->B", "at": "12h", "outage": "5h"}]})
    assert (
        trace(raw)
        == [
            *HEAD[:2],
            ("LinkDown", 2.0, "A->B", "cyber:x"),  # at 12 h, just before u + 2
            *HEAD[2:],
            ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
            ("MessageHeld", 5.0, "M1", "A->B", "R1", "link-down"),
            ("LinkUp", 7.0, "A->B", "cyber:x"),
            ("MessageDelivered", 11.5, "M1", "A->B", "R1", "report", RESTRICTED),
            ("ReportReceived", 11.5, "B", "R1", "M1"),
            ("AnalysisStarted", 11.5, "B", "R1"),
            ("AnalysisCompleted", 12.5, "B", "R1"),
            *END,
        ]
    )


def test_outage_with_drop_policy_refuses_the_message() -> None:
    raw = tiny(
        links=[link("A", "B", latency="4h", on_outage="drop")],
        adversary={"cyber": [{"name": "x", "link": "A->B", "at": "12h", "outage": "5h"}]},
    )
    assert (
        trace(raw)
        == [
            *HEAD[:2],
            ("LinkDown", 2.0, "A->B", "cyber:x"),  # at 12 h, just before u + 2
            *HEAD[2:],
            ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
            ("MessageDropped", 5.0, "M1", "A->B", "R1", "link-down"),
            ("LinkUp", 7.0, "A->B", "cyber:x"),
            *END,
        ]
    )


def test_resharing_never_loosens_the_marking() -> None:
    # B re-shares A's report under a looser rule (REL TO NATO, IP4): the marking it carries
    # is the intersection of both, which no longer admits KOR, so C refuses it
    raw = tiny(
        nodes={
            "A": node("UKR", analysis_time="3h"),
            "B": node("USA", analysis_time="1h"),
            "C": node("KOR", analysis_time="1h"),
        },
        links=[link("A", "B", latency="4h"), link("B", "C", latency="4h")],
        sharing=[
            rule("A", ["B"]),
            rule("B", ["C"], classification="NATO-UNCLASSIFIED", rel_to=["NATO", "IP4"]),
        ],
    )
    assert trace(raw) == [
        *HEAD,
        ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("MessageDelivered", 9.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("ReportReceived", 9.0, "B", "R1", "M1"),
        ("AnalysisStarted", 9.0, "B", "R1"),
        ("AnalysisCompleted", 10.0, "B", "R1"),
        ("MessageDropped", 10.0, "M2", "B->C", "R1", "not-releasable"),
        *END,
    ]


def test_report_is_not_sent_back_to_its_origin() -> None:
    # A and B share reports with each other: B must not return A's report to A
    raw = tiny(
        links=[link("A", "B", latency="4h"), link("B", "A", latency="4h")],
        sharing=[rule("A", ["B"]), rule("B", ["A"])],
    )
    assert trace(raw) == [
        *HEAD,
        ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("MessageDelivered", 9.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("ReportReceived", 9.0, "B", "R1", "M1"),
        ("AnalysisStarted", 9.0, "B", "R1"),
        ("AnalysisCompleted", 10.0, "B", "R1"),
        *END,
    ]


def test_outage_with_drop_policy_while_a_message_waits_for_its_capacity_slot() -> None:
    # the message takes its 1 h capacity slot from u + 5; the link fails for 0.2 h in the
    # middle of the slot and, under on_outage=drop, drops it; the slot then ends on an
    # empty queue, which must simply leave the link idle
    raw = tiny(
        links=[link("A", "B", latency="4h", capacity="1/h", on_outage="drop")],
        adversary={"cyber": [{"name": "x", "link": "A->B", "at": "15.5h", "outage": "0.2h"}]},
    )
    assert trace(raw) == [
        *HEAD,
        ("MessageSent", 5.0, "M1", "A->B", "R1", "report", RESTRICTED),
        ("LinkDown", 5.5, "A->B", "cyber:x"),
        ("MessageDropped", 5.5, "M1", "A->B", "R1", "link-down"),
        ("LinkUp", 5.7, "A->B", "cyber:x"),
        *END,
    ]
