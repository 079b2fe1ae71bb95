"""Collectors: sources that see munition use in their sectors and report it to a node."""

from __future__ import annotations

from collections.abc import Callable

from sim.engine.streams import stream
from sim.engine.world import World
from sim.events import SightingReported
from sim.scenario.models import Collector, Scenario


class CollectorAgent:
    """One collector; draws exactly four numbers per usage it could see (stream alignment)."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.rng = stream(world.seed, f"collector:{name}")
        # shipments on their own stream: sightings of use draw what they drew before
        self.rng_shipments = stream(world.seed, f"collector:{name}:shipments")
        self.configure(world.scenario)

    def configure(self, scenario: Scenario) -> None:
        """Read this collector's parameters (at start and after an intervention)."""
        self.spec: Collector = scenario.collectors[self.name]
        self.delay = self.spec.delay.sampler()
        self.recognisability = {m: spec.recognisability for m, spec in scenario.munitions.items()}
        names = sorted(scenario.munitions)
        # a misidentification names a munition it looks like, else any other of the
        # scenario; with only one munition there is nothing else to name
        self.others = {
            m: spec.looks_like or [o for o in names if o != m]
            for m, spec in scenario.munitions.items()
        }

    def observe(
        self, usage: str, munition: str, sector: str, recognisability: float | None = None
    ) -> None:
        """Maybe report a usage, after the reporting delay, possibly naming the wrong munition
        (`recognisability`: what this use leaves, if not the munition's)."""
        left = (
            self.recognisability.get(munition, 1.0) if recognisability is None else recognisability
        )
        self._sight(self.rng.random, usage, None, munition, sector, left)

    def observe_shipment(self, shipment: str, munition: str, route: str) -> None:
        """Maybe report a shipment seen on a route ("a shipment of KN-23 seen"): an indicator
        (a shipment is seen whole: no recognisability)."""
        self._sight(self.rng_shipments.random, None, shipment, munition, route, 1.0)

    def _sight(
        self,
        draw: Callable[[], float],
        usage: str | None,
        shipment: str | None,
        munition: str,
        where: str,
        recognisability: float,
    ) -> None:
        u_detect, u_delay, u_misid, u_which = draw(), draw(), draw(), draw()
        spec = self.spec
        if spec.munitions is not None and munition not in spec.munitions:
            return
        if u_detect >= spec.detection * recognisability:
            return
        claimed = munition
        others = self.others.get(munition, ())
        if u_misid < spec.misidentification and others:
            claimed = others[int(u_which * len(others))]
        now = self.world.env.now
        self.world.after(self.delay(u_delay), self.report, usage, claimed, where, now, shipment)

    def report(
        self,
        usage: str | None,
        munition: str,
        sector: str,
        used_at: float,
        shipment: str | None = None,
    ) -> None:
        """File the report (of the use, or the shipment seen, at ``used_at``) with its node."""
        world, spec = self.world, self.spec
        report = world.ids.report()
        world.emit(
            SightingReported(
                t=world.env.now,
                report=report,
                collector=self.name,
                node=spec.node,
                munition=munition,
                sector=sector,
                grade=spec.grade,
                discipline=spec.discipline,
                usage=usage,
                used_at=used_at,
                artefact=spec.evidence,
                shipment=shipment,
            )
        )
        world.nodes[spec.node].receive(report, via=None, sender=None, marking=None)
