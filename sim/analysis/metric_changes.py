"""How two metrics documents differ: value by value, or in their headline numbers.

`differences` checks a run's recorded metrics against those recomputed from its log
(`intelsim metrics`); `headline_changes` says what a change did to a run's headline
numbers (`intelsim branch` against its parent).

A big log is recomputed in two processes when a core is free (:class:`InTwo`): a forked
child reads the first part, checked, and feeds it to the metrics projection, while this
process reads the rest, checked, from where the first part ends; the child then hands
over its projection (a few hundred kB, pickled) and this process feeds it the rest. The
projection is the same object either way, fed the same events in the same order, so the
metrics are the same; the reading of the rest starts from the first part's last line as
one reading would be there (its hash, seq and time), and the parts are joined only when
the child's reading ended exactly there, intact. Anything else (a fault in the first
part, a child that failed) is recomputed here in one pass, as a small log is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from sim.analysis.metrics import MetricsProjection, flatten, metrics_from_events
from sim.analysis.source import RunSource, open_run
from sim.events import Event, RunEnded, decode
from sim.state.evolve import cycle_collection_paused
from sim.store import METRICS_FILE, read_json
from sim.store.chain import HASH_HEAD, SUFFIX_LEN
from sim.store.forked import Forked, fork, spare_core
from sim.store.reading import LogIntegrityError, LogReading, Resume, line_ending_at
from sim.store.verify import PARALLEL_BYTES

# per node, in the order the run summary shows them
NODE_HEADLINE = (
    "reports_received",
    "queue_wait_h.mean",
    "knowledge_median_h",
    "known_within_7d",
    "coverage",
    "assessments_issued",
    "false_attributions",
)
RUN_HEADLINE = ("messages_delivered", "messages_dropped", "messages_in_flight", "reports")
TOP_HEADLINE = ("intercepted", "releasability_violations")


def differences(recomputed: Mapping[str, Any], recorded: Any) -> list[str]:
    """Every value that differs between recomputed and recorded metrics, one line each."""
    if not isinstance(recorded, dict):
        return ["metrics.json is not a metrics document"]
    new, old = flatten(recomputed), flatten(recorded)
    return [
        f"{key}: {old.get(key)!r} recorded, {new.get(key)!r} recomputed"
        for key in sorted(set(new) | set(old))
        if new.get(key) != old.get(key)
    ]


@dataclass
class Recomputed:
    """A run's metrics recomputed from its log, beside the ones it recorded (None: none)."""

    run_dir: Path
    metrics: dict[str, Any]
    recorded: Any
    reading: LogReading
    scenario: str
    seed: int | None
    horizon_h: float
    wall_seconds: float

    def differences(self) -> list[str]:
        """Every value recomputed differently from metrics.json."""
        return [] if self.recorded is None else differences(self.metrics, self.recorded)

    def check(self) -> None:
        """LogIntegrityError (exit 1) when the recomputed metrics differ from the recorded."""
        found = self.differences()
        if found:
            more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
            msg = (
                f"the metrics recomputed from the log differ from {METRICS_FILE} "
                f"in {len(found)} value(s){more}"
            )
            raise LogIntegrityError(msg)


def recompute(run_dir: Path) -> Recomputed:
    """`intelsim metrics`: the metrics of a run from its log alone, and those it recorded.

    The log is read checked: call `reading.raise_if_broken()` before trusting them.
    """
    source = open_run(run_dir)
    metrics, reading = _recomputed(source)
    path = source.run_dir / METRICS_FILE
    recorded = read_json(path) if path.is_file() else None
    manifest = source.manifest
    seed = manifest.get("seed")
    return Recomputed(
        source.run_dir,
        metrics,
        recorded,
        reading,
        source.scenario.name,
        seed if isinstance(seed, int) else None,
        source.scenario.duration,
        float(manifest.get("wall_seconds") or 0.0),
    )


def _recomputed(source: RunSource) -> tuple[dict[str, Any], LogReading]:
    """The metrics of the log and the reading that made them: in two processes when the
    log is big and a core is free (:class:`InTwo`), else in one pass here."""
    in_two = InTwo.start(source)
    if in_two is not None:
        done = in_two.finish()
        if done is not None:
            return done
    reading = source.reading()
    return dict(metrics_from_events(source.scenario, reading.events())), reading


FIRST_PART = 0.35
"""The share of a big log's bytes the child reads and projects (it decodes and projects
them; this process only decodes the rest meanwhile, then projects it)."""
REST_MAX = 36 << 20
"""At most this many bytes of the log are read ahead here, held decoded until the child's
projection comes (about 350 bytes an event): memory stays flat however long the log."""


class InTwo:
    """The metrics of a big log made in two processes: see the module docstring."""

    def __init__(self, source: RunSource, seam: int, last: Event, last_hash: bytes) -> None:
        self.source = source
        self.seam = seam  # the byte offset where the rest starts
        self.last = last  # the first part's last event, as the file has it
        self.last_hash = last_hash  # and its hash
        self.child: Forked | None = None

    @classmethod
    def start(cls, source: RunSource) -> InTwo | None:
        """The child started on the first part of a log of at least PARALLEL_BYTES when a
        core is free, or None (one pass here: a small log, a busy machine, no fork)."""
        log = source.log_path
        try:
            size = log.stat().st_size
            if size < PARALLEL_BYTES or not spare_core():
                return None
            seam = _seam(source.reading(), size, max(int(size * FIRST_PART), size - REST_MAX))
            last = _line_before(log, seam) if seam else None
        except OSError:
            return None
        if last is None:
            return None
        event, digest = last
        if type(event) is RunEnded:  # nothing may follow it: one reading says so
            return None
        in_two = cls(source, seam, event, digest)
        in_two.child = fork(_first_part, source.scenario, log, source.manifest, seam)
        return in_two if in_two.child is not None else None

    def finish(self) -> tuple[dict[str, Any], LogReading] | None:
        """Read the rest here, then join the child's part: (metrics, the child's reading
        joined to the rest read here (:meth:`~sim.store.reading.LogReading.join`), which
        says what one reading of the whole would), or None if they do not join."""
        assert self.child is not None
        source, last = self.source, self.last
        try:
            reading = source.reading()
            resume = Resume(self.seam, last.seq + 1, self.last_hash, last.t)
            with cycle_collection_paused():  # (many objects made, no cycles)
                rest = list(reading.events(resume=resume))
            got = self.child.result()
        finally:
            self.child.close()
        if not (isinstance(got, tuple) and len(got) == 2):
            return None
        projection, first = got
        if not (
            isinstance(projection, MetricsProjection)
            and isinstance(first, LogReading)
            and first.join(reading, resume)
        ):
            return None  # the first part is not intact as read here: one pass says how
        with cycle_collection_paused():
            projection.feed(rest)
            metrics = projection.result()
        return metrics, first  # (joined: what one reading of the whole log says)


def _seam(reading: LogReading, size: int, near: int) -> int:
    """Where the rest of the log starts: the start of a sealed block nearest `near` (its
    lines are checked by its seal: the first part then ends at a block's end), or of the
    first line after `near`."""
    blocks = reading.blocks()
    if blocks:
        starts = [b.offset for b in blocks if 0 < b.offset < size]
        if starts:
            return min(starts, key=lambda offset: abs(offset - near))
    with open(reading.path, "rb") as f:
        f.seek(near)
        f.readline()
        return f.tell()


def _line_before(log: Path, seam: int) -> tuple[Event, bytes] | None:
    """The event of the line that ends at byte `seam` and its hash, or None if there is
    none (not an event line: one reading will say what is wrong)."""
    line = line_ending_at(log, seam)
    if line is None or len(line) <= SUFFIX_LEN or line[-SUFFIX_LEN:-66] != HASH_HEAD:
        return None
    try:
        return decode(line), line[-66:-2]
    except msgspec.DecodeError:
        return None


def _first_part(
    scenario: Any, log: Path, manifest: dict[str, Any], seam: int
) -> tuple[MetricsProjection, LogReading]:
    """The child's work: the lines before `seam` read, checked, and fed to the projection."""
    reading = LogReading(log, manifest)
    projection = MetricsProjection(scenario)
    with cycle_collection_paused():
        projection.feed(reading.events(end=seam))
    return projection, reading


@dataclass(frozen=True)
class Change:
    """One headline value in two runs: where (a node, or "run"), which metric, before, after."""

    where: str
    metric: str
    before: float | int | None
    after: float | int | None

    @property
    def key(self) -> str:
        """The flattened metric name (``nodes.KOR-NIS.coverage``)."""
        if self.where == "run":
            return f"run.{self.metric}"
        if self.where == "":
            return self.metric
        return f"nodes.{self.where}.{self.metric}"

    @property
    def difference(self) -> float | None:
        """after − before; None when either side is undefined."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def changed(self) -> bool:
        """Whether the two runs differ here (undefined on one side only counts)."""
        return self.before != self.after


def headline(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The headline values of two runs side by side: the run's totals, then every node by
    name (nodes in either run), each with NODE_HEADLINE in order."""
    old, new = flatten(before), flatten(after)
    rows = [Change("run", m, old.get(f"run.{m}"), new.get(f"run.{m}")) for m in RUN_HEADLINE]
    rows += [Change("", m, old.get(m), new.get(m)) for m in TOP_HEADLINE]
    nodes = sorted(set(before.get("nodes", {})) | set(after.get("nodes", {})))
    for node in nodes:
        for m in NODE_HEADLINE:
            key = f"nodes.{node}.{m}"
            rows.append(Change(node, m, old.get(key), new.get(key)))
    return rows


def headline_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The headline values that differ between two runs (see `headline`)."""
    return [c for c in headline(before, after) if c.changed]
