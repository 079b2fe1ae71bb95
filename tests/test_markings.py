"""Markings: REL TO by nation and community, the classification ladder, re-sharing."""

from __future__ import annotations

import pytest

from sim.scenario.markings import (
    CLASSIFICATIONS,
    combine,
    is_releasable,
    rank,
    refusal,
    releasable_nations,
)

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
    assert is_releasable(nation, rel_to, COMMUNITIES) is ok


def test_releasable_nations_expands_communities() -> None:
    assert releasable_nations(["IP4", "UKR"], COMMUNITIES) == {
        "IP4",
        "KOR",
        "JPN",
        "AUS",
        "NZL",
        "UKR",
    }


def _refusal(classification: str, rel_to: list[str], nation: str, **kw: str) -> str | None:
    return refusal(
        classification=classification,
        rel_to=rel_to,
        nation=nation,
        clearance=kw.get("clearance", "COSMIC-TOP-SECRET"),
        link_max=kw.get("link_max", "NATO-SECRET"),
        communities=COMMUNITIES,
    )


def test_refusal_reasons_in_order_of_checking() -> None:
    assert _refusal("NATO-SECRET", ["NATO"], "USA") is None
    assert _refusal("NATO-SECRET", ["NATO"], "KOR") == "not-releasable"
    assert _refusal("COSMIC-TOP-SECRET", ["NATO"], "USA") == "over-classification"
    assert _refusal("NATO-SECRET", ["NATO"], "USA", clearance="NATO-RESTRICTED") == (
        "insufficient-clearance"
    )
    # releasability is judged first: a foreign node never learns the classification either
    assert _refusal("COSMIC-TOP-SECRET", ["NATO"], "KOR") == "not-releasable"


def test_re_sharing_never_loosens_a_marking() -> None:
    original = ("NATO-SECRET", ["NATO", "UKR"])
    wider = ("NATO-RESTRICTED", ["NATO", "UKR", "IP4"])
    classification, rel_to = combine(original, wider, COMMUNITIES)
    assert classification == "NATO-SECRET"
    assert not is_releasable("KOR", rel_to, COMMUNITIES)
    assert is_releasable("USA", rel_to, COMMUNITIES) and is_releasable("UKR", rel_to, COMMUNITIES)


def test_combining_equal_lists_keeps_the_names() -> None:
    assert combine(("NATO-RESTRICTED", ["NATO"]), ("NATO-SECRET", ["NATO"]), COMMUNITIES) == (
        "NATO-SECRET",
        ["NATO"],
    )
