"""Interventions: timed changes of parameters, by the same dotted paths as `--set`."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.world import World
from sim.events import InterventionApplied
from sim.scenario.models import Scenario
from sim.scenario.paths import set_path


def changed_scenario(
    raw: dict[str, Any], changes: dict[str, Any]
) -> tuple[dict[str, Any], Scenario]:
    """The document and scenario after applying `changes` (validated at load time already)."""
    for path, value in changes.items():
        raw = set_path(raw, path, value)
    return raw, Scenario.model_validate(raw)


def intervention_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """At its time, put an intervention's changes in force and record it."""
    spec = world.scenario.interventions[index]
    yield world.env.timeout(spec.at)
    raw, scenario = changed_scenario(world.raw, dict(spec.set))
    world.emit(InterventionApplied(t=world.env.now, index=index, changes=dict(spec.set)))
    world.reconfigure(scenario, raw)
    # more analysts may start on waiting reports at once
    for node in world.nodes.values():
        node.dispatch()
