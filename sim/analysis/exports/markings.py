"""How our markings read in other tools' words: TLP 2.0 levels and MISP distribution levels.

One place for both mappings (docs/exports.md explains them):

- **TLP** applies only to what is not classified: a marking whose classification is
  publicly disclosed is ``TLP:CLEAR``; an unclassified one (``NATO-UNCLASSIFIED``) is
  ``TLP:GREEN`` (its community may share it). Classified information has no TLP: the
  classification and REL TO, as a statement marking, are its handling rule.
- **MISP distribution** follows REL TO: not shared at all (an item its node kept) is 0
  "your organisation only"; shared to one nation or community is 1 "this community
  only"; to several is 2 "connected communities"; publicly disclosed is 3 "all
  communities".
"""

from __future__ import annotations

from collections.abc import Iterable

from sim import events as ev

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
"""The OASIS TLP 2.0 extension for STIX 2.1 marking definitions."""

TLP_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
"""The fixed ids OASIS gave the TLP 2.0 marking definitions."""

DISTRIBUTION_NAMES = {
    0: "your organisation only",
    1: "this community only",
    2: "connected communities",
    3: "all communities",
}


def marking_text(marking: ev.Marking) -> str:
    """``NATO RESTRICTED REL TO NATO, UKR``: the statement a marking makes."""
    return f"{marking.classification.replace('-', ' ')} REL TO {', '.join(marking.rel_to)}"


def tlp_level(marking: ev.Marking) -> str | None:
    """The TLP 2.0 level of a marking (``clear``, ``green``), or None for classified items."""
    name = marking.classification.upper()
    if "PUBLIC" in name:
        return "clear"
    if "UNCLASSIFIED" in name:
        return "green"
    return None


def distribution(markings: Iterable[ev.Marking]) -> int:
    """The MISP distribution level of an item shared under `markings` (the widest of them)."""
    level = 0
    for marking in markings:
        if tlp_level(marking) == "clear":
            return 3
        level = max(level, 1 if len(marking.rel_to) <= 1 else 2)
    return level
