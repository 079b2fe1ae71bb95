"""Ground truth ahead of use: DPRK shipments of munitions on their routes to Russia.

A shipment line is Poisson at a rate over a window, or scripted (`count` at `at`), like
a usage line. Each shipment leaves (``ShipmentDeparted``), and every collector watching
its route may see it; it reaches the route's depots after the route's transit
(``ShipmentArrived``, drawn keyed by the shipment: the same in every variant).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from sim.engine.streams import KeyedDraws, stream
from sim.engine.world import World
from sim.events import ShipmentArrived, ShipmentDeparted


def shipment_process(world: World, index: int) -> Generator[simpy.Event, Any, None]:
    """Emit the shipments of line `index` of `theater.shipments`, inside its window."""
    spec = world.scenario.theater.shipments[index]
    if spec.at is not None:
        yield world.env.timeout(spec.at)
        for _ in range(spec.count):
            depart(world, spec.munition, spec.route)
        return
    rng = stream(world.seed, f"shipments:{index}:{spec.munition}:{spec.route}")
    t = spec.from_
    while True:
        spec = world.scenario.theater.shipments[index]  # an intervention may change it
        end = min(spec.until if spec.until is not None else world.horizon, world.horizon)
        if spec.rate is None or spec.rate <= 0:
            return
        t += -math.log(1.0 - rng.random()) / spec.rate
        if t >= end:
            return
        yield world.env.timeout(t - world.env.now)
        depart(world, spec.munition, spec.route)


def depart(world: World, munition: str, route: str) -> None:
    """One shipment leaves: collectors on the route may see it; it arrives after transit."""
    shipment = world.ids.shipment()
    world.truth.record(shipment, munition)
    world.emit(ShipmentDeparted(t=world.env.now, shipment=shipment, munition=munition, route=route))
    for collector in world.route_watchers.get(route, ()):
        collector.observe_shipment(shipment, munition, route)
    transit = world.scenario.theater.routes[route].transit.sampler()
    u = KeyedDraws(world.seed, f"route:{route}")(f"{munition}|{world.env.now!r}")
    world.after(transit(u), _arrive, world, shipment, munition, route)


def _arrive(world: World, shipment: str, munition: str, route: str) -> None:
    world.emit(ShipmentArrived(t=world.env.now, shipment=shipment, munition=munition, route=route))
