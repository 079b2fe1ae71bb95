"""Interventions: timed changes of parameters, by the same dotted paths as `--set`."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.world import World
from sim.events import InterventionApplied


def intervention_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """At its time, record an intervention; evolve puts its changes in force."""
    spec = world.scenario.interventions[index]
    yield world.env.timeout(spec.at)
    world.emit(InterventionApplied(t=world.env.now, index=index, changes=dict(spec.set)))
    world.reconfigure()
    # more analysts may start on waiting reports at once
    for node in world.nodes.values():
        node.dispatch()
