"""Sweeps: replications at every point of a design, journalled row by row, resumable.

A sweep directory holds `rows.jsonl` (the journal: one JSON row per finished
replication, appended as batches finish), `manifest.json` (what is being swept and
how far it got), and, once finished or stopped, `runs.csv`/`runs.parquet` (one row
per replication) and `summary.csv`/`summary.parquet` (each metric's mean and 95% CI
per point). `--resume DIR` reads the journal and runs only the missing
(point, replication) pairs; the finished tables do not depend on how often a sweep
was stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, Self

import orjson
import pandas as pd

from sim.engine.workload import check_workload
from sim.errors import IntelsimError, Problem, ScenarioError
from sim.experiments.design import Factor, Point, build_design, parse_vary
from sim.experiments.executors import Executor, make_executor
from sim.experiments.manifest import new_manifest, now
from sim.experiments.replications import (
    Job,
    LogRequest,
    Row,
    replication_seed,
    rows_frame,
    run_jobs,
    stopped,
    summarize_frame,
    write_table,
)
from sim.experiments.watch import Silent, Watch
from sim.interrupts import Interrupted, caught, deferred, finished_in
from sim.limits import DEFAULT_MAX_EVENTS
from sim.scenario.loader import load_scenario
from sim.store import new_run_dir, read_json, write_json
from sim.store.status import finish, marks_failure

JOURNAL = "rows.jsonl"
MANIFEST = "manifest.json"
FLUSH_EVERY = 8  # rows between flushes of the journal


class SweepError(IntelsimError):
    """A sweep that cannot start or resume."""


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep runs: everything `--resume` needs to carry on."""

    file: str
    vary: tuple[str, ...]
    replications: int
    design: str = "grid"
    samples: int | None = None
    sets: tuple[str, ...] = ()
    seed: int | None = None
    keep_logs: bool = False
    max_events: int = DEFAULT_MAX_EVENTS  # per replication, at every point

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> SweepSpec:
        """The spec recorded in a sweep's manifest."""
        spec = data["spec"]
        return cls(
            file=spec["file"],
            vary=tuple(spec["vary"]),
            replications=int(spec["replications"]),
            design=spec.get("design", "grid"),
            samples=spec.get("samples"),
            sets=tuple(spec.get("sets", ())),
            seed=spec.get("seed"),
            keep_logs=bool(spec.get("keep_logs", False)),
            max_events=int(spec.get("max_events", DEFAULT_MAX_EVENTS)),
        )


@dataclass
class PreparedPoint:
    """A design point with its validated raw scenario."""

    point: Point
    raw: dict[str, Any]


@dataclass
class Plan:
    """A sweep ready to run: factors, points, base seed and scenario identity."""

    spec: SweepSpec
    factors: list[Factor]
    points: list[PreparedPoint]
    base_seed: int
    scenario_name: str
    scenario_hash: str

    @property
    def total(self) -> int:
        """Replications in the whole sweep."""
        return len(self.points) * self.spec.replications

    def jobs(self) -> list[Job]:
        """Every (point, replication) job; the same replication seeds at every point."""
        seeds = [replication_seed(self.base_seed, i) for i in range(self.spec.replications)]
        return [
            Job(p.point.index, i, seeds[i])
            for p in self.points
            for i in range(self.spec.replications)
        ]

    def point_columns(self) -> list[str]:
        """The columns that say what a point is, in the runs and summary tables."""
        return [f.path for f in self.factors]

    def factor_columns(self) -> dict[int, dict[str, Any]]:
        """Per point, the value of each varied path as tabulated (numbers in the factor's unit)."""
        by_path = {f.path: f for f in self.factors}
        return {
            p.point.index: {path: by_path[path].x(value) for path, value in p.point.values}
            for p in self.points
        }


def _relabel(problems: list[Problem], vary_paths: Sequence[str]) -> list[Problem]:
    """Problems of a design point name `--vary`, not the `--set` it was applied as."""
    out = []
    for p in problems:
        where, message = p.path, p.message
        for path in vary_paths:
            where = where.replace(f"--set {path}", f"--vary {path}")
            message = message.replace(f"--set {path}", f"--vary {path}")
        out.append(Problem(p.file, where, message, p.severity))
    return out


def plan_sweep(spec: SweepSpec) -> Plan:
    """Parse the factors, build the design and validate the scenario at every point.

    Raises ScenarioError (every problem, `--vary` paths named as such) or SweepError
    before anything runs.
    """
    if spec.replications < 1:
        msg = f"--replications must be at least 1, not {spec.replications}"
        raise SweepError(msg)
    factors = [parse_vary(text) for text in spec.vary]
    paths = [f.path for f in factors]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        msg = f"--vary {twice[0]} is given more than once; give all its values in one --vary"
        raise SweepError(msg)
    base = load_scenario(Path(spec.file), spec.sets)
    seed = base.scenario.seed if spec.seed is None else spec.seed
    points = build_design(factors, spec.design, spec.samples, seed=seed)
    prepared: list[PreparedPoint] = []
    problems: list[Problem] = []
    for point in points:
        try:
            loaded = load_scenario(Path(spec.file), [*spec.sets, *point.overrides()])
        except ScenarioError as exc:
            problems += [p for p in _relabel(exc.problems, paths) if p not in problems]
            continue
        check_workload(loaded.scenario, spec.max_events)
        prepared.append(PreparedPoint(point, loaded.raw))
    if problems:
        raise ScenarioError(problems)
    return Plan(spec, factors, prepared, seed, base.scenario.name, base.source_hash)


# --- the journal ---------------------------------------------------------------------


def read_journal(path: Path) -> list[Row]:
    """Rows of a journal; a torn last line (the process was killed mid-write) is ignored."""
    if not path.is_file():
        return []
    rows: list[Row] = []
    for line in path.read_bytes().splitlines():
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return rows


class Journal:
    """Appends finished rows to `rows.jsonl`, flushing every few rows.

    A write the disk refuses (full, read-only) is a SweepError naming the journal; the
    rows already flushed stay, and `--resume` runs the rest.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._guarded():
            self._file: IO[bytes] = path.open("ab")
        self._unflushed = 0

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            msg = f"cannot write the sweep journal {self.path}: {exc.strerror or exc}"
            raise SweepError(msg) from None

    def append(self, rows: Sequence[Row]) -> None:
        """Append rows; flushed every FLUSH_EVERY rows."""
        data = b"".join(
            orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n" for row in rows
        )
        with self._guarded():
            self._file.write(data)
        self._unflushed += len(rows)
        if self._unflushed >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Push written rows to the file."""
        with self._guarded():
            self._file.flush()
        self._unflushed = 0

    def close(self) -> None:
        """Flush and close (closed even when the flush fails)."""
        try:
            self.flush()
        finally:
            with suppress(OSError):  # the flush above already said why
                self._file.close()


# --- a sweep directory ---------------------------------------------------------------


@dataclass
class Sweep:
    """A sweep directory being filled: its plan, the rows so far, its manifest.

    Other experiments made of replications at points (`value`) subclass it: their own
    `KIND` of manifest, and their own `plan_for` and `spec_from`.
    """

    KIND: ClassVar[str] = "sweep"

    directory: Path
    plan: Plan
    rows: list[Row] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, spec: SweepSpec, out: Path, label: str = "sweep") -> Self:
        """Plan the sweep (validating everything) and make its directory."""
        plan = cls.plan_for(spec)
        with deferred(hold=True) as held:  # the directory and its manifest, or neither
            directory = new_run_dir(out, f"{plan.scenario_name}-{label}")
            sweep = cls(directory, plan)
            sweep.manifest = sweep._new_manifest()
            write_json(directory / MANIFEST, sweep.manifest)
        try:
            held.check()
        except Interrupted as stop:
            finish(directory / MANIFEST, sweep.manifest, stop)
            how = f"nothing ran yet; start it with `intelsim {label} --resume {directory}`"
            raise stop.kept(how) from None
        return sweep

    @classmethod
    def resume(cls, directory: Path) -> Self:
        """Reopen a stopped sweep: same spec, rows so far from its journal."""
        directory = Path(directory)
        if not (directory / MANIFEST).is_file():
            msg = f"{directory} is not a {cls.KIND} directory (no {MANIFEST})"
            raise SweepError(msg)
        manifest = read_json(directory / MANIFEST)
        if manifest.get("kind") != cls.KIND or "spec" not in manifest:
            msg = f"{directory} is not a {cls.KIND} directory (its manifest is not a {cls.KIND}'s)"
            raise SweepError(msg)
        plan = cls.plan_for(cls.spec_from(manifest))
        if plan.scenario_hash != manifest.get("scenario_hash"):
            msg = (
                f"the scenario {plan.spec.file} changed since the sweep in {directory} started; "
                f"resuming would mix two scenarios in one table (start a new {cls.KIND})"
            )
            raise SweepError(msg)
        sweep = cls(directory, plan, read_journal(directory / JOURNAL), manifest)
        sweep.manifest["resumed"] = [*manifest.get("resumed", []), now()]
        return sweep

    @classmethod
    def plan_for(cls, spec: SweepSpec) -> Plan:
        """The plan of a spec (validating every point before anything runs)."""
        return plan_sweep(spec)

    @classmethod
    def spec_from(cls, manifest: dict[str, Any]) -> SweepSpec:
        """The spec a manifest recorded, for `--resume`."""
        return SweepSpec.from_manifest(manifest)

    def _new_manifest(self) -> dict[str, Any]:
        plan = self.plan
        return new_manifest(
            self.KIND,
            scenario=plan.scenario_name,
            scenario_hash=plan.scenario_hash,
            spec=asdict(plan.spec),
            base_seed=plan.base_seed,
            factors=[
                {"path": f.path, "unit": f.unit, "values": [str(v) for v in f.values] or None}
                for f in plan.factors
            ],
            points=[{"point": p.point.index, "values": dict(p.point.values)} for p in plan.points],
            replications_total=plan.total,
        )

    def pending(self) -> list[Job]:
        """Jobs whose (point, replication) has no row yet."""
        done = {(r["point"], r["replication"]) for r in self.rows}
        return [j for j in self.plan.jobs() if (j.point, j.replication) not in done]

    def run(self, executor: Executor, on_rows: Callable[[list[Row]], None] | None = None) -> None:
        """Run the pending jobs, journalling rows as they arrive (kept if interrupted).

        An error (a full disk) marks the manifest `failed`; a stop signal goes on to the
        caller, who keeps the rows with `finish`.
        """
        path = self.directory / MANIFEST
        self.manifest.update(status="running", executor=executor.name, workers=executor.workers)
        with marks_failure(path, self.manifest):
            write_json(path, self.manifest)
            journal = Journal(self.directory / JOURNAL)
            started = time.perf_counter()

            def keep(rows: list[Row]) -> None:
                with deferred():  # a row is journalled and counted whole, or not at all
                    journal.append(rows)
                    self.rows.extend(rows)
                if on_rows is not None:
                    on_rows(rows)

            logs = None
            if self.plan.spec.keep_logs:
                logs = LogRequest(self.directory / "runs", self.plan.scenario_hash)
            raws = {p.point.index: p.raw for p in self.plan.points}
            try:
                run_jobs(executor, self.pending(), raws, keep, logs=logs)
            finally:
                wall = time.perf_counter() - started
                self.manifest["wall_seconds"] = round(
                    self.manifest.get("wall_seconds", 0) + wall, 3
                )
                with deferred():
                    journal.close()

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(runs, summary) of the rows so far."""
        factors = self.plan.factor_columns()
        rows = [{**r, **factors[r["point"]]} for r in self.rows if r["point"] in factors]
        runs = rows_frame(rows, self._leading())
        return runs, summary_table(runs, self.plan.point_columns())

    def _leading(self) -> list[str]:
        return ["point", "replication", "seed", *self.plan.point_columns()]

    def finish(self, stop: Interrupted | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Write runs and summary tables and the final manifest; return the tables.

        Whole even when a stop signal arrives meanwhile; `stop` (the signal that ended
        the run) makes the manifest say `interrupted`. An error marks it `failed`.
        """
        path = self.directory / MANIFEST
        with deferred(), marks_failure(path, self.manifest):
            runs, summary = self.tables()
            write_table(runs, self.directory / "runs")
            write_table(summary, self.directory / "summary")
            self.manifest.update(
                replications_done=len(runs),
                metrics=[c for c in runs.columns if c not in self._leading()],
            )
            finish(path, self.manifest, stop)
        return runs, summary


SUMMARY_COLUMNS = ("metric", "mean", "ci_low", "ci_high", "half_width", "std", "n", "undefined")


def summary_table(runs: pd.DataFrame, paths: Sequence[str]) -> pd.DataFrame:
    """One row per (point, metric): the point's factor values, mean, 95% CI, n, undefined."""
    leading = ["point", *paths]
    metrics = [c for c in runs.columns if c not in ("point", "replication", "seed", *paths)]
    records: list[dict[str, Any]] = []
    for point, group in runs.groupby("point", sort=True):
        head = {"point": point, **{p: group[p].iloc[0] for p in paths}}
        for metric, interval in summarize_frame(group, metrics).items():
            values = interval.as_dict()
            records.append(
                {**head, "metric": metric, **{k: values[k] for k in SUMMARY_COLUMNS[1:]}}
                | {"method": interval.method, "kind": interval.kind.value}
            )
    columns = [*leading, *SUMMARY_COLUMNS, "method", "kind"]
    return pd.DataFrame.from_records(records, columns=columns)


# --- running a sweep to the end ---------------------------------------------------------


def drive(
    current: Sweep,
    workers: int | None,
    dask: str | None,
    verb: str,
    watch: Watch | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run a sweep's pending replications (any design: sweep, sensitivity, value); write
    its tables; return (runs, summary).

    A stop signal keeps what finished, writes the tables and goes on, saying how to resume
    (`intelsim VERB --resume DIR`).
    """
    watch = watch or Silent()
    plan = current.plan
    pending = current.pending()
    watch.note(
        f"{verb} {current.directory}: {len(plan.points)} points × {plan.spec.replications} "
        f"replications ({len(pending)} to run)"
    )
    with (
        caught() as stop,
        make_executor(workers, dask) as executor,
        watch.progress(verb, plan.total, plan.total - len(pending)) as tally,
    ):
        current.run(executor, on_rows=lambda rows: tally.advance(len(rows)))
    if stop.signal is not None:
        runs, _ = current.finish(stop.signal)
        resume_with = f"intelsim {verb} --resume {current.directory}"
        raise stopped(stop.signal, current.directory, len(runs), plan.total, resume_with)
    with finished_in(current.directory, f"the {verb}"):
        return current.finish()


@dataclass
class SweepResult:
    """A finished sweep: its directory and plan, one row per replication, the summary."""

    sweep: Sweep
    runs: pd.DataFrame
    summary: pd.DataFrame


def run_sweep(
    spec_or_resume: SweepSpec | Path,
    out: Path = Path("logs"),
    *,
    workers: int | None = None,
    dask: str | None = None,
    watch: Watch | None = None,
) -> SweepResult:
    """A new sweep (a spec) in a fresh directory under `out`, or a stopped one (its
    directory) continued, run to the end."""
    if isinstance(spec_or_resume, SweepSpec):
        current = Sweep.create(spec_or_resume, out)
    else:
        current = Sweep.resume(spec_or_resume)
    runs, summary = drive(current, workers, dask, "sweep", watch)
    return SweepResult(current, runs, summary)
