"""Security markings: the classification ladder, REL TO expansion and re-sharing, as pure rules.

Whether a marked item may cross a link is :mod:`sim.scenario.releasability` (built on these).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

# Lowest first (DOMAIN.md, tradecraft); a scenario may give its own ladder.
CLASSIFICATIONS: tuple[str, ...] = (
    "PUBLICLY-DISCLOSED",
    "NATO-UNCLASSIFIED",
    "NATO-RESTRICTED",
    "NATO-CONFIDENTIAL",
    "NATO-SECRET",
    "COSMIC-TOP-SECRET",
)


def rank(classification: str, ladder: Sequence[str] = CLASSIFICATIONS) -> int:
    """Position of a classification on the ladder (higher is more sensitive)."""
    return ladder.index(classification)


def releasable_nations(rel_to: Iterable[str], communities: Mapping[str, Iterable[str]]) -> set[str]:
    """The nations a REL TO list admits: nations named directly, plus every community's members.

    A community name also admits itself, since an organisation (NATO) counts as a nation
    for markings.
    """
    nations: set[str] = set()
    for name in rel_to:
        nations.add(name)
        nations.update(communities.get(name, ()))
    return nations


def combine(
    first: tuple[str, Sequence[str]],
    second: tuple[str, Sequence[str]],
    communities: Mapping[str, Iterable[str]],
    ladder: Sequence[str] = CLASSIFICATIONS,
) -> tuple[str, list[str]]:
    """The marking of an item re-shared under a new rule: never looser than the original.

    Classification is the higher of the two; REL TO admits only who both admit. Where the
    two lists are equal the names are kept as written (``NATO``), otherwise expanded to
    nation codes.
    """
    (c1, r1), (c2, r2) = first, second
    classification = c1 if rank(c1, ladder) >= rank(c2, ladder) else c2
    if sorted(r1) == sorted(r2):
        return classification, sorted(r1)
    allowed = releasable_nations(r1, communities) & releasable_nations(r2, communities)
    return classification, sorted(allowed)


def widened(
    held: tuple[str, Sequence[str]] | None,
    granted: tuple[str, Sequence[str]],
    communities: Mapping[str, Iterable[str]],
) -> tuple[str, list[str]]:
    """The marking a node holds an item under after its originator consented to `granted`.

    Consent is the one loosening an item may see on its way: the originator releases its
    own material further (REL TO widened to a nation, or a sanitised tearline at a lower
    classification). The grant's marking applies, keeping any nation an earlier grant or
    the marking received admitted (a tearline for IP4 after a full release to Ukraine
    admits both). The engine and the delivery check both hold items by this rule.
    """
    if held is None:
        return granted[0], sorted(granted[1])
    earlier = releasable_nations(held[1], communities) - releasable_nations(granted[1], communities)
    return granted[0], sorted({*granted[1], *earlier})
