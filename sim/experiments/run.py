"""One run, end to end: scenario -> engine -> event log, manifest and metrics on disk.

Run directories hold `events.jsonl` (the source of truth), `manifest.json` (what was
run, where, how long: everything that must stay out of the deterministic log) and
`metrics.json` (a projection of the log, recomputable with `intelsim metrics`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.metrics import MetricsProjection
from sim.engine import simulate
from sim.engine.recorder import Listener
from sim.engine.world import World
from sim.experiments.manifest import new_manifest, scenario_fields
from sim.logging import get_logger
from sim.scenario.loader import LoadedScenario
from sim.scenario.models import Scenario
from sim.store import EVENTS_FILE, MANIFEST_FILE, METRICS_FILE, new_run_dir, write_json
from sim.store.piped import PipedEventLogWriter

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


def run_to_directory(
    loaded: LoadedScenario,
    out: Path,
    *,
    seed: int | None = None,
    overrides: Iterable[str] = (),
    listeners: Iterable[Listener] = (),
) -> RunOutcome:
    """Run a loaded scenario, streaming its events to a new run directory under `out`."""
    scenario = loaded.scenario
    seed = scenario.seed if seed is None else seed
    run_dir = new_run_dir(out, scenario.name)
    manifest = new_manifest(**scenario_fields(loaded, overrides), seed=seed)
    # written first, so a killed run still says what it was running
    write_json(run_dir / MANIFEST_FILE, manifest)
    log.info("run started", scenario=scenario.name, seed=seed, run_dir=str(run_dir))
    metrics = MetricsProjection(scenario)
    started = time.perf_counter()
    with PipedEventLogWriter(run_dir / EVENTS_FILE) as writer:
        world = simulate(
            scenario, loaded.raw, seed=seed, sink=writer, listeners=[metrics.apply, *listeners]
        )
    wall = time.perf_counter() - started
    result = metrics.result()
    manifest.update(
        status="complete",
        events=writer.count,
        final_hash=writer.last_hash,
        seal=writer.seal,  # vouches for events.seal: readers check blocks, not every line
        wall_seconds=round(wall, 3),
    )
    write_json(run_dir / METRICS_FILE, result)
    write_json(run_dir / MANIFEST_FILE, manifest)
    log.info("run complete", run_dir=str(run_dir), events=writer.count, wall_seconds=round(wall, 3))
    return RunOutcome(run_dir, writer.count, writer.last_hash, wall, result, world)


def run_in_memory(
    scenario: Scenario, raw: dict[str, Any], *, seed: int | None = None
) -> dict[str, Any]:
    """Run without writing a log and return its metrics (replications and sweeps)."""
    metrics = MetricsProjection(scenario)
    simulate(scenario, raw, seed=seed, listeners=[metrics.apply])
    return metrics.result()
