"""Independent replications: seeds, tasks for an executor, rows, and their summary.

Replication i of a scenario with seed s runs with ``derive_seed(s, "replication", i)``.
Every component draws from its own named stream, so two variants run with the same
replication seed share their random numbers (common random numbers).

A *job* is one (point, replication, seed); a *task* is a batch of jobs sent to one
worker with the raw scenario of each point. Workers rebuild the Scenario from the
raw dict, so a task is small, picklable and a pure function of its contents.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.metrics import MetricsProjection, flatten
from sim.engine.streams import derive_seed
from sim.errors import IntelsimError, suggest
from sim.experiments.executors import Executor, SerialExecutor
from sim.experiments.run import run_in_memory, run_to_directory
from sim.experiments.stats import Interval, replications_for, summarize
from sim.interrupts import Interrupted
from sim.scenario.loader import LoadedScenario
from sim.scenario.models import Scenario

Flat = dict[str, float | int | None]
Row = dict[str, Any]
Evaluator = Callable[[Scenario, dict[str, Any], int], Flat]

TASK_SECONDS = 0.25  # batch replications so a task takes at least this long
KEY_COLUMNS = ("point", "replication", "seed")
PILOT = 5  # replications before a precision target is first judged


class ReplicationError(IntelsimError):
    """Replications that cannot be run as asked (bad metric name, bad counts)."""


def replication_seed(scenario_seed: int, index: int) -> int:
    """The seed of replication `index` of a scenario whose seed is `scenario_seed`."""
    return derive_seed(scenario_seed, "replication", index)


def simulate_metrics(scenario: Scenario, raw: dict[str, Any], seed: int) -> Flat:
    """The flattened metrics of one run held in memory (the default evaluator)."""
    return flatten(run_in_memory(scenario, seed=seed))


@dataclass(frozen=True)
class Job:
    """One replication to run: which point of a design, which replication, which seed."""

    point: int
    replication: int
    seed: int


@dataclass(frozen=True)
class LogRequest:
    """Where to write full event logs of each replication (`--keep-logs`)."""

    out: Path
    source_hash: str = ""


@dataclass(frozen=True)
class Task:
    """A batch of jobs for one worker, with the raw scenario of every point it touches."""

    jobs: tuple[Job, ...]
    raws: dict[int, dict[str, Any]]
    evaluator: Evaluator = simulate_metrics
    logs: LogRequest | None = None


@dataclass(frozen=True)
class TaskResult:
    """The rows of a task and the seconds its jobs took on the worker (for batch sizing)."""

    rows: list[Row]
    seconds: float


def run_task(task: Task) -> TaskResult:
    """Run every job of a task (in a worker); one row per job, metrics flattened."""
    started = time.perf_counter()
    scenarios = {p: Scenario.model_validate(raw) for p, raw in task.raws.items()}
    rows: list[Row] = []
    for job in task.jobs:
        scenario, raw = scenarios[job.point], task.raws[job.point]
        if task.logs is None:
            metrics = task.evaluator(scenario, raw, job.seed)
        else:
            metrics = _run_with_log(scenario, raw, job, task.logs)
        rows.append(
            {"point": job.point, "replication": job.replication, "seed": job.seed, **metrics}
        )
    return TaskResult(rows, time.perf_counter() - started)


def _run_with_log(scenario: Scenario, raw: dict[str, Any], job: Job, logs: LogRequest) -> Flat:
    loaded = LoadedScenario(scenario, raw, logs.source_hash, [])
    out = logs.out / f"p{job.point:04d}-r{job.replication:05d}"
    return flatten(run_to_directory(loaded, out, seed=job.seed).metrics)


def batch_size(
    seconds_per_job: float, jobs: int, workers: int, task_seconds: float = TASK_SECONDS
) -> int:
    """Jobs per task: enough to last `task_seconds`, but at least two tasks per worker."""
    by_time = math.ceil(task_seconds / max(seconds_per_job, 1e-6))
    by_balance = math.ceil(jobs / (2 * max(workers, 1)))
    return max(1, min(by_time, by_balance))


def make_tasks(
    jobs: Sequence[Job],
    raws: dict[int, dict[str, Any]],
    size: int,
    evaluator: Evaluator = simulate_metrics,
    logs: LogRequest | None = None,
) -> list[Task]:
    """Consecutive jobs in batches of `size`, each with the raws of its points."""
    tasks = []
    for start in range(0, len(jobs), size):
        chunk = tuple(jobs[start : start + size])
        points = {j.point for j in chunk}
        tasks.append(Task(chunk, {p: raws[p] for p in sorted(points)}, evaluator, logs))
    return tasks


def run_jobs(
    executor: Executor,
    jobs: Sequence[Job],
    raws: dict[int, dict[str, Any]],
    on_rows: Callable[[list[Row]], None],
    *,
    evaluator: Evaluator = simulate_metrics,
    logs: LogRequest | None = None,
) -> None:
    """Run jobs on the executor, handing rows to `on_rows` as each batch finishes.

    A first wave of one job per worker times a job (as measured on the worker, so
    scheduling overhead does not count); the rest go in batches sized from that time.
    Results do not depend on how jobs are batched.
    """
    if not jobs:
        return
    size = 1  # in this process there is nothing to amortise; finer progress
    first: Sequence[Job] = ()
    if not isinstance(executor, SerialExecutor):
        first = jobs[: max(executor.workers, 1)]
        seconds = 0.0
        for _, result in executor.run(run_task, make_tasks(first, raws, 1, evaluator, logs)):
            on_rows(result.rows)
            seconds = max(seconds, result.seconds)
        size = batch_size(
            seconds,
            len(jobs) - len(first),
            executor.workers,
            getattr(executor, "task_seconds", TASK_SECONDS),
        )
    rest = jobs[len(first) :]
    for _, result in executor.run(run_task, make_tasks(rest, raws, size, evaluator, logs)):
        on_rows(result.rows)


# --- tables and summaries ------------------------------------------------------------


def metric_names(rows: Iterable[Row], skip: Sequence[str] = KEY_COLUMNS) -> list[str]:
    """Every metric in the rows, in first-seen order."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in skip:
                names.setdefault(key, None)
    return list(names)


def rows_frame(rows: Sequence[Row], leading: Sequence[str]) -> pd.DataFrame:
    """One row per replication, sorted by the leading columns, then every metric.

    A metric missing from a replication's row is a count of something that did not
    happen there (a drop reason never seen): 0. A metric present as None is undefined.
    """
    metrics = metric_names(rows, skip=leading)
    records = [
        {**{k: row[k] for k in leading}, **{m: row.get(m, 0) for m in metrics}} for row in rows
    ]
    frame = pd.DataFrame.from_records(records, columns=[*leading, *metrics])
    return frame.sort_values(list(_sort_keys(leading)), kind="stable").reset_index(drop=True)


def _sort_keys(leading: Sequence[str]) -> Iterable[str]:
    return [k for k in ("point", "replication") if k in leading] or list(leading[:1])


def column_values(frame: pd.DataFrame, column: str) -> list[float | None]:
    """A metric column as floats, NaN as None (undefined)."""
    return [None if pd.isna(v) else float(v) for v in frame[column].tolist()]


def summarize_frame(frame: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Interval]:
    """Each metric's mean and 95% interval over the rows of the frame."""
    return {m: summarize(m, column_values(frame, m)) for m in metrics}


def write_table(frame: pd.DataFrame, stem: Path) -> None:
    """`stem`.csv and `stem`.parquet."""
    try:
        frame.to_csv(stem.parent / f"{stem.name}.csv", index=False)
        frame.to_parquet(stem.parent / f"{stem.name}.parquet", index=False)
    except OSError as exc:
        msg = f"cannot write {stem}.csv/.parquet: {exc.strerror or exc}"
        raise ReplicationError(msg) from None


# --- replications of one scenario, optionally to a precision ---------------------------


@dataclass(frozen=True)
class Precision:
    """Keep replicating until `metric`'s 95% half-width is at most `half_width`."""

    metric: str
    half_width: float

    @classmethod
    def parse(cls, text: str) -> Precision:
        """From "METRIC=HALF_WIDTH" (`--precision`)."""
        metric, sep, value = text.rpartition("=")
        try:
            target = float(value)
        except ValueError:
            target = math.nan
        if not sep or not metric.strip() or not target > 0 or math.isinf(target):
            msg = (
                f"--precision {text!r}: expected METRIC=HALF_WIDTH with a positive number, "
                "e.g. nodes.NATO-JISD.knowledge_median_h=2"
            )
            raise ReplicationError(msg)
        return cls(metric.strip(), target)


@dataclass
class PrecisionOutcome:
    """How a precision target ended."""

    metric: str
    target: float
    achieved: float | None
    reached: bool
    capped: bool
    replications: int


@dataclass
class ReplicationOutcome:
    """Rows of every replication run, and what the precision loop decided (if any)."""

    rows: list[Row] = field(default_factory=list)
    precision: list[PrecisionOutcome] = field(default_factory=list)
    interrupted: bool = False


def known_metrics(scenario: Scenario) -> tuple[set[str], tuple[str, ...]]:
    """The metric names a run of `scenario` reports, and prefixes of open families.

    Read from the metrics of a run with no events yet: every node, link and headline
    metric is there; a family keyed by what happens (drops by reason) is an empty
    mapping, whose prefix any name may extend.
    """
    empty = MetricsProjection(scenario).result()
    families: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            if not value:
                families.append(f"{prefix}.")
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)

    walk("", empty)
    return set(flatten(empty)), tuple(families)


def check_precision(goals: Sequence[Precision], scenario: Scenario) -> None:
    """Refuse, before anything runs, a --precision target naming no metric of the scenario."""
    if not goals:
        return
    names, families = known_metrics(scenario)
    for goal in goals:
        if goal.metric not in names and not goal.metric.startswith(families):
            _check_metric(goal.metric, [dict.fromkeys(sorted(names))])  # stable hint


def _check_metric(metric: str, rows: Sequence[Row]) -> None:
    names = metric_names(rows)
    if metric in names:
        return
    hint = suggest(metric, names)
    examples = ", ".join(n for n in names if n.endswith(".mean"))[:200]
    msg = f"--precision: no metric `{metric}`{hint or f' (metrics include {examples}, …)'}"
    raise ReplicationError(msg)


def run_replications(
    raw: dict[str, Any],
    base_seed: int,
    replications: int,
    executor: Executor,
    *,
    precision: Sequence[Precision] = (),
    max_replications: int | None = None,
    on_rows: Callable[[list[Row]], None] | None = None,
    on_round: Callable[[int], None] | None = None,
    evaluator: Evaluator = simulate_metrics,
    logs: LogRequest | None = None,
    outcome: ReplicationOutcome | None = None,
) -> ReplicationOutcome:
    """Run `replications` replications; with `precision` targets, add batches up to the cap.

    With targets, at least PILOT replications run first, to judge the variance.
    `on_round` hears the replication count each round aims at. Rows are collected in
    `outcome` (pass one in to keep them if interrupted).
    """
    if replications < 1:
        msg = f"--replications must be at least 1, not {replications}"
        raise ReplicationError(msg)
    cap = max_replications if max_replications is not None else replications * 10
    if precision and cap < 2:
        msg = f"--max-replications must be at least 2 for a confidence interval, not {cap}"
        raise ReplicationError(msg)
    outcome = outcome if outcome is not None else ReplicationOutcome()

    def keep(rows: list[Row]) -> None:
        outcome.rows.extend(rows)
        if on_rows is not None:
            on_rows(rows)

    done = 0
    target = min(max(replications, PILOT), cap) if precision else replications
    while True:
        if on_round is not None:
            on_round(target)
        jobs = [Job(0, i, replication_seed(base_seed, i)) for i in range(done, target)]
        run_jobs(executor, jobs, {0: raw}, keep, evaluator=evaluator, logs=logs)
        done = target
        if not precision:
            return outcome
        rows = sorted(outcome.rows, key=lambda r: r["replication"])
        intervals = []
        for goal in precision:
            _check_metric(goal.metric, rows)
            intervals.append(summarize(goal.metric, [r.get(goal.metric) for r in rows]))
        reached = [
            iv.half_width is not None and iv.half_width <= goal.half_width
            for goal, iv in zip(precision, intervals, strict=True)
        ]
        if all(reached) or done >= cap:
            outcome.precision = [
                PrecisionOutcome(g.metric, g.half_width, iv.half_width, ok, not ok, done)
                for g, iv, ok in zip(precision, intervals, reached, strict=True)
            ]
            return outcome
        wanted = [
            _next_target(done, iv, g.half_width)
            for g, iv, ok in zip(precision, intervals, reached, strict=True)
            if not ok
        ]
        target = min(cap, max(wanted))


def _next_target(done: int, interval: Interval, half_width: float) -> int:
    """How many replications the next round should reach: the t estimate, in batches."""
    step = max(2, done // 2)
    if interval.std is None or interval.n < 2:
        return done + step
    wanted = replications_for(half_width, interval.std, interval.n)
    # undefined replications do not count towards n: scale up by the defined share
    share = interval.n / max(interval.total, 1)
    return max(done + 2, math.ceil(wanted / share * 1.1))


# --- stopped early ----------------------------------------------------------------------


def stopped(
    stop: Interrupted, directory: Path, kept: int, total: int, resume: str | None = None
) -> Interrupted:
    """The stop signal, saying what was kept and how to go on (for the caller to raise)."""
    how = f"; continue with `{resume}`" if resume else ""
    return stop.kept(f"{kept} of {total} replications finished and kept in {directory}{how}")


# --- choosing metrics to show ----------------------------------------------------------

HEADLINE = (
    "nodes.*.knowledge_median_h",
    "nodes.*.known_within_7d",
    "nodes.*.coverage",
    "nodes.*.queue_wait_h.mean",
    "nodes.*.false_attributions",
    "run.messages_dropped",
    "releasability_violations",
)


def select_metrics(names: Sequence[str], patterns: Sequence[str] = ()) -> list[str]:
    """Metrics matching any pattern (exact names or globs like `nodes.*.coverage`), in order.

    With no patterns, the headline metrics. Raises ReplicationError for a pattern
    matching nothing, with the closest name.
    """
    chosen: dict[str, None] = {}
    for pattern in patterns:
        matched = [n for n in names if fnmatchcase(n, pattern)]
        if not matched:
            msg = f"--metric {pattern!r} matches no metric{suggest(pattern, list(names))}"
            raise ReplicationError(msg)
        chosen.update(dict.fromkeys(matched))
    if patterns:
        return list(chosen)
    return [n for n in names if any(fnmatchcase(n, p) for p in HEADLINE)]
