"""Paired comparison of two scenarios with common random numbers.

Replication i of A and of B run with the same seed (derived from A's scenario seed),
so every component draws the same random numbers on both sides, and a difference
comes from what changed between the scenarios rather than from luck. The interval of
B − A is computed from the paired differences; the variance-reduction factor
(Var A + Var B) / Var(B − A) says how much tighter that is than unpaired runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.metrics import kind_of
from sim.engine.workload import check_workload
from sim.experiments.executors import Executor, make_executor
from sim.experiments.manifest import new_manifest
from sim.experiments.replications import (
    Evaluator,
    Job,
    ReplicationError,
    Row,
    column_values,
    replication_seed,
    rows_frame,
    run_jobs,
    select_metrics,
    simulate_metrics,
    stopped,
    write_table,
)
from sim.experiments.stats import PairedDiff, paired_diff_ci
from sim.experiments.watch import Silent, Watch
from sim.interrupts import caught, deferred, finished_in
from sim.limits import DEFAULT_MAX_EVENTS
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.store import new_run_dir, write_json
from sim.store.status import finish, marks_failure

SIDES = ("A", "B")


@dataclass
class Comparison:
    """Rows of both sides and B − A for every metric."""

    rows: list[Row] = field(default_factory=list)
    diffs: dict[str, PairedDiff] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """One row per (side, replication): side, replication, seed, every metric."""
        frame = rows_frame(self.rows, ["point", "replication", "seed"])
        frame.insert(0, "side", [SIDES[p] for p in frame["point"]])
        return frame.drop(columns="point")

    def table(self) -> pd.DataFrame:
        """One row per metric: A and B means, B − A with its CI, zero excluded, VR factor."""
        records = [{"metric": m, **d.as_dict()} for m, d in self.diffs.items()]
        columns = [
            "metric",
            "mean_a",
            "mean_b",
            "diff",
            "ci_low",
            "ci_high",
            "half_width",
            "excludes_zero",
            "n",
            "undefined",
            "variance_reduction",
        ]
        return pd.DataFrame.from_records(records, columns=columns)


def paired_differences(rows: list[Row]) -> dict[str, PairedDiff]:
    """B − A per metric from rows of points 0 (A) and 1 (B), paired by replication."""
    frame = rows_frame(rows, ["point", "replication", "seed"])
    a = frame[frame["point"] == 0].set_index("replication")
    b = frame[frame["point"] == 1].set_index("replication")
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    metrics = [c for c in frame.columns if c not in ("point", "replication", "seed")]
    return {
        m: paired_diff_ci(column_values(a, m), column_values(b, m), kind=kind_of(m))
        for m in metrics
    }


def run_comparison(
    raw_a: dict[str, Any],
    raw_b: dict[str, Any],
    base_seed: int,
    replications: int,
    executor: Executor,
    *,
    on_rows: Callable[[list[Row]], None] | None = None,
    evaluator: Evaluator = simulate_metrics,
    comparison: Comparison | None = None,
) -> Comparison:
    """Run both scenarios with the same replication seeds and pair them up.

    Rows are collected in `comparison` (pass one in to keep them if interrupted).
    """
    if replications < 2:
        msg = f"--replications must be at least 2 for a paired interval, not {replications}"
        raise ReplicationError(msg)
    comparison = comparison if comparison is not None else Comparison()
    seeds = [replication_seed(base_seed, i) for i in range(replications)]
    # interleaved, so an interrupted comparison still holds complete pairs
    jobs = [Job(side, i, seed) for i, seed in enumerate(seeds) for side in (0, 1)]

    def keep(rows: list[Row]) -> None:
        comparison.rows.extend(rows)
        if on_rows is not None:
            on_rows(rows)

    run_jobs(executor, jobs, {0: raw_a, 1: raw_b}, keep, evaluator=evaluator)
    comparison.diffs = paired_differences(comparison.rows)
    return comparison


# --- `intelsim compare`: a comparison directory ---------------------------------------


@dataclass(frozen=True)
class ComparisonRequest:
    """Two scenario files (A, the baseline; B, the variant) to compare over paired seeds.

    `overrides` apply to both sides; `metrics` (names or globs) choose what is shown
    (the headline metrics when empty); every metric is written either way.
    """

    file_a: Path
    file_b: Path
    replications: int = 30
    overrides: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    out: Path = Path("logs")
    seed: int | None = None
    workers: int | None = None
    dask: str | None = None
    max_events: int = DEFAULT_MAX_EVENTS


@dataclass
class ComparisonResult:
    """A finished comparison: its directory, both scenarios, every pair and what is shown."""

    directory: Path
    name_a: str
    name_b: str
    replications: int
    comparison: Comparison
    shown: dict[str, PairedDiff]

    @property
    def title(self) -> str:
        """ "B − A, N paired replications", with the scenarios' names."""
        return f"{self.name_b} − {self.name_a}, {self.replications} paired replications"


def compare_files(request: ComparisonRequest, watch: Watch | None = None) -> ComparisonResult:
    """Run both scenarios over the same seeds; write pairs, comparison and manifest.

    The directory holds `pairs.csv`/`.parquet` (one row per side and replication),
    `comparison.csv`/`.parquet`/`.json` (B − A per metric with its 95% interval) and
    `manifest.json`. A stop signal keeps the finished pairs and goes on, saying so.
    """
    watch = watch or Silent()
    a = load_scenario(request.file_a, list(request.overrides))
    b = load_scenario(request.file_b, list(request.overrides))
    for side in (a, b):
        check_workload(side.scenario, request.max_events)
    for warning in [*a.warnings, *b.warnings]:
        watch.warn(str(warning))
    base_seed = a.scenario.seed if request.seed is None else request.seed
    comparison = Comparison()
    started = time.perf_counter()
    directory: Path | None = None
    with caught() as stop, make_executor(request.workers, request.dask) as executor:
        with deferred():  # the directory and its manifest, or neither
            directory = new_run_dir(request.out, f"compare-{a.scenario.name}-vs-{b.scenario.name}")
            manifest = _manifest(request, a, b, base_seed, executor)
            write_json(directory / "manifest.json", manifest)
        with (
            marks_failure(directory / "manifest.json", manifest),
            watch.progress("A and B", 2 * request.replications) as tally,
        ):
            run_comparison(
                a.raw,
                b.raw,
                base_seed,
                request.replications,
                executor,
                on_rows=lambda rows: tally.advance(len(rows)),
                comparison=comparison,
            )
    if directory is None:
        raise stop.signal or AssertionError("no directory and no interruption")
    with deferred(), marks_failure(directory / "manifest.json", manifest):
        write_table(comparison.frame(), directory / "pairs")
        if stop.signal is not None:
            finish(directory / "manifest.json", manifest, stop.signal)
    if stop.signal is not None:
        raise stopped(stop.signal, directory, len(comparison.rows), 2 * request.replications)
    with (
        finished_in(directory, "the comparison"),
        deferred(),
        marks_failure(directory / "manifest.json", manifest),
    ):
        shown = _write_comparison(directory, comparison, request.metrics)
        manifest.update(wall_seconds=round(time.perf_counter() - started, 3))
        finish(directory / "manifest.json", manifest)
    names = (a.scenario.name, b.scenario.name)
    return ComparisonResult(directory, *names, request.replications, comparison, shown)


def _manifest(
    request: ComparisonRequest,
    a: LoadedScenario,
    b: LoadedScenario,
    base_seed: int,
    executor: Executor,
) -> dict[str, Any]:
    return new_manifest(
        "compare",
        a={"file": str(request.file_a), "scenario": a.scenario.name, "hash": a.source_hash},
        b={"file": str(request.file_b), "scenario": b.scenario.name, "hash": b.source_hash},
        overrides=list(request.overrides),
        base_seed=base_seed,
        replications=request.replications,
        resolved={"A": a.raw, "B": b.raw},
        executor=executor.name,
        workers=executor.workers,
    )


def _write_comparison(
    directory: Path, comparison: Comparison, patterns: tuple[str, ...]
) -> dict[str, PairedDiff]:
    """comparison.csv/.parquet/.json; the differences chosen to be shown."""
    table = comparison.table()
    write_table(table, directory / "comparison")
    replications = len(comparison.rows) // 2
    write_json(
        directory / "comparison.json",
        {"replications": replications, "confidence": 0.95, "metrics": table.to_dict("records")},
    )
    shown = select_metrics(list(comparison.diffs), patterns)
    return {m: comparison.diffs[m] for m in shown}
