"""The adversary: disinformation campaigns and cyber attacks on links."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.streams import stream
from sim.engine.world import World
from sim.events import DisinformationInjected, SightingReported


def disinformation_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """Inject fabricated sightings into a node at the campaign's rate, inside its window."""
    spec = world.scenario.adversary.disinformation[index]
    rng = stream(world.seed, f"disinformation:{spec.name}")
    t = spec.from_
    while True:
        spec = world.scenario.adversary.disinformation[index]
        end = min(spec.until if spec.until is not None else world.horizon, world.horizon)
        if spec.rate <= 0:
            return
        t += -math.log(1.0 - rng.random()) / spec.rate
        sector = spec.sectors[int(rng.random() * len(spec.sectors))]
        u_back = rng.random()  # drawn always: streams stay aligned when `backdate` changes
        if t >= end:
            return
        yield world.env.timeout(t - world.env.now)
        report = world.ids.report()
        now = world.env.now
        backdate = spec.backdate.sampler()(u_back) if spec.backdate is not None else 0.0
        source = spec.source or spec.name
        artefact = spec.evidence
        if artefact is None and source in world.scenario.collectors:
            artefact = world.scenario.collectors[source].evidence  # it pretends to be one
        world.emit(DisinformationInjected(t=now, campaign=spec.name, report=report, node=spec.node))
        world.emit(
            SightingReported(
                t=now,
                report=report,
                collector=source,
                node=spec.node,
                munition=spec.munition,
                sector=sector,
                grade=spec.grade,
                discipline=spec.discipline,
                usage=None,
                polarity="contradicts" if spec.claim == "denial" else "supports",
                used_at=now - backdate,
                artefact=artefact,
            )
        )
        world.nodes[spec.node].receive(report, via=None, sender=None, marking=None)


def cyber_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """An attack on links: a compromise for a period, and one or repeated outages."""
    spec = world.scenario.adversary.cyber[index]
    rng = stream(world.seed, f"cyber:{spec.name}")
    yield world.env.timeout(spec.at)
    cause = f"cyber:{spec.name}"
    if spec.compromise is not None:
        for link in spec.links:
            world.links[link].compromise(spec.name, spec.compromise)
    if spec.outage is None:
        return
    outage, every = spec.outage.sampler(), spec.every.sampler() if spec.every else None
    while True:
        for link in spec.links:
            world.links[link].go_down(cause)
        yield world.env.timeout(outage(rng.random()))
        for link in spec.links:
            world.links[link].go_up(cause)
        if every is None or spec.until is None:
            return
        gap = every(rng.random())
        if gap <= 0 or world.env.now + gap >= spec.until:
            return
        yield world.env.timeout(gap)
