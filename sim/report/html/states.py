"""The state the run report shows at any time, as compact deltas of what `replay` prints.

The page never folds events: here the log is folded by :func:`sim.analysis.replay.fold`,
each node and link is described exactly as ``intelsim replay --json`` describes it
(:func:`~sim.analysis.replay.describe_node`, :func:`~sim.analysis.replay.describe_link`),
and only what changed is written, per event. The page applies those deltas (and keeps
its own snapshots to jump back), so the state it shows at time t is the state
``replay --at t`` prints, by construction.

An event can only change the nodes and links it names (a ``node`` or ``link`` field);
an event that names none (an intervention, the end of the run) may change anything,
so every node and link is described again after it. :meth:`StateDeltas.check` compares
the result with a full description at the end, so a new kind of event that changes an
entity it does not name fails loudly instead of drawing a wrong map.

Deltas are generic over the description's values: a scalar is replaced, a list is
spliced (one contiguous edit: a queue grows at the end and shrinks at the front), a
mapping gets entries set and removed. Nothing here knows what a queue or an assessment
is, so whatever the projections describe tomorrow reaches the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from types import UnionType
from typing import Any, get_args

import msgspec

from sim.analysis.replay import NODE_MAPPINGS, describe_link, describe_node
from sim.errors import IntelsimError
from sim.events import Event
from sim.state.model import WorldState

TICKS_PER_HOUR = 1_000_000
"""The page's clock counts micro-hours (3.6 ms): integers, exact to compare."""

SET, SPLICE, ENTRIES = 0, 1, 2  # delta codes (see the module docstring)

Entity = tuple[str, str]  # ("nodes", name), ("links", name) or ("run", "")
Observer = Callable[[int, Entity, str, Any], None]  # tick, entity, field, new value


def ticks(t: float) -> int:
    """Simulation time `t` (hours) on the page's clock, rounded *up* to the next tick.

    Rounding up keeps "the events with ``t <= at``" exact for any `at` on the clock: an
    event at t is shown from the first tick at or after t, never before it. A time
    that is a whole number of ticks up to float error (``0.1 h``) stays that tick.
    """
    scaled = t * TICKS_PER_HOUR
    nearest = round(scaled)
    return nearest if abs(scaled - nearest) < 1e-3 else math.ceil(scaled)


class ReportError(IntelsimError):
    """A run the report cannot draw faithfully (it says what and why)."""


def text_fields(kind: type[Event]) -> tuple[str, ...]:
    """The fields of an event type that may hold a name (a string, perhaps optional)."""
    return tuple(
        f.name
        for f in msgspec.structs.fields(kind)
        if f.type is str or (isinstance(f.type, UnionType) and str in get_args(f.type))
    )


def describe_entity(state: WorldState, entity: Entity, *, copy: bool = True) -> dict[str, Any]:
    """The description of one node, link or the run, as `replay --json` gives it.

    ``copy=False`` leaves a node's growing mappings uncopied (see :func:`describe_node`).
    """
    section, name = entity
    if section == "nodes":
        return describe_node(state.nodes[name], copy=copy)
    if section == "links":
        return describe_link(state.links[name])
    return {"ended": state.ended}


def splice(old: list[Any], new: list[Any]) -> list[Any]:
    """``[start, deleted, inserted]``: one contiguous edit that turns `old` into `new`."""
    n, m = len(old), len(new)
    start = 0
    while start < n and start < m and old[start] == new[start]:
        start += 1
    end = 0
    while end < n - start and end < m - start and old[n - 1 - end] == new[m - 1 - end]:
        end += 1
    return [start, n - start - end, new[start : m - end]]


def change(path: int, old: Any, new: Any) -> list[Any]:
    """The delta that turns `old` into `new` at `path` (see the module docstring)."""
    if isinstance(old, list) and isinstance(new, list):
        return [path, SPLICE, *splice(old, new)]
    if isinstance(old, dict) and isinstance(new, dict):
        entries = {k: v for k, v in new.items() if old.get(k, _MISSING) != v}
        removed = [k for k in old if k not in new]
        return [path, ENTRIES, entries, removed]
    return [path, SET, new]


_MISSING = object()


def _copied(value: Any) -> Any:
    """A copy of a described value that shares no list or mapping with it."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def entry_changes(
    copy: dict[str, Any], live: dict[str, Any], keys: Iterable[str]
) -> tuple[dict[str, Any], list[str]] | None:
    """``(entries set, keys removed)`` among `keys` that turn `copy` into `live`, applied
    to `copy`; None when those entries are alike."""
    entries = {k: live[k] for k in keys if k in live and copy.get(k, _MISSING) != live[k]}
    removed = [k for k in keys if k in copy and k not in live]
    if not entries and not removed:
        return None
    copy.update(entries)
    for k in removed:
        del copy[k]
    return entries, removed


class StateDeltas:
    """Follows a fold and records, per event, what changed in the described state."""

    def __init__(self, state: WorldState, *, exhaustive: bool = False) -> None:
        self.exhaustive = exhaustive  # describe everything after every event (tests)
        self.entities: list[Entity] = [
            *(("nodes", n) for n in state.nodes),
            *(("links", k) for k in state.links),
            ("run", ""),
        ]
        self.named: dict[str, Entity] = {name: (s, name) for s, name in self.entities if name}
        self.current: dict[Entity, dict[str, Any]] = {
            e: describe_entity(state, e) for e in self.entities
        }
        self.paths: list[list[str]] = []
        self._path_ix: dict[tuple[str, str, str], int] = {}
        self.events: list[int] = []  # the event index of each group of deltas
        self.groups: list[list[list[Any]]] = []
        self.observers: list[Observer] = []
        self._text_fields: dict[type[Event], tuple[str, ...]] = {}

    def initial(self) -> dict[str, Any]:
        """The described state before the first event: ``{section: {name: {field: value}}}``."""
        view: dict[str, Any] = {"nodes": {}, "links": {}, "run": {}}
        for (section, name), fields in self.current.items():
            # copies all the way down: after() updates the mappings it holds in place
            view[section][name] = {f: _copied(v) for f, v in fields.items()}
        return view

    def _path(self, entity: Entity, field: str) -> int:
        key = (entity[0], entity[1], field)
        ix = self._path_ix.get(key)
        if ix is None:
            ix = self._path_ix[key] = len(self.paths)
            self.paths.append(list(key))
        return ix

    def _names(self, event: Event) -> list[str]:
        """The names an event holds in its text fields (entities, ids), in field order."""
        fields = self._text_fields.get(type(event))
        if fields is None:
            fields = self._text_fields[type(event)] = text_fields(type(event))
        return [value for field in fields if (value := getattr(event, field)) is not None]

    def _touched(self, names: list[str]) -> Iterable[Entity]:
        """The entities an event with these `names` may change: those it names, or all
        when it names none."""
        if self.exhaustive:
            return self.entities
        named = self.named
        found = [named[value] for value in names if value in named]
        if not found:
            return self.entities
        found.append(("run", ""))
        return found

    def after(self, index: int, event: Event, state: WorldState) -> None:
        """Record what event number `index` changed in `state` (the state just after it).

        Of a node's assessment mappings, an event changes only the entries whose ids it
        names: those alone are compared, so the cost of an event does not grow with the run
        (describing and comparing whole mappings after every event made the report's build
        quadratic in the run's length). The exhaustive mode compares everything.
        """
        ops: list[list[Any]] = []
        tick = ticks(event.t)
        names = self._names(event)
        keys = dict.fromkeys(names)
        for entity in self._touched(names):
            by_entry = not self.exhaustive and entity[0] == "nodes"
            new = describe_entity(state, entity, copy=not by_entry)
            old = self.current[entity]
            if not by_entry and new == old:
                continue
            for field, value in new.items():
                before = old.get(field, _MISSING)
                if by_entry and field in NODE_MAPPINGS and before is not _MISSING:
                    new[field] = before  # the description keeps its own copy, kept up here
                    op = entry_changes(before, value, keys)
                    if op is None:
                        continue
                    ops.append([self._path(entity, field), ENTRIES, *op])
                    value = before
                elif before != value:
                    ops.append(change(self._path(entity, field), before, value))
                else:
                    continue
                for observe in self.observers:
                    observe(tick, entity, field, value)
            self.current[entity] = new
        if ops:
            self.events.append(index)
            self.groups.append(ops)

    def check(self, state: WorldState) -> None:
        """Raise ReportError if what was recorded differs from a full description of `state`."""
        for entity in self.entities:
            if describe_entity(state, entity) != self.current[entity]:
                section, name = entity
                msg = (
                    f"internal: the report's state of {section[:-1]} {name} drifted from replay; "
                    "an event changed it without naming it (report with exhaustive=True)"
                )
                raise ReportError(msg)
