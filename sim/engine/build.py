"""Wire a scenario into a world of agents and processes, and run it to its horizon."""

from __future__ import annotations

from collections.abc import Iterable

from sim.engine.adversary import cyber_process, disinformation_process
from sim.engine.collectors import CollectorAgent
from sim.engine.interventions import intervention_process
from sim.engine.links import LinkAgent, availability_process
from sim.engine.nodes import NodeAgent
from sim.engine.recorder import Listener, Sink
from sim.engine.shipments import shipment_process
from sim.engine.truth import start_usage
from sim.engine.world import World
from sim.events import RunEnded, RunStarted
from sim.scenario.models import Scenario
from sim.state.evolve import cycle_collection_paused


def build_world(scenario: Scenario, seed: int, sink: Sink | None = None) -> World:
    """A world with every agent and process of the scenario, ready to run."""
    world = World(scenario, seed, sink)
    for name in scenario.nodes:
        world.nodes[name] = NodeAgent(world, name)
    for link in scenario.links:
        world.links[link.name] = LinkAgent(world, link.name)
    for name, spec in scenario.collectors.items():
        agent = CollectorAgent(world, name)
        world.collectors[name] = agent
        for sector in spec.sectors:
            world.watchers.setdefault(sector, []).append(agent)
        for route in spec.routes:
            world.route_watchers.setdefault(route, []).append(agent)
    world.configurables = [*world.nodes.values(), *world.links.values(), *world.collectors.values()]
    for index in range(len(scenario.interventions)):
        world.process(intervention_process(world, index))
    for index in range(len(scenario.theater.usage)):
        start_usage(world, index)
    for index in range(len(scenario.theater.shipments)):
        world.process(shipment_process(world, index))
    for agent in world.links.values():
        if agent.spec.availability is not None:
            world.process(availability_process(world, agent))
    for index in range(len(scenario.adversary.disinformation)):
        world.process(disinformation_process(world, index))
    for index in range(len(scenario.adversary.cyber)):
        world.process(cyber_process(world, index))
    return world


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    sink: Sink | None = None,
    listeners: Iterable[Listener] = (),
) -> World:
    """Run a scenario from RunStarted to RunEnded; every fact goes through the recorder."""
    world = build_world(scenario, scenario.seed if seed is None else seed, sink)
    world.recorder.listeners.extend(listeners)
    return run_world(world)


def run_world(world: World) -> World:
    """Run a built world from RunStarted to RunEnded (its listeners already attached)."""
    scenario = world.scenario
    world.emit(
        RunStarted(
            t=0.0,
            scenario=scenario.name,
            seed=world.seed,
            start=scenario.start.isoformat().replace("+00:00", "Z"),
            horizon=scenario.duration,
        )
    )
    with cycle_collection_paused():  # no cycles to find; a growing heap to walk in vain
        world.env.run(until=scenario.duration)
    world.emit(RunEnded(t=scenario.duration, reason="horizon"))
    return world
