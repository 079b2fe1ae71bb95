"""Ground truth: DPRK munitions used in sectors, as Poisson processes over time windows."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.streams import stream
from sim.engine.world import World
from sim.events import MunitionUsed
from sim.scenario.models import Usage


def start_usage(world: World, index: int) -> None:
    """Start usage line `index`: a scripted strike as a process, a rate as a chain of calls."""
    if world.scenario.theater.usage[index].at is not None:
        world.process(scripted_usage(world, index))
    else:
        world.at_start(UsageLine(world, index).next)


def scripted_usage(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """A documented strike at a known time: `count` uses of line `index`."""
    spec = world.scenario.theater.usage[index]
    assert spec.at is not None  # start_usage checked
    yield world.env.timeout(spec.at)
    for _ in range(spec.count):
        munition_used(world, spec.munition, spec.sector, spec.recognisability)


class UsageLine:
    """Emit `MunitionUsed` at the rate of usage line `index`, inside its window.

    A chain of scheduled calls rather than a SimPy process (one use each, the most frequent
    step of most runs: a process's resumption costs more than the call). It schedules what
    the process did, in the same order, so runs are the same to the byte.
    """

    __slots__ = ("index", "rng", "t", "world")

    def __init__(self, world: World, index: int) -> None:
        spec = world.scenario.theater.usage[index]
        self.world = world
        self.index = index
        self.rng = stream(world.seed, f"usage:{index}:{spec.munition}:{spec.sector}")
        self.t = spec.from_

    def next(self) -> None:
        """Schedule the next use, if the line's rate and window allow one."""
        world = self.world
        # re-read each time: an intervention may change the rate or the window
        spec = world.scenario.theater.usage[self.index]
        end = min(spec.until if spec.until is not None else world.horizon, world.horizon)
        if spec.rate is None or spec.rate <= 0:
            return
        self.t += -math.log(1.0 - self.rng.random()) / spec.rate
        if self.t >= end:
            return
        world.after(self.t - world.env.now, self.use, spec)

    def use(self, spec: Usage) -> None:
        """One use, as the line read when it was scheduled; then the next."""
        munition_used(self.world, spec.munition, spec.sector, spec.recognisability)
        self.next()


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
