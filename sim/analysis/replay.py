"""Replay: rebuild a run's state at any time by folding `evolve` over its log (no SimPy)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.analysis.source import load_run
from sim.errors import LogError
from sim.events import Event
from sim.scenario.models import Scenario
from sim.state import EvolveError, WorldState, evolve, initial_state
from sim.state.evolve import cycle_collection_paused
from sim.state.model import LinkState, NodeState
from sim.store import events_path, read_events


def fold(
    scenario: Scenario, events: Iterable[Event], state: WorldState | None = None
) -> Iterator[tuple[Event, WorldState]]:
    """Each event with the state just after it (the same state object, changed in place).

    The fold starts from `state` when given (a snapshot's), else from the initial state.
    """
    state = initial_state(scenario) if state is None else state
    event = None
    try:
        for event in events:
            evolve(state, event)
            yield event, state
    except EvolveError as exc:
        raise _cannot_follow(event, exc) from None


def _cannot_follow(event: Event | None, exc: EvolveError) -> LogError:
    name = type(event).__name__
    seq = -1 if event is None else event.seq
    return LogError(f"event seq {seq} ({name}) cannot follow the events before it: {exc}")


def replay_events(
    scenario: Scenario,
    events: Iterable[Event],
    at: float | None = None,
    *,
    until_seq: int | None = None,
    state: WorldState | None = None,
) -> WorldState:
    """The state after the last event with ``t <= at`` and ``seq <= until_seq`` (each if given).

    ``state`` is where the fold starts (default: the initial state); it is updated in place.
    """
    state = initial_state(scenario) if state is None else state
    last_t = float("inf") if at is None else at
    last_seq = until_seq
    event = None
    try:  # one loop, evolve called directly: the fold is replay's whole cost
        with cycle_collection_paused():
            if last_seq is None:
                for event in events:
                    if event.t > last_t:
                        break
                    evolve(state, event)
            else:
                for event in events:
                    if event.t > last_t or event.seq > last_seq:
                        break
                    evolve(state, event)
    except EvolveError as exc:
        raise _cannot_follow(event, exc) from None
    return state


def replay(
    run_dir: Path,
    at: float | None = None,
    events: Iterable[Event] | None = None,
    *,
    until_seq: int | None = None,
) -> WorldState:
    """The state of a run at time `at` (default: the end), rebuilt from its log alone."""
    scenario, _ = load_run(run_dir)
    if events is None:
        events = read_events(events_path(Path(run_dir)))
    return replay_events(scenario, events, at, until_seq=until_seq)


NODE_MAPPINGS = frozenset({"assessments_issued", "assessments_received"})
"""The fields of a node's description that are its assessment id -> band mappings, which
only grow with the run. An event changes only the entries whose id it names, so a reader
that follows a fold (the report's state deltas) looks at those entries alone."""


def describe_node(node: NodeState, *, copy: bool = True) -> dict[str, Any]:
    """A JSON-ready view of one node: analysts, queue, reports under analysis, assessments,
    reports whose material it examined, consent requests awaiting an answer.

    With ``copy=False`` the :data:`NODE_MAPPINGS` fields are the node's own mappings, not
    copies: for a caller that reads a few entries and must not pay for the whole.
    """
    issued, received = node.assessments, node.known_assessments
    if copy:
        issued, received = dict(issued), dict(received)
    return {
        "analysts": node.analysts,
        "queue": list(node.queue),
        "busy": sorted(node.busy, key=_id_order),
        "received": node.receipts,
        "analysed": node.analysed,
        "assessments_issued": issued,
        "assessments_received": received,
        "exploited": node.exploited,
        "consent_pending": {
            r: f"{item} to {nation}" for r, (item, nation, _) in node.asked.items()
        },
    }


def describe_link(link: LinkState, *, ground_truth: bool = True) -> dict[str, Any]:
    """A JSON-ready view of one link; `compromised` (ground truth) only with `ground_truth`."""
    view: dict[str, Any] = {
        "up": link.up,
        "enabled": link.enabled,
        "down_causes": sorted(link.down),
        "in_flight": len(link.in_flight),
        "held": len(link.held),
    }
    if ground_truth:
        view["compromised"] = sorted(link.compromised)
    return view


def describe_state(
    scenario: Scenario, state: WorldState, at: float | None = None, node: str | None = None
) -> dict[str, Any]:
    """A JSON-ready view of a state: per node its queue, analysts and assessments; links.

    With `node`, only that node and the links that touch it, and no ground truth.
    """
    t = state.t if at is None else at
    nodes = {name: describe_node(ns) for name, ns in state.nodes.items() if node in (None, name)}
    links = {
        name: describe_link(ls, ground_truth=node is None)
        for name, ls in state.links.items()
        if node is None or node in name.split("->", 1)
    }
    when = scenario.start + timedelta(hours=t)
    return {
        "t": t,
        "when": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seq": state.seq,
        "ended": state.ended,
        "nodes": nodes,
        "links": links,
    }


@lru_cache(maxsize=1 << 16)
def _id_order(item: str) -> tuple[int, str]:
    """R2 before R10: ids by their number, then by name (cached: a report under analysis
    is sorted again at every change of its node, and the HTML report describes them all)."""
    digits = "".join(_DIGITS.findall(item))
    return (int(digits) if digits else 0, item)


_DIGITS = re.compile(r"\d+")
