"""The world of one run: the SimPy environment, the scenario in force, agents and ids.

Agents (collectors, nodes, links, adversaries) decide; the recorder turns their
decisions into events. The world wires them together and owns what they share:
the clock, the parameters in force (interventions change them), and id counters.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, EventPriority

from sim.engine.recorder import Recorder, Sink
from sim.scenario.models import Scenario, SharingRule
from sim.scenario.releasability import Releasability
from sim.state.model import WorldState, initial_state


class Ids:
    """Run-local id counters (never process-wide, so two runs in one process agree)."""

    def __init__(self) -> None:
        self._usage = itertools.count(1)
        self._report = itertools.count(1)
        self._message = itertools.count(1)
        self._shipment = itertools.count(1)
        self._request = itertools.count(1)

    def usage(self) -> str:
        return f"U{next(self._usage)}"

    def report(self) -> str:
        return f"R{next(self._report)}"

    def message(self) -> str:
        return f"M{next(self._message)}"

    def shipment(self) -> str:
        return f"S{next(self._shipment)}"

    def request(self) -> str:
        return f"C{next(self._request)}"


class Truth:
    """Ground truth the deciding processes may consult (never the nodes' state): the
    munition each usage or shipment truly was (what an exploitation finds).

    Kept for the whole run (a report's material may be examined at any time later), so
    kept small: usages, numbered U1, U2, ... by `Ids`, sit in a list by number (a shared
    name each: 8 bytes a usage, where a dict of id strings took ~90); other ids in a dict.
    """

    __slots__ = ("_other", "_usages")

    def __init__(self) -> None:
        self._usages: list[str] = []
        self._other: dict[str, str] = {}

    def record(self, item: str, munition: str) -> None:
        """`item` (a usage or a shipment) truly was `munition`."""
        if item == f"U{len(self._usages) + 1}":  # the next usage, as Ids numbers them
            self._usages.append(munition)
        else:
            self._other[item] = munition

    def get(self, item: str) -> str | None:
        """The munition `item` truly was, or None (not a usage or shipment of this run)."""
        munition = self._other.get(item)
        if munition is None and item[:1] == "U" and item[1:].isdigit():
            n = int(item[1:])
            if 1 <= n <= len(self._usages) and item == f"U{n}":
                munition = self._usages[n - 1]
        return munition


class _Call(simpy.Event):
    """A call scheduled on the SimPy clock: a Timeout without its value and bound-class
    indirection (two per report in the hot loop). Scheduled like a Timeout (same priority,
    next event id), so the order of events is the same; :class:`_Environment` makes the
    call when its turn comes (no callback list: nothing ever waits on it)."""

    __slots__ = ("action", "args")

    def __init__(self, action: Any, args: tuple[Any, ...]) -> None:
        # simpy.Event.__init__ skipped on purpose: only _Environment.step sees a _Call
        self.action = action
        self.args = args


class _Environment(simpy.Environment):
    """SimPy's environment, stepping a :class:`_Call` by making the call: the same order
    of events, without a callback (a closure and a list) made per call."""

    def step(self) -> None:
        """Process the next event (simpy.Environment.step, with a bare call made at once)."""
        try:
            self._now, _, _, event = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        if event.__class__ is _Call:
            event.action(*event.args)
            return
        # simpy.Environment.step from here (SimPy 4.1)
        callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]
        try:
            for callback in callbacks:
                callback(event)
        except StopSimulation:
            event.callbacks = callbacks[callbacks.index(callback) + 1 :]
            self.schedule(event, EventPriority(-1))
            raise
        if not event._ok and not hasattr(event, "_defused"):
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc


class World:
    """Shared context of the agents of one run."""

    def __init__(self, scenario: Scenario, seed: int, sink: Sink | None = None) -> None:
        self.env = _Environment(initial_time=0.0)
        self.state: WorldState = initial_state(scenario)
        # the scenario in force, as the state holds it (re-read after each intervention)
        self.scenario = self.state.scenario
        self.rules = Releasability(self.scenario)  # releasability under the scenario in force
        self.seed = seed
        self.horizon = scenario.duration
        self.recorder = Recorder(self.state, sink)
        self.emit = self.recorder.emit
        self.ids = Ids()
        # filled by sim.engine.build
        self.nodes: dict[str, Any] = {}
        self.links: dict[str, Any] = {}
        self.collectors: dict[str, Any] = {}
        self.watchers: dict[str, list[Any]] = {}  # sector -> collectors watching it
        self.route_watchers: dict[str, list[Any]] = {}  # route -> collectors watching it
        self.configurables: list[Any] = []
        self.truth = Truth()

    @property
    def now(self) -> float:
        return float(self.env.now)

    def after(self, delay: float, action: Any, *args: Any) -> None:
        """Call `action(*args)` `delay` hours from now (a bare call: cheaper than a process)."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        env = self.env  # env.schedule(_Call(action, args), NORMAL, delay), inlined: hot path
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), _Call(action, args)))

    def at_start(self, action: Any, *args: Any) -> None:
        """Call `action(*args)` now, before anything else due now: when a process started
        now would take its first step (SimPy starts a process with an urgent event)."""
        self.env.schedule(_Call(action, args), URGENT, 0)

    def process(self, generator: Generator[simpy.Event, Any, Any]) -> None:
        """Start a long-lived SimPy process."""
        self.env.process(generator)

    def rules_from(self, node: str, items: str) -> list[SharingRule]:
        """The sharing rules of `node` for `items` ("reports", "assessments", "findings")."""
        return [r for r in self.scenario.sharing if r.from_ == node and r.items == items]

    def reconfigure(self) -> None:
        """Let every agent re-read the parameters in force (after an intervention)."""
        scenario = self.scenario = self.state.scenario
        self.rules = Releasability(scenario)
        for agent in self.configurables:
            agent.configure(scenario)
