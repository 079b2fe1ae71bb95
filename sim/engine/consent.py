"""Originator consent: national material passes on only with its originator's consent.

A node holds another node's material under the marking it received it with (a report,
a partner's assessment); material of the node's own nation is its nation's to release.
When a sharing rule would pass another nation's material on to a nation its marking
excludes, while the rule's own marking admits it, the node asks the originator instead
of dropping it (docs/domain.md, tradecraft: "National material enters NATO channels only
with the originator's consent"). The same holds for the node's *own* assessments: a
version resting on material held under a narrower marking (NATO's assessment counting a
ROK assessment) is releasable only as far as that material is, so NATO asks the ROK
before its assessment reaches Ukraine.

The originator answers after its ``consent.delay``: yes with probability ``grant`` —
for some requests (``tearline.probability``) as a sanitised tearline at a lower
classification and wider REL TO, good for every nation it admits — or no. Every step is
an event (``ConsentRequested``, ``ConsentGranted``, ``ConsentRefused``); a refused item
does not pass to that nation (``MessageDropped``, ``consent-refused``). An originator
with no ``consent`` policy is never asked: its material stays where its marking allows
(``not-releasable``), as before consent was modelled. The draws are keyed by what is
asked (requester, material, nation), so they are the same in every variant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.events import ConsentGranted, ConsentRefused, ConsentRequested, Marking
from sim.scenario.markings import combine, releasable_nations, widened
from sim.state.model import Assessment

MarkingPair = tuple[str, list[str]]
PENDING = "pending"
REFUSED = "consent-refused"


@dataclass(frozen=True, slots=True)
class Material:
    """Another node's item a node holds: who originated it, the marking it came under, and
    what it is whatever its id (the key of the originator's draws)."""

    originator: str
    marking: MarkingPair
    key: str


class ConsentLedger:
    """One node's view of the others' material it holds, and the consents it asked for."""

    def __init__(self, world: World, node: str, resend: Callable[[tuple[str, str]], None]) -> None:
        """`resend` is the node's: it offers a deferred (item, destination) again."""
        self.world = world
        self.node = node
        self.resend = resend
        self.material: dict[str, Material] = {}
        self.grants: dict[str, MarkingPair] = {}  # item -> marking widened by consents
        self.waiting: dict[tuple[str, str], set[tuple[str, str]]] = {}  # (item, nation) -> sends
        self.refused: set[tuple[str, str]] = set()
        # answers of the marking rules under the scenario in force, cached
        self._rules = world.scenario
        self._admits: dict[tuple[str, ...], frozenset[str]] = {}
        self._combined: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], MarkingPair] = {}

    def hold(self, item: str, originator: str, marking: MarkingPair, key: str) -> None:
        """The node received another node's item under `marking`: it holds it under the
        marking of its latest receipt (as the delivery check follows it from the log)."""
        self.material[item] = Material(originator, marking, key)

    def forget(self, item: str) -> None:
        """The item can no longer be passed on or rest under an assessment here (unless it
        waits for its originator's consent: then it goes on when the answer comes)."""
        if self.waiting and any(asked == item for asked, _ in self.waiting):
            return
        self.material.pop(item, None)
        self.grants.pop(item, None)

    def marking_of(self, item: str) -> MarkingPair | None:
        """The marking the node may pass the item on under: as received, or as consented."""
        granted = self.grants.get(item)
        if granted is not None:
            return granted
        held = self.material.get(item)
        return None if held is None else held.marking

    def material_of(self, record: Assessment, version: int) -> list[str]:
        """The others' items a version of the node's own assessment rests on: the partner
        assessments its lines came through and the received reports it counted itself."""
        items: list[str] = []
        for line in record.versions[version - 1]:
            if line.via:
                items.append(line.via[0])
            else:
                items.extend(r for r in line.reports if r in self.material)
        return items

    def clear(
        self,
        items: Iterable[str],
        rule: MarkingPair,
        nation: str,
        send: tuple[str, str] | None,
        *,
        own: bool = False,
    ) -> tuple[MarkingPair, MarkingPair | None, str | None]:
        """The marking to send under (the rule's, never looser than the material's), the
        marking the node holds the material under (None: nothing of another node's; the
        link judges loosening against it by the one releasability rule), and what stops
        it: None (nothing: send), ``pending`` (consent asked; `send` is offered again on
        the answer), ``consent-refused``; or None with a marking that excludes `nation`
        when no one may be asked (the link refuses it). `send` None: ask no one.

        `own`: the items are the material under the node's own assessment, where material
        of the node's own nation is its nation's to release (no third party); an item
        re-shared as it is never leaves looser than received, whoever originated it."""
        scenario = self.world.scenario
        if scenario is not self._rules:  # an intervention: markings may mean something else
            self._rules, self._admits, self._combined = scenario, {}, {}
        nodes = scenario.nodes
        nation_here = nodes[self.node].nation
        marking = rule
        held: MarkingPair | None = None
        missing: list[str] = []
        for item in items:
            under = self.marking_of(item)
            if under is None:
                continue
            if own and nodes[self.material[item].originator].nation == nation_here:
                continue
            held = under if held is None else self._combine(held, under)
            marking = self._combine(under, marking)
            if nation not in self._admitted(under[1]):
                missing.append(item)
        if not missing or send is None or nation not in self._admitted(rule[1]):
            return marking, held, None
        blocked: str | None = None
        for item in missing:
            originator = self.material[item].originator
            if (item, nation) in self.refused:
                return marking, held, REFUSED
            # material of our own nation has no third party to ask; an originator with no
            # consent policy is never asked: the marking stands (the link refuses it)
            if nodes[originator].nation == nation_here or nodes[originator].consent is None:
                return marking, held, None
            self._ask(item, nation, send)
            blocked = PENDING
        return marking, held, blocked

    def _admitted(self, rel_to: list[str]) -> frozenset[str]:
        key = tuple(rel_to)
        found = self._admits.get(key)
        if found is None:
            found = frozenset(releasable_nations(rel_to, self._rules.communities))
            self._admits[key] = found
        return found

    def _combine(self, held: MarkingPair, rule: MarkingPair) -> MarkingPair:
        key = (held[0], tuple(held[1]), rule[0], tuple(rule[1]))
        found = self._combined.get(key)
        if found is None:
            scenario = self._rules
            found = combine(held, rule, scenario.communities, scenario.classifications)
            self._combined[key] = found
        return found

    def _ask(self, item: str, nation: str, send: tuple[str, str]) -> None:
        waiting = self.waiting.get((item, nation))
        if waiting is not None:
            waiting.add(send)
            return
        self.waiting[(item, nation)] = {send}
        world, held = self.world, self.material[item]
        policy = world.scenario.nodes[held.originator].consent
        assert policy is not None  # checked by the caller
        request = world.ids.request()
        world.emit(
            ConsentRequested(
                t=world.env.now,
                request=request,
                node=self.node,
                item=item,
                originator=held.originator,
                nation=nation,
            )
        )
        draw = KeyedDraws(world.seed, f"consent:{held.originator}")
        key = f"{self.node}|{held.key}|{nation}"
        delay = policy.delay.sampler()(draw(key + "|delay"))
        granted = draw(key + "|grant") < policy.grant
        tearline = policy.tearline
        as_tearline = (
            granted
            and tearline is not None
            and draw(key + "|tearline") < tearline.probability
            and nation in releasable_nations(tearline.rel_to, world.scenario.communities)
        )
        if as_tearline and tearline is not None:
            if tearline.delay is not None:
                delay += tearline.delay.sampler()(draw(key + "|tearline-delay"))
            marking: MarkingPair | None = (tearline.classification, list(tearline.rel_to))
        elif granted:
            base = self.marking_of(item) or held.marking
            marking = (base[0], sorted({*base[1], nation}))
        else:
            marking = None
        world.after(delay, self._answer, request, item, nation, marking, as_tearline)

    def _answer(
        self, request: str, item: str, nation: str, marking: MarkingPair | None, tearline: bool
    ) -> None:
        world, held = self.world, self.material.get(item)
        originator = "" if held is None else held.originator
        if marking is None:
            world.emit(
                ConsentRefused(
                    t=world.env.now,
                    request=request,
                    node=self.node,
                    item=item,
                    originator=originator,
                    nation=nation,
                )
            )
            self.refused.add((item, nation))
        else:
            world.emit(
                ConsentGranted(
                    t=world.env.now,
                    request=request,
                    node=self.node,
                    item=item,
                    originator=originator,
                    nation=nation,
                    marking=Marking(marking[0], list(marking[1])),
                    tearline=tearline,
                )
            )
            self.grants[item] = widened(self.marking_of(item), marking, world.scenario.communities)
        for send in sorted(self.waiting.pop((item, nation), ())):
            self.resend(send)
