"""Replay: folding `evolve` over the log rebuilds exactly the live state, at any point."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from sim import events as ev
from sim.analysis.perspective import QueryError
from sim.analysis.replay import describe_state, load_run, replay, replay_events
from sim.engine import build_world
from sim.errors import LogError
from sim.experiments.run import run_to_directory
from sim.scenario.loader import LoadedScenario
from sim.scenario.models import Scenario
from sim.state import WorldState
from tests.builders import busy_example, design_example


def run_with_snapshots(
    raw: dict[str, Any], seqs: set[int]
) -> tuple[Scenario, list[ev.Event], WorldState, dict[int, WorldState]]:
    """Run live like `simulate`, deep-copying the live state right after each seq in `seqs`."""
    scenario = Scenario.model_validate(raw)
    world = build_world(scenario, scenario.seed)
    events: list[ev.Event] = []
    snapshots: dict[int, WorldState] = {}

    def listen(event: ev.Event) -> None:
        events.append(event)
        if event.seq in seqs:
            snapshots[event.seq] = copy.deepcopy(world.state)

    world.recorder.listeners.append(listen)
    world.emit(
        ev.RunStarted(t=0.0, scenario=scenario.name, seed=scenario.seed, start="x", horizon=1.0)
    )
    world.env.run(until=scenario.duration)
    world.emit(ev.RunEnded(t=scenario.duration, reason="horizon"))
    return scenario, events, world.state, snapshots


@pytest.mark.parametrize("make", [design_example, busy_example])
def test_replay_equals_live_at_the_end_and_at_sampled_seqs(make: Any) -> None:
    seqs = {0, 1, 7, 50, 123, 200, 246, 300, 400, 545}
    scenario, events, final, snapshots = run_with_snapshots(make(), seqs)
    assert len(events) > 200
    assert replay_events(scenario, events) == final
    sampled = sorted(s for s in seqs if s < len(events))
    assert set(snapshots) == set(sampled)
    for seq in sampled:
        replayed = replay_events(scenario, events, until_seq=seq)
        assert replayed.seq == seq
        assert replayed == snapshots[seq], f"replay differs from live after seq {seq}"


def test_replay_at_a_time_stops_after_the_last_event_at_or_before_it() -> None:
    raw = busy_example()
    picks = {100, 400}
    scenario, events, _, snapshots = run_with_snapshots(raw, picks)
    for seq in picks:
        t = events[seq].t
        last = max(e.seq for e in events if e.t <= t)  # later events at the same time count
        state = replay_events(scenario, events, at=t)
        assert state.seq == last and state.t <= t
        if last == seq:
            assert state == snapshots[seq]
    assert replay_events(scenario, events, at=-1.0).seq == -1  # before the first event


def test_replay_of_a_run_directory(tmp_path: Path) -> None:
    raw = busy_example()
    scenario = Scenario.model_validate(raw)
    outcome = run_to_directory(LoadedScenario(scenario, raw, "test", []), tmp_path)
    assert outcome.run_dir is not None
    loaded, manifest = load_run(outcome.run_dir)
    assert loaded == scenario and manifest["seed"] == scenario.seed
    assert replay(outcome.run_dir) == outcome.world.state
    at_10d = replay(outcome.run_dir, at=240.0)
    assert at_10d.t <= 240.0 and not at_10d.ended
    view = describe_state(loaded, at_10d, 240.0, "UKR-HUR")
    assert list(view["nodes"]) == ["UKR-HUR"]
    assert all("UKR-HUR" in name.split("->") for name in view["links"])
    assert view["when"] == "2024-07-21T00:00:00Z"
    orjson.dumps(view)  # JSON-ready


def test_load_run_errors_are_log_errors(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no such file"):
        load_run(tmp_path)
    (tmp_path / "manifest.json").write_text('{"seed": 1}')
    with pytest.raises(LogError, match="resolved"):
        load_run(tmp_path)
    (tmp_path / "manifest.json").write_text('{"resolved": {"name": "x"}}')
    with pytest.raises(LogError, match="not valid"):
        load_run(tmp_path)


def test_an_event_that_cannot_follow_is_a_log_error() -> None:
    scenario = Scenario.model_validate(design_example())
    bad = [ev.AnalysisStarted(seq=0, t=1.0, node="UKR-HUR", report="R1")]
    with pytest.raises(LogError, match=r"seq 0 \(AnalysisStarted\)"):
        replay_events(scenario, bad)
    unknown = [ev.ReportReceived(seq=0, t=1.0, node="NOWHERE", report="R1")]
    with pytest.raises(LogError, match="seq 0"):
        replay_events(scenario, unknown)


def test_replay_at_a_compound_duration_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sim.cli.app import app

    raw = busy_example()
    scenario = Scenario.model_validate(raw)
    outcome = run_to_directory(LoadedScenario(scenario, raw, "test", []), tmp_path)
    assert outcome.run_dir is not None
    runner = CliRunner()
    compound = runner.invoke(app, ["replay", str(outcome.run_dir), "--at", "12d12h", "--json"])
    hours = runner.invoke(app, ["replay", str(outcome.run_dir), "--at", "300h", "--json"])
    assert compound.exit_code == 0, compound.output
    assert compound.output == hours.output
    assert orjson.loads(compound.output)["when"] == "2024-07-23T12:00:00Z"
    wrong = runner.invoke(app, ["replay", str(outcome.run_dir), "--at", "12h12d"])
    assert wrong.exit_code != 0
    # main() prints a QueryError as one line, exit 2 (no traceback)
    assert isinstance(wrong.exception, QueryError)
    assert "12h12d" in str(wrong.exception) and "largest first" in str(wrong.exception)
