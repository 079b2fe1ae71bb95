"""Links: directed channels with latency, capacity, outages and a classification ceiling.

Every message is accounted for: refused (`MessageDropped` with a reason), held while
the link is down (`MessageHeld`, store and forward), or delivered after its latency.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.engine.streams import KeyedDraws, stream
from sim.engine.world import World
from sim.events import (
    LinkCompromised,
    LinkDown,
    LinkSecured,
    LinkUp,
    Marking,
    MessageDelivered,
    MessageDropped,
    MessageHeld,
    MessageIntercepted,
    MessageSent,
)
from sim.scenario.models import Link, Scenario
from sim.scenario.releasability import MarkingPair, Releasability


@dataclass(slots=True)
class Message:
    """A message on its way: what it carries and under which marking."""

    message: str
    item: str
    kind: str
    marking: Marking
    band: str
    confidence: float
    held: MarkingPair | None  # the marking the sender holds the item under, if received
    rules: Releasability  # the releasability rules in force when it was sent
    version: int = 0  # of an assessment: the version sent
    key: str = ""  # what it carries, whatever its id: the key of its latency draw


class LinkAgent:
    """One directed link, its queue and its outages."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.draw = KeyedDraws(world.seed, f"link:{name}")
        self.state = world.state.links[name]
        self.queue: deque[Message] = deque()
        self.pumping = False
        self.configure(world.scenario)

    def configure(self, scenario: Scenario) -> None:
        """Read this link's parameters (at start and after an intervention)."""
        self.spec: Link = scenario.link(self.name)
        self.latency = self.spec.latency.sampler()
        self.slot = 1.0 / self.spec.capacity if self.spec.capacity else 0.0
        self.rules = self.world.rules
        if self.state.enabled and self.state.up:
            self._resume()

    # --- sending ---------------------------------------------------------------------

    def send(
        self,
        item: str,
        kind: str,
        marking: tuple[str, list[str]],
        *,
        band: str = "",
        confidence: float = 0.0,
        held: MarkingPair | None = None,
        version: int = 0,
        key: str = "",
    ) -> None:
        """Offer an item to the link: refuse it, hold it, queue it or transmit it.

        `held` is the marking the sending node holds the item under (re-sharing never
        loosens it; an originator's consent widens it), or, for the node's own assessment,
        the marking of the other nations' material it rests on; None for what the node
        originated from nothing held.
        """
        world, now = self.world, self.world.env.now
        message = world.ids.message()
        classification, rel_to = marking
        if not self.state.enabled:
            reason: str | None = "link-closed"
        else:
            refused = self.rules.refusal(self.name, classification, rel_to, held)
            reason = None if refused is None else refused.reason
        if reason is not None:
            world.emit(
                MessageDropped(t=now, message=message, link=self.name, item=item, reason=reason)
            )
            return
        mark = Marking(classification, list(rel_to))
        world.emit(
            MessageSent(
                t=now,
                message=message,
                link=self.name,
                item=item,
                kind=kind,
                marking=mark,
                version=version,
            )
        )
        msg = Message(
            message, item, kind, mark, band, confidence, held, self.rules, version, key or item
        )
        if not self.state.up:
            self._wait(msg)
        elif self.slot:
            self.queue.append(msg)
            self._pump()
        else:
            self._transmit(msg)

    def _wait(self, msg: Message) -> None:
        world = self.world
        if not self.state.enabled or self.spec.on_outage == "drop":
            world.emit(
                MessageDropped(
                    t=world.env.now,
                    message=msg.message,
                    link=self.name,
                    item=msg.item,
                    reason="link-closed" if not self.state.enabled else "link-down",
                )
            )
            return
        if msg.message not in self.state.held:
            world.emit(
                MessageHeld(
                    t=world.env.now,
                    message=msg.message,
                    link=self.name,
                    item=msg.item,
                    reason="link-down",
                )
            )
        self.queue.append(msg)

    def _pump(self) -> None:
        # capacity: one message per slot of 1/capacity hours; the rest wait in order
        if self.pumping or not self.queue or not self.state.up:
            return
        self.pumping = True
        self.world.after(self.slot, self._slot_done)

    def _slot_done(self) -> None:
        self.pumping = False
        if not self.state.up:
            self._hold_queue()
            return
        # an outage under on_outage=drop during the slot may have emptied the queue
        if self.queue:
            self._transmit(self.queue.popleft())
        self._pump()

    def _transmit(self, msg: Message) -> None:
        world = self.world
        for attack in sorted(self.state.compromised):
            world.emit(
                MessageIntercepted(
                    t=world.env.now,
                    message=msg.message,
                    link=self.name,
                    item=msg.item,
                    attack=attack,
                )
            )
        world.after(self.latency(self.draw(msg.key)), self._deliver, msg)

    def _deliver(self, msg: Message) -> None:
        world = self.world
        if msg.rules is not self.rules:  # an intervention changed the rules on the way
            refused = self.rules.refusal(
                self.name, msg.marking.classification, msg.marking.rel_to, msg.held
            )
            if refused is not None:
                world.emit(
                    MessageDropped(
                        t=world.env.now,
                        message=msg.message,
                        link=self.name,
                        item=msg.item,
                        reason=refused.reason,
                    )
                )
                return
        world.emit(
            MessageDelivered(
                t=world.env.now,
                message=msg.message,
                link=self.name,
                item=msg.item,
                kind=msg.kind,
                marking=msg.marking,
            )
        )
        dest = world.nodes[self.spec.to]
        pair = (msg.marking.classification, msg.marking.rel_to)
        if msg.kind == "report":
            dest.receive(msg.item, via=msg.message, sender=self.spec.from_, marking=pair)
        else:
            dest.receive_assessment(
                msg.item,
                msg.band,
                msg.confidence,
                version=msg.version,
                via=msg.message,
                sender=self.spec.from_,
                marking=pair,
            )

    # --- outages and compromise ----------------------------------------------------

    def go_down(self, cause: str) -> None:
        """A cause of outage begins (failure, cyber attack)."""
        if cause in self.state.down:
            return
        self.world.emit(LinkDown(t=self.world.env.now, link=self.name, cause=cause))
        self._hold_queue()

    def go_up(self, cause: str) -> None:
        """A cause of outage ends; when none is left, held messages go."""
        if cause not in self.state.down:
            return
        self.world.emit(LinkUp(t=self.world.env.now, link=self.name, cause=cause))
        self._resume()

    def _hold_queue(self) -> None:
        waiting, self.queue = list(self.queue), deque()
        for msg in waiting:
            self._wait(msg)

    def _resume(self) -> None:
        if not self.state.up:
            return
        if self.slot:
            self._pump()
            return
        waiting, self.queue = list(self.queue), deque()
        for msg in waiting:
            self._transmit(msg)

    def compromise(self, attack: str, duration: float) -> None:
        """An adversary reads this link's traffic for `duration` hours."""
        world = self.world
        world.emit(LinkCompromised(t=world.env.now, link=self.name, attack=attack))
        world.after(duration, self._secure, attack)

    def _secure(self, attack: str) -> None:
        self.world.emit(LinkSecured(t=self.world.env.now, link=self.name, attack=attack))


def availability_process(world: World, link: LinkAgent) -> Generator[simpy.Event, Any, None]:
    """Random failures: exponential up times (mean mtbf), exponential repairs (mean mttr)."""
    rng = stream(world.seed, f"link:{link.name}:availability")
    while True:
        spec = world.scenario.link(link.name).availability
        if spec is None:
            return
        yield world.env.timeout(-spec.mtbf * math.log(1.0 - rng.random()))
        link.go_down("failure")
        yield world.env.timeout(-spec.mttr * math.log(1.0 - rng.random()))
        link.go_up("failure")
