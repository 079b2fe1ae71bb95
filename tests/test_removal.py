"""Removing parts of a scenario (sim.scenario.removal): cascades worked out by hand on a
small scenario, names, and the check that what is left is a valid scenario."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.scenario.removal import Effect, Part, RemovalError, resolve_part, without
from tests.builders import collector, link, node, rule, scenario_dict, usage

RATE = "adversary.disinformation.d2.rate"  # an intervention path naming a campaign by name
SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


def korean_scenario() -> dict[str, Any]:
    """A (UKR) and B (USA), two Korean nodes K1 and K2 (K2 reports through K1), and
    everything that can name them: links, collectors, rules, campaigns (one posing as
    K1's collector), attacks and interventions (by name and by index)."""
    raw = scenario_dict(
        nodes={"A": node("UKR"), "B": node("USA"), "K1": node("KOR"), "K2": node("KOR")},
        links=[link("A", "B"), link("B", "A"), link("K2", "K1"), link("K1", "B"), link("B", "K1")],
        collectors={
            "ca": collector("A"),
            "ck1": collector("K1", evidence="debris"),
            "ck2": collector("K2"),
        },
        usage_lines=[usage("1/d")],
        sharing=[
            rule("A", ["B"]),
            rule("K2", ["K1"], rel_to=["KOR"]),
            rule("K1", ["B"], rel_to=["KOR", "NATO"]),
            rule("B", ["A", "K1"], items="assessments", rel_to=["NATO", "UKR", "KOR"]),
        ],
        adversary={
            "disinformation": [
                {"name": "d1", "node": "K1", "rate": "1/d", "munition": "KN-23", "sectors": ["S"]},
                {
                    "name": "d2",
                    "node": "A",
                    "rate": "1/d",
                    "munition": "KN-23",
                    "sectors": ["S"],
                    "source": "ck1",
                },
            ],
            "cyber": [
                {"name": "c1", "links": ["K1->B", "A->B"], "at": "5h", "outage": "1h"},
                {"name": "c2", "link": "K1->B", "at": "6h", "outage": "1h"},
            ],
        },
        interventions=[
            {"at": "10h", "set": {"nodes.K1.analysts": 2, "nodes.B.analysts": 3}},
            {"at": "20h", "set": {"links.K1->B.latency": "2h"}},
            {
                "at": "30h",
                "set": {
                    "sharing.3.threshold": 0.5,
                    "adversary.cyber.1.outage": "3h",
                    RATE: "2/d",
                },
            },
        ],
    )
    Scenario.model_validate(raw)
    return raw


def parts(raw: dict[str, Any], text: str) -> tuple[Part, ...]:
    return resolve_part(Scenario.model_validate(raw), text)


def test_removing_a_nation_cascades_through_every_section() -> None:
    raw = korean_scenario()
    before = copy.deepcopy(raw)
    removal = without(raw, parts(raw, "KOR"))
    out = removal.raw
    assert raw == before  # the input is not changed
    assert list(out["nodes"]) == ["A", "B"]
    assert [(x["from"], x["to"]) for x in out["links"]] == [("A", "B"), ("B", "A")]
    assert list(out["collectors"]) == ["ca"]
    assert [(r["from"], r["to"]) for r in out["sharing"]] == [("A", ["B"]), ("B", ["A"])]
    (d2,) = out["adversary"]["disinformation"]
    assert d2["name"] == "d2" and d2["evidence"] == "debris"  # still claims ck1's debris
    (c1,) = out["adversary"]["cyber"]
    assert c1["name"] == "c1" and c1["links"] == ["A->B"]
    assert out["interventions"] == [
        {"at": "10h", "set": {"nodes.B.analysts": 3}},
        # rule 3 is rule 1 now; the second attack and the second intervention are gone
        {"at": "30h", "set": {"sharing.1.threshold": 0.5, RATE: "2/d"}},
    ]
    assert list(removal.effects) == [
        Effect("removed", "node", "K1", "a node of KOR"),
        Effect("removed", "node", "K2", "a node of KOR"),
        Effect("removed", "link", "K2->K1", "its end K2 is removed"),
        Effect("removed", "link", "K1->B", "its end K1 is removed"),
        Effect("removed", "link", "B->K1", "its end K1 is removed"),
        Effect("removed", "collector", "ck1", "it reports to K1"),
        Effect(
            "kept", "campaign", "d2", "it poses as ck1: its fakes still claim the evidence `debris`"
        ),
        Effect("removed", "collector", "ck2", "it reports to K2"),
        Effect("removed", "sharing destination", "B → K1", "K1 is removed"),
        Effect("removed", "sharing rule", "K2 → K1 (reports)", "it sends from K2, removed"),
        Effect("removed", "sharing rule", "K1 → B (reports)", "it sends from K1, removed"),
        Effect("removed", "campaign", "d1", "it feeds K1, removed"),
        Effect("removed", "attack target", "c1 on K1->B", "link removed"),
        Effect("removed", "attack", "c2", "no link is left to attack: K1->B removed"),
        Effect("removed", "intervention change", "nodes.K1.analysts at 10h", "K1 is removed"),
        Effect("removed", "intervention change", "links.K1->B.latency at 20h", "K1->B is removed"),
        Effect(
            "removed",
            "intervention change",
            "adversary.cyber.1.outage at 30h",
            "c2 is removed",
        ),
        Effect("removed", "intervention", "at 20h", "none of its changes is left"),
    ]
    assert removal.removed("node") == ["K1", "K2"]
    assert removal.warnings == ()


def test_removing_a_link_drops_what_crossed_it_and_nothing_else() -> None:
    raw = korean_scenario()
    removal = without(raw, parts(raw, "K1->B"))
    out = removal.raw
    assert list(out["nodes"]) == ["A", "B", "K1", "K2"]
    assert list(out["collectors"]) == ["ca", "ck1", "ck2"]
    assert [r["from"] for r in out["sharing"]] == ["A", "K2", "B"]
    assert [a["name"] for a in out["adversary"]["cyber"]] == ["c1"]
    assert out["interventions"][1:] == [
        {"at": "30h", "set": {"sharing.2.threshold": 0.5, RATE: "2/d"}}
    ]
    assert [str(e) for e in removal.effects][:2] == [
        "removed link K1->B (named)",
        "removed sharing rule K1 → B (reports) (no destination is left: link K1->B is removed)",
    ]


def test_removing_a_collector_and_a_campaign_by_name() -> None:
    raw = korean_scenario()
    removal = without(raw, parts(raw, "ca+d1"))
    assert list(removal.raw["collectors"]) == ["ck1", "ck2"]
    assert [d["name"] for d in removal.raw["adversary"]["disinformation"]] == ["d2"]
    assert "evidence" not in removal.raw["adversary"]["disinformation"][0]
    assert removal.raw["nodes"] == raw["nodes"] and removal.raw["links"] == raw["links"]
    assert [str(e) for e in removal.effects] == [
        "removed collector ca (named)",
        "removed campaign d1 (named)",
    ]


def test_names_kinds_and_groups() -> None:
    raw = korean_scenario()
    raw["collectors"]["B"] = collector("A")  # a collector named like a node
    assert parts(raw, "K1") == (Part("node", "K1"),)
    assert parts(raw, "KOR") == (Part("nation", "KOR"),)
    assert parts(raw, " c2 ") == (Part("attack", "c2"),)
    assert parts(raw, "K1+K2+K1") == (Part("node", "K1"), Part("node", "K2"))
    assert parts(raw, "collector:B") == (Part("collector", "B"),)
    with pytest.raises(RemovalError, match="names a node and a collector: write `node:B` or"):
        parts(raw, "B")
    with pytest.raises(RemovalError, match=r"no node.*called `K11`; did you mean `K1`\?"):
        parts(raw, "K11")
    with pytest.raises(RemovalError, match=r"called `k1->b`; did you mean `K1->B`\?"):
        parts(raw, "k1->b")
    with pytest.raises(RemovalError, match="called `K9`"):
        parts(raw, "K1+K9")


def test_a_removal_that_leaves_a_dangling_name_is_an_error() -> None:
    raw = korean_scenario()
    # an intervention that hands rule 0 to K1: what it would mean without K1 is not ours to guess
    raw["interventions"].append({"at": "40h", "set": {"sharing.0.to": ["K1"]}})
    message = r"without node K1.*not valid:\n  interventions\[2\].*unknown node `K1`"
    with pytest.raises(RemovalError, match=message):
        without(raw, parts(raw, "K1"))
    with pytest.raises(RemovalError, match="no node would be left"):
        without(raw, parts(raw, "A+B+KOR"))


def test_a_removal_brings_its_own_warnings_only() -> None:
    raw = korean_scenario()
    # a rule to K1 over a link that does not exist warns before and after (renumbered):
    # not repeated
    raw["sharing"].append(rule("A", ["K1"], rel_to=["KOR"]))
    raw["sharing"][3]["marking"]["rel_to"] = ["NATO", "UKR"]  # K1 (KOR) may not hold it
    assert without(raw, parts(raw, "K2")).warnings == ()
    assert without(raw, parts(raw, "B->A")).warnings == ()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_node_of_every_shipped_scenario_can_be_removed(path: Path) -> None:
    loaded = load_scenario(path)
    for name in loaded.scenario.nodes:
        if len(loaded.scenario.nodes) == 1:
            break
        removal = without(loaded.raw, [Part("node", name)], str(path))
        assert name not in removal.raw["nodes"]
