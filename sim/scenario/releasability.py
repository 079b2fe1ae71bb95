"""The one releasability rule: may an item under a marking cross this link now?

Every caller asks this module, each with the scenario in force at its moment: the
engine before it sends a message and again at delivery if an intervention changed the
rules meanwhile, the metrics projection to count violations, and `verify` to check
every delivery of a log. The rule, in the order it is checked:

- REL TO, with community expansion, must admit the destination node's nation
  (``not-releasable``);
- the classification must be within what the link carries (``over-classification``)
- and what the destination node is cleared to hold (``insufficient-clearance``);
- re-sharing never loosens: an item a node holds under a marking (it received it so)
  leaves no less classified and releasable to no one that marking excludes
  (``loosened-marking``). :func:`sim.scenario.markings.combine` makes such a marking.
  The marking a node holds an item under is the one it received it with, widened only by
  its originator's consent (``ConsentGranted``, :func:`sim.scenario.markings.widened`);
  for a node's own assessment, the marking of the other nations' material it rests on.

Reasons are the ``MessageDropped.reason`` vocabulary; each comes with a sentence saying
why, for people (`verify`, the timeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.scenario.markings import releasable_nations
from sim.scenario.models import Scenario

MarkingPair = tuple[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a marked item may not cross a link: a reason code and a sentence."""

    reason: str
    why: str


class Releasability:
    """The releasability rule under one scenario in force; answers are cached.

    Build a new one when the scenario in force changes (an intervention): the cache
    belongs to the rules it was computed under.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._links = {link.name: link for link in scenario.links}
        self._rank = {name: i for i, name in enumerate(scenario.classifications)}
        self._cache: dict[tuple[str, str, tuple[str, ...], object], Refusal | None] = {}

    def refusal(
        self,
        link: str,
        classification: str,
        rel_to: Sequence[str],
        held: MarkingPair | None = None,
    ) -> Refusal | None:
        """Why an item marked (`classification`, `rel_to`) may not cross `link`, or None.

        `held` is the marking under which the sending node holds the item, if it received
        it from another node (re-sharing never loosens it); None for what it originated.
        """
        key = (link, classification, tuple(rel_to), held and (held[0], tuple(held[1])))
        try:
            return self._cache[key]
        except KeyError:
            answer = self._cache[key] = self._judge(link, classification, rel_to, held)
            return answer

    def _judge(
        self, name: str, classification: str, rel_to: Sequence[str], held: MarkingPair | None
    ) -> Refusal | None:
        scenario, rank = self.scenario, self._rank
        link = self._links.get(name)
        if link is None:
            return Refusal("no-link", f"there is no link {name}")
        dest = scenario.nodes.get(link.to)
        if dest is None:
            return Refusal("no-link", f"{name} leads to no node of the scenario")
        for level in (classification, *(() if held is None else (held[0],))):
            if level not in rank:
                return Refusal("unknown-classification", f"{level} is not on the ladder")
        admitted = releasable_nations(rel_to, scenario.communities)
        if dest.nation not in admitted:
            return Refusal(
                "not-releasable",
                f"REL TO {', '.join(rel_to)} excludes {link.to}'s nation {dest.nation}",
            )
        level = rank[classification]
        if level > rank.get(link.max_classification, -1):
            return Refusal(
                "over-classification",
                f"{classification} is above what link {name} carries ({link.max_classification})",
            )
        if level > rank.get(dest.clearance, -1):
            return Refusal(
                "insufficient-clearance",
                f"{classification} is above {link.to}'s clearance ({dest.clearance})",
            )
        if held is not None:
            held_class, held_rel = held
            wider = admitted - releasable_nations(held_rel, scenario.communities)
            if level < rank[held_class] or wider:
                return Refusal(
                    "loosened-marking",
                    f"{classification} REL TO {', '.join(rel_to)} is looser than the marking "
                    f"{link.from_} received it under ({held_class} REL TO {', '.join(held_rel)})",
                )
        return None
