"""The log sidecar makes the run's metrics from the log it writes, forked or spawned: the
same lines, and the metrics `intelsim metrics` makes from those lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.metrics import metrics_from_events
from sim.engine import build_world, run_world
from sim.errors import LogError
from sim.events import MunitionUsed, RunStarted
from sim.experiments.log_metrics import MetricsFollower
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import piped as piped_module
from sim.store import read_events, verify_log
from sim.store.chain import GENESIS, make_line
from sim.store.piped import PipedEventLogWriter
from sim.store.sidecar import chain_lines

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_the_inlined_chain_makes_the_chains_lines() -> None:
    bodies = [b'{"type":"X","seq":%d,"t":0.5}' % i for i in range(50)]
    out, hashes, last = chain_lines(GENESIS, bodies)
    prev = GENESIS
    for body, line, digest in zip(bodies, out, hashes, strict=True):
        expected, prev = make_line(prev, body)
        assert (line, digest) == (expected, prev)
    assert last == prev


@pytest.mark.parametrize("forked", [True, False])
def test_metrics_made_beside_the_log_are_those_of_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    monkeypatch.setattr(piped_module, "_forks", lambda: forked)
    loaded = load_scenario(SCENARIOS / "teaching-minimal.yaml", [])
    outcome = run_to_directory(loaded, tmp_path)
    assert outcome.run_dir is not None
    log = outcome.run_dir / "events.jsonl"
    assert verify_log(log).ok
    from_lines = metrics_from_events(loaded.scenario, read_events(log))
    assert outcome.metrics == from_lines
    assert outcome.metrics["run"]["events"] == outcome.events > 100
    # in the scenario's order (not the manifest's sorted one), forked or spawned: the
    # summary and an experiment's tables list them so
    assert (
        list(outcome.metrics["nodes"])
        == list(loaded.scenario.nodes)
        != sorted(loaded.scenario.nodes)
    )


@pytest.mark.parametrize("name", ["teaching-minimal", "kharkiv-2024-01", "real-time-link"])
def test_a_run_in_memory_and_one_to_disk_have_the_same_metrics(tmp_path: Path, name: str) -> None:
    """In memory, the metrics follow the folded state (interventions included); beside
    the log, the events alone: the same figures (real-time-link has an intervention)."""
    from sim.experiments.run import run_in_memory

    loaded = load_scenario(SCENARIOS / f"{name}.yaml", [])
    assert run_to_directory(loaded, tmp_path).metrics == run_in_memory(loaded.scenario)


@pytest.mark.parametrize("forked", [True, False])
def test_no_metrics_for_a_log_that_did_not_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    monkeypatch.setattr(piped_module, "_forks", lambda: forked)
    loaded = load_scenario(SCENARIOS / "teaching-minimal.yaml", [])
    (tmp_path / "manifest.json").write_text('{"resolved": {}}')  # (spawned: no scenario)
    follower = MetricsFollower(loaded.scenario, tmp_path)
    with PipedEventLogWriter(tmp_path / "events.jsonl", follower=follower) as w:
        w.append(RunStarted(t=0.0, scenario="s", seed=1, start="2024-07-11T00:00:00Z", horizon=9))
        w.append(MunitionUsed(t=1.0, usage="U1", munition="KN-23", sector="Kharkiv"))
    assert w.written == 2 and "metrics" not in w.report


def test_a_scenario_the_sidecar_cannot_load_stops_the_metrics_not_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(piped_module, "_forks", lambda: False)
    loaded = load_scenario(SCENARIOS / "teaching-minimal.yaml", [])
    world_log = tmp_path / "events.jsonl"  # no manifest beside it: nothing resolves
    follower = MetricsFollower(loaded.scenario, tmp_path)
    with PipedEventLogWriter(world_log, flush_every=50, follower=follower) as writer:
        run_world(build_world(loaded.scenario, 1, writer))
    assert "metrics" not in writer.report
    assert "manifest" in writer.report["metrics_error"]
    assert verify_log(world_log).ok and writer.written > 100


def test_a_log_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    event = RunStarted(t=0.0, scenario="s", seed=1, start="x", horizon=1)
    with (
        pytest.raises(LogError, match="cannot create event log"),
        PipedEventLogWriter(tmp_path / "missing" / "events.jsonl") as writer,
    ):
        writer.append(event)


def test_bodies_fed_after_the_metrics_failed_leave_the_follower_idle(tmp_path: Path) -> None:
    """A spawned sidecar whose scenario cannot load, fed on afterwards (it had caught up
    with the run), must not stay busy: its loop and `finish` would spin for ever."""
    follower = MetricsFollower(None, tmp_path)  # no manifest here: the scenario fails
    start = b'{"type":"RunStarted","seq":0,"t":0.0}\n'
    follower.feed(start)
    for _ in range(10):  # its idle moments: the setup's slices, until it fails
        if not follower.busy:
            break
        follower.step()
    assert follower.error is not None and not follower.busy
    follower.feed(b'{"type":"MunitionUsed","seq":1,"t":1.0}\n' * 3)
    follower.feed(b'{"type":"RunEnded","seq":2,"t":2.0,"reason":"horizon"}\n')
    assert not follower.busy and follower.queued_bytes == 0
    assert "manifest" in follower.finish()["metrics_error"]  # (and it returns)
