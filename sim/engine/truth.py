"""Ground truth: DPRK munitions used in sectors, as Poisson processes over time windows."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.streams import stream
from sim.engine.world import World
from sim.events import MunitionUsed


def usage_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """Emit `MunitionUsed` at the rate of usage line `index`, inside its window."""
    spec = world.scenario.theater.usage[index]
    if spec.at is not None:  # scripted: a documented strike at a known time
        yield world.env.timeout(spec.at)
        for _ in range(spec.count):
            munition_used(world, spec.munition, spec.sector, spec.recognisability)
        return
    rng = stream(world.seed, f"usage:{index}:{spec.munition}:{spec.sector}")
    t = spec.from_
    while True:
        # re-read each time: an intervention may change the rate or the window
        spec = world.scenario.theater.usage[index]
        end = min(spec.until if spec.until is not None else world.horizon, world.horizon)
        if spec.rate is None or spec.rate <= 0:
            return
        t += -math.log(1.0 - rng.random()) / spec.rate
        if t >= end:
            return
        yield world.env.timeout(t - world.env.now)
        munition_used(world, spec.munition, spec.sector, spec.recognisability)


def munition_used(
    world: World, munition: str, sector: str, recognisability: float | None = None
) -> None:
    """Record one use and let every collector watching the sector observe it (with the
    usage line's `recognisability` instead of the munition's, if it has one)."""
    usage = world.ids.usage()
    world.truth.record(usage, munition)
    world.emit(MunitionUsed(t=world.env.now, usage=usage, munition=munition, sector=sector))
    for collector in world.watchers.get(sector, ()):
        collector.observe(usage, munition, sector, recognisability)
