"""Reproducibility and event sourcing: same scenario + seed → the same bytes; live == replay.

DESIGN.md: "Same scenario + same seed → byte-identical events.jsonl", and replaying the
log (folding `evolve`, no SimPy) rebuilds the exact live state at any point.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

import sim.engine.build as build_module
from sim.engine import simulate
from sim.engine.world import World
from sim.events import Event, encode
from sim.scenario.models import Scenario
from sim.state import WorldState, evolve, initial_state
from sim.store import EventLogWriter, read_events, verify_log
from tests.builders import busy_example, design_example

REPO = Path(__file__).resolve().parents[1]
EXAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "design": design_example,
    "busy": busy_example,
}


def write_run(raw: dict[str, Any], path: Path, seed: int | None = None) -> World:
    """Run `raw` with its events written to `path` by the event log writer."""
    with EventLogWriter(path) as writer:
        world = simulate(Scenario.model_validate(raw), seed=seed, sink=writer)
    return world


def replay(scenario: Scenario, events: Iterable[Event]) -> Iterable[WorldState]:
    """Fold evolve over the events from the initial state, yielding the state after each."""
    state = initial_state(scenario)
    for event in events:
        yield evolve(state, event)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_same_seed_gives_byte_identical_logs_in_process_and_in_a_subprocess(
    tmp_path: Path, example: str
) -> None:
    raw = EXAMPLES[example]()
    write_run(copy.deepcopy(raw), tmp_path / "a.jsonl")
    write_run(copy.deepcopy(raw), tmp_path / "b.jsonl")
    first = (tmp_path / "a.jsonl").read_bytes()
    assert first.count(b"\n") > 200
    assert (tmp_path / "b.jsonl").read_bytes() == first

    # a fresh interpreter: no shared caches, a different hash seed for str/dict ordering
    script = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from sim.engine import simulate
        from sim.scenario.models import Scenario
        from sim.store import EventLogWriter
        raw = json.loads(sys.stdin.read())
        with EventLogWriter(Path(sys.argv[1])) as writer:
            simulate(Scenario.model_validate(raw), sink=writer)
        """
    )
    other = tmp_path / "c.jsonl"
    subprocess.run(
        [sys.executable, "-c", script, str(other)],
        input=json.dumps(raw),
        text=True,
        cwd=REPO,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        check=True,
        timeout=120,
    )
    assert other.read_bytes() == first


def test_a_different_seed_gives_a_different_log(tmp_path: Path) -> None:
    raw = busy_example()
    write_run(raw, tmp_path / "a.jsonl", seed=7)
    write_run(raw, tmp_path / "b.jsonl", seed=8)
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "b.jsonl").read_bytes()


def test_the_log_holds_exactly_the_events_of_the_run(tmp_path: Path) -> None:
    raw = busy_example()
    seen: list[bytes] = []
    path = tmp_path / "events.jsonl"
    with EventLogWriter(path) as writer:
        simulate(
            Scenario.model_validate(raw),
            sink=writer,
            listeners=[lambda e: seen.append(encode(e))],
        )
    assert [encode(e) for e in read_events(path, check_hash=True)] == seen


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_live_state_equals_replayed_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str
) -> None:
    raw = EXAMPLES[example]()
    scenario = Scenario.model_validate(raw)
    # capture the world simulate builds, so a listener can copy its live state mid-run
    worlds: list[World] = []
    real_build = build_module.build_world

    def capturing_build(*args: Any, **kwargs: Any) -> World:
        world = real_build(*args, **kwargs)
        worlds.append(world)
        return world

    monkeypatch.setattr(build_module, "build_world", capturing_build)
    snapshots: dict[int, WorldState] = {}

    def snapshot(event: Event) -> None:
        # every 37th event, and each event right after which the queues and links change
        # most (interventions, outages), copied as the live run holds it
        if event.seq % 37 == 0 or type(event).__name__ in ("InterventionApplied", "LinkDown"):
            snapshots[event.seq] = copy.deepcopy(worlds[0].state)

    path = tmp_path / "events.jsonl"
    with EventLogWriter(path) as writer:
        world = simulate(scenario, sink=writer, listeners=[snapshot])
    assert len(snapshots) > 10

    compared = 0
    state = initial_state(scenario)
    for state in replay(scenario, read_events(path)):
        if state.seq in snapshots:
            assert state == snapshots[state.seq], (
                f"replay differs from the live run at seq {state.seq}"
            )
            compared += 1
    assert compared == len(snapshots)
    assert state.ended and state.seq == world.recorder.count - 1
    assert state == world.state


def test_verify_log_accepts_a_real_run(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLogWriter(path) as writer:
        world = simulate(Scenario.model_validate(busy_example()), sink=writer)
    verdict = verify_log(path, expected_final_hash=writer.last_hash)
    assert verdict.ok, verdict.problems
    assert verdict.ended and verdict.count == world.recorder.count
    assert verdict.final_hash == writer.last_hash
