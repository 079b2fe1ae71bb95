"""One run, end to end: scenario -> engine -> event log, manifest and metrics on disk.

Run directories hold `events.jsonl` (the source of truth), `manifest.json` (what was
run, where, how long: everything that must stay out of the deterministic log) and
`metrics.json` (a projection of the log, recomputable with `intelsim metrics`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from sim.analysis.metrics import MetricsProjection
from sim.engine import build_world, run_world
from sim.engine.recorder import Listener
from sim.engine.workload import check_workload, estimate_events
from sim.engine.world import World
from sim.errors import LogError
from sim.experiments.log_metrics import MetricsFollower, in_scenario_order
from sim.experiments.manifest import new_manifest, scenario_fields
from sim.interrupts import Interrupted, deferred
from sim.limits import DEFAULT_MAX_EVENTS
from sim.logging import get_logger
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.models import Scenario
from sim.store import EVENTS_FILE, MANIFEST_FILE, METRICS_FILE, new_run_dir, write_json
from sim.store.piped import FlushHook, PipedEventLogWriter
from sim.store.status import tracked

log = get_logger(__name__)


@dataclass
class RunOutcome:
    """What a finished run produced."""

    run_dir: Path | None
    events: int
    final_hash: str | None
    wall_seconds: float
    metrics: dict[str, Any]
    world: World = field(repr=False)


@dataclass(frozen=True)
class RunRequest:
    """One run of a scenario file: `--set` overrides, where, which seed, how big at most."""

    file: Path
    overrides: tuple[str, ...] = ()
    out: Path = Path("logs")
    seed: int | None = None
    max_events: int = DEFAULT_MAX_EVENTS


@dataclass
class RunHooks:
    """What follows a run as it goes: listeners of every event, and a hook on each batch
    handed to the log (progress)."""

    listeners: list[Listener] = field(default_factory=list)
    on_flush: FlushHook | None = None


class RunWatch(Protocol):
    """Whoever hears a run: its warnings, and the hooks that follow it while it runs."""

    def warn(self, message: str) -> None:
        """A warning about the scenario (the run goes on)."""

    def following(
        self, scenario: Scenario, expected_events: float
    ) -> AbstractContextManager[RunHooks]:
        """Hooks for the run of `scenario`, expected to produce about this many events."""


class _Unwatched:
    def warn(self, message: str) -> None:
        pass

    def following(
        self, scenario: Scenario, expected_events: float
    ) -> AbstractContextManager[RunHooks]:
        return _no_hooks()


@contextmanager
def _no_hooks() -> Iterator[RunHooks]:
    yield RunHooks()


def run_file(request: RunRequest, watch: RunWatch | None = None) -> RunOutcome:
    """`intelsim run SCENARIO`: load the scenario with its overrides and run it to a new
    run directory under `request.out`, followed by `watch` (live story, progress)."""
    watch = watch or _Unwatched()
    loaded = load_scenario(request.file, list(request.overrides))
    for warning in loaded.warnings:
        watch.warn(str(warning))
    expected = estimate_events(loaded.scenario).events
    with watch.following(loaded.scenario, expected) as hooks:
        return run_to_directory(
            loaded,
            request.out,
            seed=request.seed,
            overrides=request.overrides,
            listeners=hooks.listeners,
            on_flush=hooks.on_flush,
            max_events=request.max_events,
        )


def run_to_directory(
    loaded: LoadedScenario,
    out: Path,
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    listeners: Iterable[Listener] = (),
    on_flush: FlushHook | None = None,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> RunOutcome:
    """Run a loaded scenario, streaming its events to a new run directory under `out`.

    A scenario expected to produce more than `max_events` events is refused before
    anything is written (WorkloadError). The manifest is written first (`running`), so
    a killed run still says what it was running. A stop signal keeps every event
    produced so far (the manifest says `interrupted`, with the count and last hash) and
    is raised again, saying so. `on_flush` hears each batch handed to the log (progress).
    """
    scenario = loaded.scenario
    seed = scenario.seed if seed is None else seed
    check_workload(scenario, max_events)
    with deferred(hold=True) as held:  # a Ctrl-C now is recorded in the manifest below
        run_dir = new_run_dir(out, scenario.name)
    manifest = new_manifest(**scenario_fields(loaded, overrides), seed=seed)
    log.info("run started", scenario=scenario.name, seed=seed, run_dir=str(run_dir))
    started = time.perf_counter()
    writer: PipedEventLogWriter | None = None
    world: World | None = None
    ended = False  # the engine ran to the horizon
    try:
        with tracked(run_dir / MANIFEST_FILE, manifest):
            held.check()
            try:
                # the sidecar that writes the log also makes the metrics from it, on the
                # other core, as `intelsim metrics` would (where it cannot be a fork of
                # this process, from the scenario the manifest above resolves); here the
                # engine and its fold alone
                events = run_dir / EVENTS_FILE
                follower = MetricsFollower(scenario, run_dir)
                with PipedEventLogWriter(events, on_flush=on_flush, follower=follower) as writer:
                    world = build_world(scenario, seed, writer)
                    world.recorder.listeners += listeners
                    run_world(world)
                    ended = True
            finally:
                wall = time.perf_counter() - started
                if writer is not None:
                    manifest.update(
                        events=writer.written if writer.last_hash else None,
                        final_hash=writer.last_hash or None,
                        seal=writer.seal,  # vouches for events.seal: readers check blocks
                        wall_seconds=round(wall, 3),
                    )
            result = writer.report.get("metrics")
            if result is None:
                why = writer.report.get("metrics_error") or "it made none"
                raise LogError(f"the run's metrics could not be made from its log: {why}")
            result = in_scenario_order(result, scenario)
            write_json(run_dir / METRICS_FILE, result)
    except Interrupted as stop:
        _leave_log(run_dir / EVENTS_FILE)
        raise stop.kept(_kept(run_dir, manifest, writer, ended=ended)) from None
    assert writer is not None and world is not None
    log.info("run complete", run_dir=str(run_dir), events=writer.written, wall_seconds=wall)
    return RunOutcome(run_dir, writer.written, writer.last_hash, wall, result, world)


def _leave_log(path: Path) -> None:
    """An interrupted run's log, made empty if the stop came before the sidecar made it.

    The sidecar creates the log when it starts, and a spawned one (no fork: a thread was
    running) takes a moment to; a stop in that moment left a manifest that says
    `interrupted` beside no log, which `verify` refuses as no run at all. An empty log
    is what the run wrote: nothing (never one written over: a log that exists stays).
    """
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))


def _kept(
    run_dir: Path, manifest: dict[str, Any], writer: PipedEventLogWriter | None, *, ended: bool
) -> str:
    """What an interrupted run left on disk, in one sentence."""
    if manifest.get("status") == "complete":
        return f"the run had finished: its log, metrics and manifest are complete in {run_dir}"
    if ended:
        return (
            f"the run had ended: its whole log ({manifest.get('events')} events) is in "
            f"{run_dir}; `intelsim metrics` recomputes what was not written"
        )
    if writer is None or not writer.written:
        return f"no event was written yet; the manifest in {run_dir} says so"
    t = float(orjson.loads(writer.last_body).get("t", 0.0)) if writer.last_body else 0.0
    return (
        f"{writer.written} events up to t={t:g}h (day {t / 24:.1f}) are kept in {run_dir}; "
        "the run is incomplete (`intelsim verify` reads it to its last event)"
    )


def run_in_memory(scenario: Scenario, *, seed: int | None = None) -> dict[str, Any]:
    """Run without writing a log and return its metrics (replications and sweeps)."""
    world = build_world(scenario, scenario.seed if seed is None else seed)
    metrics = MetricsProjection(scenario, world.state)
    world.recorder.listeners.append(metrics.apply)
    run_world(world)
    return metrics.result()
