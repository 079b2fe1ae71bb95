"""Originator consent and tearlines: hand-worked traces.

One KOR collector (B2, no delay) sees the one use at 10 h; KOR analyses it in 1 h and
issues A-KOR-1 at 11 h (prior 0.2, one B2 source: 0.434; one source and 0.25 clear
the bar). KOR shares its assessments with NATO REL TO KOR, NATO over a 1 h link: NATO
has it at 12 h and issues its own A-NATO-1 on it at once (a partner's assessment counts
as one source). KOR marks its assessments NATO SECRET. NATO shares assessments with UKR
and JPN REL TO NATO, UKR, JPN (NATO RESTRICTED): both A-KOR-1 (KOR's
material) and A-NATO-1 (resting on it) are held under KOR's marking, which excludes
UKR and JPN, so NATO asks KOR at 12 h, once per nation (the material is the same). KOR
answers after its consent delay, 2 d: at 60 h. Granted, both go to UKR at 60 h and arrive at 61 h;
refused, both are dropped (`consent-refused`); as a tearline, they go under the
tearline's marking (NATO UNCLASSIFIED, a day to write it: at 84 h), which admits Japan
too.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sim.analysis.metrics import MetricsProjection, metrics_from_events
from sim.events import (
    ConsentGranted,
    ConsentRefused,
    ConsentRequested,
    Event,
    Marking,
    MessageDelivered,
    MessageDropped,
    MessageSent,
)
from sim.scenario.models import Scenario
from tests.builders import collector, link, node, rule, run_events, scenario_dict

POLICY = {"window": "72h", "min_sources": 1, "min_confidence": 0.25, "prior": 0.2}


def world(**consent: Any) -> dict[str, Any]:
    """The trace's world; `consent` overrides KOR's consent policy."""
    policy = {"delay": "2d", "grant": 1.0, **consent}
    return scenario_dict(
        duration="100h",
        usage_lines=[{"munition": "KN-23", "sector": "S", "at": "10h"}],
        nodes={
            "KOR": node("KOR", fusion=POLICY, consent=policy),
            "NATO": node("NATO", fusion=POLICY),
            "UKR": node("UKR"),
            "JPN": node("JPN"),
        },
        links=[link("KOR", "NATO"), link("NATO", "UKR"), link("NATO", "JPN")],
        collectors={"kor-imagery": collector("KOR", discipline="IMINT")},
        sharing=[
            rule(
                "KOR",
                ["NATO"],
                items="assessments",
                classification="NATO-SECRET",
                rel_to=["KOR", "NATO"],
            ),
            rule("NATO", ["UKR", "JPN"], items="assessments", rel_to=["NATO", "UKR", "JPN"]),
        ],
    )


def consent_steps(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (type(e).__name__, e.t, e.request, e.node, e.item, e.originator, e.nation)
        for e in events
        if isinstance(e, ConsentRequested | ConsentGranted | ConsentRefused)
    ]


def to(events: list[Event], dest: str) -> list[tuple[Any, ...]]:
    """What reached `dest` or was dropped on the way: (type, t, item, marking or reason)."""
    link = f"NATO->{dest}"
    return [
        (type(e).__name__, e.t, e.item, e.marking if isinstance(e, MessageDelivered) else e.reason)
        for e in events
        if isinstance(e, MessageDelivered | MessageDropped) and e.link == link
    ]


def test_material_passes_on_once_its_originator_consents() -> None:
    events = run_events(world())
    assert consent_steps(events) == [
        ("ConsentRequested", 12.0, "C1", "NATO", "A-KOR-1", "KOR", "UKR"),
        ("ConsentRequested", 12.0, "C2", "NATO", "A-KOR-1", "KOR", "JPN"),
        ("ConsentGranted", 60.0, "C1", "NATO", "A-KOR-1", "KOR", "UKR"),
        ("ConsentGranted", 60.0, "C2", "NATO", "A-KOR-1", "KOR", "JPN"),
    ]
    [granted, _] = [e for e in events if isinstance(e, ConsentGranted)]
    assert (granted.marking, granted.tearline) == (
        Marking("NATO-SECRET", ["KOR", "NATO", "UKR"]),
        False,
    )
    # KOR's own and NATO's (resting on KOR's) both wait for the answer, then go
    # never looser than KOR's marking as consented: SECRET, only who both admit
    kept = Marking("NATO-SECRET", ["GBR", "NATO", "UKR", "USA"])
    assert to(events, "UKR") == [
        ("MessageDelivered", 61.0, "A-KOR-1", kept),
        ("MessageDelivered", 61.0, "A-NATO-1", kept),
    ]


def test_a_refusal_keeps_the_material_and_what_rests_on_it_from_that_nation() -> None:
    events = run_events(world(grant=0.0))
    assert [s[0] for s in consent_steps(events)] == [
        "ConsentRequested",
        "ConsentRequested",
        "ConsentRefused",
        "ConsentRefused",
    ]
    assert to(events, "UKR") == [
        ("MessageDropped", 60.0, "A-KOR-1", "consent-refused"),
        ("MessageDropped", 60.0, "A-NATO-1", "consent-refused"),
    ]


def test_a_tearline_is_released_lower_and_wider() -> None:
    tearline = {
        "probability": 1.0,
        "classification": "NATO-UNCLASSIFIED",
        "rel_to": ["KOR", "NATO", "UKR", "JPN"],
        "delay": "1d",
    }
    events = run_events(world(tearline=tearline))
    steps = consent_steps(events)
    # the first answer (84 h: 2 d and a day to write it) is a tearline admitting Japan too
    assert steps[:2] == [
        ("ConsentRequested", 12.0, "C1", "NATO", "A-KOR-1", "KOR", "UKR"),
        ("ConsentRequested", 12.0, "C2", "NATO", "A-KOR-1", "KOR", "JPN"),
    ]
    assert {s[0] for s in steps[2:]} == {"ConsentGranted"}
    assert all(e.tearline for e in events if isinstance(e, ConsentGranted))
    # the tearline's classification is below the rule's: the rule's stands
    low = Marking("NATO-RESTRICTED", ["GBR", "JPN", "NATO", "UKR", "USA"])
    assert to(events, "UKR") == [
        ("MessageDelivered", 85.0, "A-KOR-1", low),
        ("MessageDelivered", 85.0, "A-NATO-1", low),
    ]


def test_without_a_consent_policy_the_marking_stands() -> None:
    raw = world()
    del raw["nodes"]["KOR"]["consent"]
    events = run_events(raw)
    assert consent_steps(events) == []
    assert [step[3] for step in to(events, "UKR")] == ["not-releasable", "not-releasable"]


def test_partner_material_reaches_ukraine_when_consent_comes() -> None:
    raw = world()
    events = run_events(raw)
    ukr = metrics_from_events(Scenario.model_validate(raw), events)["nodes"]["UKR"]
    # one KOR item (A-KOR-1, issued at 11 h) reaches UKR at 61 h: 50 h later
    assert ukr["partner_material_median_h"] == 50.0
    assert (ukr["partner_material_within_2d"], ukr["partner_material_within_7d"]) == (0.0, 1.0)
    assert ukr["consent_asked"] == 0
    nato = metrics_from_events(Scenario.model_validate(raw), events)["nodes"]["NATO"]
    assert (nato["consent_asked"], nato["consent_granted"], nato["consent_refused"]) == (2, 2, 0)
    assert nato["consent_wait_h"]["median"] == 48.0


def test_every_consent_variant_keeps_the_one_releasability_rule() -> None:
    """Consent widens what a node holds (ConsentGranted is in the log): the delivery check
    follows it as the engine does, so no variant counts a violation."""
    tearline = {"probability": 1.0, "classification": "NATO-UNCLASSIFIED", "rel_to": ["NATO"]}
    for consent in ({}, {"grant": 0.0}, {"tearline": {**tearline, "rel_to": ["KOR", "UKR"]}}):
        raw = world(**consent)
        metrics = metrics_from_events(Scenario.model_validate(raw), run_events(raw))
        assert metrics["releasability_violations"] == 0, consent


def relay(second: dict[str, Any]) -> dict[str, Any]:
    """KOR-A's collector reports at 10 h; KOR-A passes its reports to KOR-B (same nation)
    NATO UNCLASSIFIED REL TO KOR, UKR; `second` is KOR-B's rule to UKR."""
    return scenario_dict(
        duration="40h",
        usage_lines=[{"munition": "KN-23", "sector": "S", "at": "10h"}],
        nodes={
            "KOR-A": node("KOR"),
            "KOR-B": node("KOR", fusion=POLICY, consent={"delay": "1h", "grant": 1.0}),
            "UKR": node("UKR"),
        },
        links=[link("KOR-A", "KOR-B"), link("KOR-B", "UKR")],
        collectors={"kor-imagery": collector("KOR-A", discipline="IMINT")},
        sharing=[
            rule("KOR-A", ["KOR-B"], classification="NATO-UNCLASSIFIED", rel_to=["KOR", "UKR"]),
            second,
        ],
    )


def test_re_sharing_material_of_ones_own_nation_never_loosens_it() -> None:
    # KOR-B's rule would pass the report on PUBLICLY DISCLOSED: it received it NATO
    # UNCLASSIFIED, so it goes NATO UNCLASSIFIED, though both nodes are Korean
    raw = relay(rule("KOR-B", ["UKR"], classification="PUBLICLY-DISCLOSED", rel_to=["KOR", "UKR"]))
    events = run_events(raw)
    [sent] = [e for e in events if isinstance(e, MessageDelivered) and e.link == "KOR-B->UKR"]
    assert (sent.item, sent.marking) == ("R1", Marking("NATO-UNCLASSIFIED", ["KOR", "UKR"]))
    metrics = metrics_from_events(Scenario.model_validate(raw), events)
    assert metrics["releasability_violations"] == 0


def test_ones_own_nation_needs_no_consent_for_its_own_assessment() -> None:
    # KOR-A's report reaches KOR-B REL TO KOR only; KOR-B's own assessment resting on it
    # goes to UKR under KOR-B's rule: Korean material, Korea's to release, no one asked
    raw = relay(rule("KOR-B", ["UKR"], items="assessments", rel_to=["KOR", "UKR"]))
    raw["sharing"][0]["marking"]["rel_to"] = ["KOR"]
    events = run_events(raw)
    assert consent_steps(events) == []
    delivered = [e for e in events if isinstance(e, MessageDelivered) and e.link == "KOR-B->UKR"]
    assert [(e.item, e.marking) for e in delivered] == [
        ("A-KOR-B-1", Marking("NATO-RESTRICTED", ["KOR", "UKR"]))
    ]


def without_consent(events: list[Event], item: str) -> list[Event]:
    """The run's log as if NATO had sent on without asking: the consent steps gone, and
    `item`'s messages from NATO left out (so what is left to judge is the others')."""
    return [
        e
        for e in events
        if not isinstance(e, ConsentRequested | ConsentGranted)
        and not (
            isinstance(e, MessageSent | MessageDelivered)
            and e.item == item
            and e.link.startswith("NATO->")
        )
    ]


def test_the_delivery_check_judges_a_nodes_own_assessment_by_its_material() -> None:
    # A-NATO-1 is NATO's own, resting on A-KOR-1 (held NATO SECRET REL TO KOR, NATO).
    # Sent to UKR with KOR's consent: no violation. The same delivery without the consent
    # in the log is looser than that material: a violation at UKR and one at JPN, both
    # A-NATO-1's (A-KOR-1's messages left out); the check judges
    # the assessment by the version the message carries (MessageSent.version)
    raw = world()
    scenario = Scenario.model_validate(raw)
    events = run_events(raw)
    [sent] = [
        e
        for e in events
        if isinstance(e, MessageSent) and e.item == "A-NATO-1" and e.link == "NATO->UKR"
    ]
    assert sent.version == 1
    assert metrics_from_events(scenario, events)["releasability_violations"] == 0
    projection = MetricsProjection(scenario)
    for event in without_consent(events, "A-KOR-1"):
        projection.apply(event)
    assert projection.deliveries.violations == 2
    assert (projection.deliveries.last or "").startswith("A-NATO-1 delivered over NATO->")


def test_a_finding_is_held_under_the_marking_of_the_report_it_re_reads() -> None:
    # NATO passes UKR's report to KOR REL TO UKR, NATO, KOR; KOR's re-reading R2 would go
    # on by KOR's findings rule PUBLICLY DISCLOSED REL TO KOR, NATO, JPN: it is UKR's
    # material read anew, so it leaves no looser than R1 came (NATO RESTRICTED, to no one
    # R1's marking excludes); JPN is refused (UKR, R1's originator, is never asked: it has
    # no consent policy); the delivery check agrees (0)
    raw = finding_world()
    scenario = Scenario.model_validate(raw)
    events = run_events(raw)
    [back] = [e for e in events if isinstance(e, MessageDelivered) and e.item == "R2"]
    assert (back.link, back.marking.classification) == ("KOR->NATO", "NATO-RESTRICTED")
    assert "JPN" not in back.marking.rel_to
    dropped = [(e.item, e.link, e.reason) for e in events if isinstance(e, MessageDropped)]
    assert dropped == [("R2", "KOR->JPN", "not-releasable")]
    assert metrics_from_events(scenario, events)["releasability_violations"] == 0
    # a log in which KOR sent R2 under its rule's marking is a violation, the check sees it
    loose = Marking("PUBLICLY-DISCLOSED", ["KOR", "NATO", "JPN"])
    forged = [
        msgspec.structs.replace(e, marking=loose)
        if isinstance(e, MessageSent | MessageDelivered) and e.item == "R2"
        else e
        for e in events
    ]
    projection = MetricsProjection(scenario)
    for event in forged:
        projection.apply(event)
    assert projection.deliveries.violations >= 1
    assert (projection.deliveries.last or "").startswith("R2 delivered over KOR->NATO")


def finding_world() -> dict[str, Any]:
    """UKR's forensic report (B2) reaches NATO and, for exploitation, KOR (1 h links,
    analysis 1 h); KOR corrects it (it names an Iskander, the strike was a KN-23) after
    1 d and sends its finding to NATO and JPN under its findings rule."""
    munitions = {
        "KN-23": {"origin": "DPRK", "category": "ballistic-missile", "looks_like": ["Iskander-M"]},
        "Iskander-M": {"origin": "RUS", "category": "ballistic-missile", "looks_like": ["KN-23"]},
    }
    expertise = {"origin": "DPRK", "delay": "1d", "correct": 1.0, "lookalike": 1.0}
    return scenario_dict(
        duration="100h",
        munitions=munitions,
        usage_lines=[{"munition": "KN-23", "sector": "S", "at": "10h"}],
        nodes={
            "UKR": node("UKR"),
            "NATO": node("NATO", fusion=POLICY),
            "KOR": node("KOR", fusion=POLICY, expertise=expertise),
            "JPN": node("JPN"),
        },
        links=[link("UKR", "NATO"), link("NATO", "KOR"), link("KOR", "NATO"), link("KOR", "JPN")],
        collectors={"police": collector("UKR", discipline="FORENSIC", misidentification=1.0)},
        sharing=[
            rule("UKR", ["NATO"], rel_to=["UKR", "NATO", "KOR"]),
            rule("NATO", ["KOR"], rel_to=["UKR", "NATO", "KOR"]),
            rule(
                "KOR",
                ["NATO", "JPN"],
                items="findings",
                classification="PUBLICLY-DISCLOSED",
                rel_to=["KOR", "NATO", "JPN"],
            ),
        ],
    )
