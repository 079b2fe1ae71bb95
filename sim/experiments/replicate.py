"""`intelsim run SCENARIO --replications N`: replications of one scenario into a directory.

The directory holds `replications.csv`/`.parquet` (one row per replication),
`summary.json` (each metric's mean and 95% interval, and what the precision targets
reached) and `manifest.json`. A stop signal keeps the replications that finished: their
tables are written, the manifest says `interrupted`, and the signal goes on saying so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.workload import check_workload
from sim.experiments.executors import Executor, make_executor
from sim.experiments.manifest import new_manifest, scenario_fields
from sim.experiments.replications import (
    Precision,
    ReplicationOutcome,
    check_precision,
    rows_frame,
    run_replications,
    stopped,
    summarize_frame,
    write_table,
)
from sim.experiments.stats import Interval
from sim.experiments.watch import Silent, Watch
from sim.interrupts import Interrupted, caught, deferred, finished_in
from sim.limits import DEFAULT_MAX_EVENTS
from sim.scenario.loader import load_scenario
from sim.store import new_run_dir, write_json
from sim.store.status import finish, marks_failure

DEFAULT_CAP = 200  # replications at most, with precision targets and no cap given


@dataclass(frozen=True)
class ReplicationsRequest:
    """What to replicate, how many times, where, on what.

    `precision` holds METRIC=HALF_WIDTH targets: replications are added (up to
    `max_replications`) until each metric's 95% interval is that narrow.
    """

    file: Path
    replications: int
    overrides: tuple[str, ...] = ()
    out: Path = Path("logs")
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    precision: tuple[str, ...] = ()
    max_replications: int | None = None
    max_events: int = DEFAULT_MAX_EVENTS


@dataclass
class ReplicationsResult:
    """The finished replications: their directory, table, summary and precision outcome."""

    directory: Path
    scenario: str
    frame: pd.DataFrame
    summary: dict[str, Interval]
    outcome: ReplicationOutcome
    goals: list[Precision] = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        """Every metric of the table, in its order."""
        return [c for c in self.frame.columns if c not in ("replication", "seed")]


def replicate(request: ReplicationsRequest, watch: Watch | None = None) -> ReplicationsResult:
    """Run the replications, write their tables, summary and manifest; return them.

    Bad input (the scenario, a precision target naming no metric, a workload over
    `max_events`) is refused before anything is written. A stop signal keeps what
    finished and is raised again, saying what was kept.
    """
    watch = watch or Silent()
    goals = [Precision.parse(text) for text in request.precision]
    loaded = load_scenario(request.file, list(request.overrides))
    for warning in loaded.warnings:
        watch.warn(str(warning))
    scenario = loaded.scenario
    base_seed = scenario.seed if request.seed is None else request.seed
    cap = request.max_replications if goals else request.replications
    if goals and cap is None:
        cap = DEFAULT_CAP
    check_precision(goals, scenario)
    check_workload(scenario, request.max_events)
    outcome = ReplicationOutcome()
    started = time.perf_counter()
    directory: Path | None = None
    with caught() as stop, make_executor(request.workers, request.dask) as executor:
        with deferred():  # the directory and its manifest, or neither
            directory = new_run_dir(request.out, f"{scenario.name}-replications")
            manifest = _manifest(request, loaded, executor, base_seed, goals, cap)
            write_json(directory / "manifest.json", manifest)
        with (
            marks_failure(directory / "manifest.json", manifest),
            watch.progress(scenario.name, request.replications) as tally,
        ):
            run_replications(
                loaded.raw,
                base_seed,
                request.replications,
                executor,
                precision=goals,
                max_replications=cap,
                on_rows=lambda rows: tally.advance(len(rows)),
                on_round=tally.retotal,
                outcome=outcome,
            )
    if directory is None:
        raise stop.signal or AssertionError("no directory and no interruption")
    frame, summary = _write(directory, manifest, outcome, started, stop.signal)
    if stop.signal is not None:
        raise stopped(stop.signal, directory, len(frame), request.replications)
    return ReplicationsResult(directory, scenario.name, frame, summary, outcome, goals)


def _manifest(
    request: ReplicationsRequest,
    loaded: Any,
    executor: Executor,
    base_seed: int,
    goals: Sequence[Precision],
    cap: int | None,
) -> dict[str, Any]:
    return new_manifest(
        "replications",
        **scenario_fields(loaded, request.overrides),
        base_seed=base_seed,
        replications_asked=request.replications,
        precision=[{"metric": g.metric, "half_width": g.half_width} for g in goals],
        max_replications=cap if goals else None,
        executor=executor.name,
        workers=executor.workers,
    )


def _write(
    directory: Path,
    manifest: dict[str, Any],
    outcome: ReplicationOutcome,
    started: float,
    stop: Interrupted | None,
) -> tuple[pd.DataFrame, dict[str, Interval]]:
    """replications.csv/.parquet, summary.json and the final manifest, written whole."""
    done = finished_in(directory, "the replications") if stop is None else nullcontext()
    with done, deferred(), marks_failure(directory / "manifest.json", manifest):
        frame = rows_frame(outcome.rows, ["replication", "seed"])
        write_table(frame, directory / "replications")
        names = [c for c in frame.columns if c not in ("replication", "seed")]
        summary = summarize_frame(frame, names)
        write_json(
            directory / "summary.json",
            {
                "replications": len(frame),
                "confidence": 0.95,
                "metrics": {m: iv.as_dict() for m, iv in summary.items()},
                "precision": [vars(p) for p in outcome.precision],
            },
        )
        manifest.update(
            replications=len(frame), wall_seconds=round(time.perf_counter() - started, 3)
        )
        finish(directory / "manifest.json", manifest, stop)
    return frame, summary
