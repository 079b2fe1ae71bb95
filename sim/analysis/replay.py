"""Replay: rebuild a run's state at any time by folding `evolve` over its log (no SimPy)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import LogError
from sim.events import Event
from sim.scenario.models import Scenario
from sim.state import EvolveError, WorldState, evolve, initial_state
from sim.store import MANIFEST_FILE, events_path, read_events, read_json


def load_run(run_dir: Path) -> tuple[Scenario, dict[str, Any]]:
    """The scenario a run was made from (as resolved, from its manifest) and the manifest."""
    path = Path(run_dir) / MANIFEST_FILE
    manifest = read_json(path)
    resolved = manifest.get("resolved") if isinstance(manifest, dict) else None
    if not isinstance(resolved, dict):
        msg = f"{path}: has no resolved scenario (key 'resolved'); was it written by intelsim run?"
        raise LogError(msg)
    try:
        scenario = Scenario.model_validate(resolved)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = f"{path}: the resolved scenario is not valid ({where}: {first['msg']})"
        raise LogError(msg) from None
    return scenario, manifest


def replay_events(
    scenario: Scenario,
    events: Iterable[Event],
    at: float | None = None,
    *,
    until_seq: int | None = None,
) -> WorldState:
    """The state after the last event with ``t <= at`` and ``seq <= until_seq`` (each if given)."""
    state = initial_state(scenario)
    for event in events:
        if (at is not None and event.t > at) or (until_seq is not None and event.seq > until_seq):
            break
        try:
            evolve(state, event)
        except EvolveError as exc:
            name = type(event).__name__
            msg = f"event seq {event.seq} ({name}) cannot follow the events before it: {exc}"
            raise LogError(msg) from None
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


def describe_state(
    scenario: Scenario, state: WorldState, at: float | None = None, node: str | None = None
) -> dict[str, Any]:
    """A JSON-ready view of a state: per node its queue, analysts and assessments; links.

    With `node`, only that node and the links that touch it.
    """
    t = state.t if at is None else at
    nodes: dict[str, Any] = {}
    for name, ns in state.nodes.items():
        if node is not None and name != node:
            continue
        nodes[name] = {
            "analysts": ns.analysts,
            "queue": list(ns.queue),
            "busy": sorted(ns.busy, key=_id_order),
            "received": ns.receipts,
            "analysed": ns.analysed,
            "assessments_issued": dict(ns.assessments),
            "assessments_received": dict(ns.known_assessments),
        }
    links: dict[str, Any] = {}
    for name, ls in state.links.items():
        if node is not None and node not in name.split("->", 1):
            continue
        links[name] = {
            "up": ls.up,
            "enabled": ls.enabled,
            "down_causes": sorted(ls.down),
            "in_flight": len(ls.in_flight),
            "held": len(ls.held),
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


def _id_order(item: str) -> tuple[int, str]:
    """R2 before R10: ids by their number, then by name."""
    digits = "".join(ch for ch in item if ch.isdigit())
    return (int(digits) if digits else 0, item)
