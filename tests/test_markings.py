"""Markings: REL TO by nation and community, the classification ladder, re-sharing."""

from __future__ import annotations

import pytest

from sim.scenario.markings import CLASSIFICATIONS, combine, rank, releasable_nations
from sim.scenario.models import Scenario
from sim.scenario.releasability import Releasability
from tests.builders import link, node, scenario_dict

COMMUNITIES = {"NATO": ["USA", "GBR", "POL"], "IP4": ["KOR", "JPN", "AUS", "NZL"]}


def test_the_ladder_runs_from_public_to_cosmic() -> None:
    assert rank("PUBLICLY-DISCLOSED") == 0
    assert rank("NATO-RESTRICTED") < rank("NATO-SECRET") < rank("COSMIC-TOP-SECRET")
    assert len(CLASSIFICATIONS) == 6


@pytest.mark.parametrize(
    ("nation", "rel_to", "ok"),
    [
        ("USA", ["NATO"], True),
        ("NATO", ["NATO"], True),  # an organisation counts as a nation for markings
        ("KOR", ["NATO"], False),
        ("KOR", ["NATO", "IP4"], True),
        ("KOR", ["NATO", "KOR"], True),
        ("UKR", ["NATO", "IP4"], False),
        ("UKR", ["UKR"], True),
    ],
)
def test_rel_to_admits_named_nations_and_community_members(
    nation: str, rel_to: list[str], ok: bool
) -> None:
    assert (nation in releasable_nations(rel_to, COMMUNITIES)) is ok


def test_releasable_nations_expands_communities() -> None:
    assert releasable_nations(["IP4", "UKR"], COMMUNITIES) == {
        "IP4",
        "KOR",
        "JPN",
        "AUS",
        "NZL",
        "UKR",
    }


def _rules(clearance: str = "COSMIC-TOP-SECRET", link_max: str = "NATO-SECRET") -> Releasability:
    """Node A (UKR) sends to B (USA, cleared to `clearance`) and K (KOR) over `link_max`."""
    raw = scenario_dict(
        nodes={"A": node("UKR"), "B": node("USA", clearance=clearance), "K": node("KOR")},
        links=[
            link("A", "B", max_classification=link_max),
            link("A", "K", max_classification=link_max),
        ],
    )
    raw["communities"] = COMMUNITIES
    raw["nations"]["POL"] = "Poland"
    raw["nations"]["AUS"] = "Australia"
    raw["nations"]["NZL"] = "New Zealand"
    return Releasability(Scenario.model_validate(raw))


def _reason(rules: Releasability, to: str, marking: tuple[str, list[str]], **kw: object) -> str:
    refused = rules.refusal(f"A->{to}", *marking, **kw)  # type: ignore[arg-type]
    return "ok" if refused is None else refused.reason


def test_refusal_reasons_in_order_of_checking() -> None:
    rules = _rules()
    assert _reason(rules, "B", ("NATO-SECRET", ["NATO"])) == "ok"
    assert _reason(rules, "K", ("NATO-SECRET", ["NATO"])) == "not-releasable"
    assert _reason(rules, "B", ("COSMIC-TOP-SECRET", ["NATO"])) == "over-classification"
    low = _rules(clearance="NATO-RESTRICTED")
    assert _reason(low, "B", ("NATO-SECRET", ["NATO"])) == "insufficient-clearance"
    # releasability is judged first: a foreign node never learns the classification either
    assert _reason(rules, "K", ("COSMIC-TOP-SECRET", ["NATO"])) == "not-releasable"
    assert _reason(rules, "Q", ("NATO-SECRET", ["NATO"])) == "no-link"
    assert _reason(rules, "B", ("SECRET-ISH", ["NATO"])) == "unknown-classification"


def test_refusals_say_why_in_words() -> None:
    refused = _rules(clearance="NATO-RESTRICTED").refusal("A->B", "NATO-SECRET", ["NATO"])
    assert refused is not None
    assert refused.why == "NATO-SECRET is above B's clearance (NATO-RESTRICTED)"
    refused = _rules().refusal("A->K", "NATO-SECRET", ["NATO", "UKR"])
    assert refused is not None and refused.why == "REL TO NATO, UKR excludes K's nation KOR"


def test_re_sharing_never_loosens_a_marking() -> None:
    original = ("NATO-SECRET", ["NATO", "UKR"])
    wider = ("NATO-RESTRICTED", ["NATO", "UKR", "IP4"])
    classification, rel_to = combine(original, wider, COMMUNITIES)
    assert classification == "NATO-SECRET"
    assert "KOR" not in releasable_nations(rel_to, COMMUNITIES)
    assert {"USA", "UKR"} <= releasable_nations(rel_to, COMMUNITIES)
    rules = _rules()
    # what combine makes is never looser; the wider marking itself is
    assert _reason(rules, "B", (classification, rel_to), held=original) == "ok"
    assert _reason(rules, "B", wider, held=original) == "loosened-marking"
    assert _reason(rules, "B", ("NATO-SECRET", ["NATO", "UKR", "KOR"]), held=original) == (
        "loosened-marking"
    )
    assert _reason(rules, "B", ("NATO-CONFIDENTIAL", ["NATO"]), held=original) == (
        "loosened-marking"
    )
    # stricter on both counts is fine, and an item the sender originated has no constraint
    assert _reason(rules, "B", ("NATO-SECRET", ["USA"]), held=original) == "ok"
    assert _reason(rules, "B", wider) == "ok"


def test_combining_equal_lists_keeps_the_names() -> None:
    assert combine(("NATO-RESTRICTED", ["NATO"]), ("NATO-SECRET", ["NATO"]), COMMUNITIES) == (
        "NATO-SECRET",
        ["NATO"],
    )
