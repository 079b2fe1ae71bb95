"""Collectors: sources that see munition use in their sectors and report it to a node."""

from __future__ import annotations

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

    def observe(self, usage: str, munition: str, sector: str) -> None:
        """Maybe report a usage, after the reporting delay, possibly naming the wrong munition."""
        draw = self.rng.random
        u_detect, u_delay, u_misid, u_which = draw(), draw(), draw(), draw()
        spec = self.spec
        if spec.munitions is not None and munition not in spec.munitions:
            return
        if u_detect >= spec.detection * self.recognisability.get(munition, 1.0):
            return
        claimed = munition
        others = self.others.get(munition, ())
        if u_misid < spec.misidentification and others:
            claimed = others[int(u_which * len(others))]
        now = self.world.env.now
        self.world.after(self.delay(u_delay), self.report, usage, claimed, sector, now)

    def report(self, usage: str, munition: str, sector: str, used_at: float) -> None:
        """File the report (of the use at ``used_at``) with the collector's node."""
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
            )
        )
        world.nodes[spec.node].receive(report, via=None, sender=None, marking=None)
