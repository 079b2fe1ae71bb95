"""Whole-run checks behind `intelsim verify`: the log's chain plus what only the domain knows.

The store checks JSON, sequence, time order and the hash chain. On top of that a run
must fold cleanly through `evolve` (replay), respect the releasability rule in force on
every delivery (judged by the metrics projection, with the scenario in force from the
folded state), match its manifest's final hash, and give back the metrics it recorded.
For a big log, when a core is free, the projection runs in a forked child there, following the
rules in force by evolve's own rule (:mod:`sim.analysis.markings_check`), while this
process checks the hash chain and folds the state (a small log: all in one process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import events as ev
from sim.analysis.consistency import consistency_handlers
from sim.analysis.markings_check import Judged, judge
from sim.analysis.metrics import MetricsProjection
from sim.analysis.replay import load_run
from sim.scenario.models import Scenario
from sim.state.evolve import EvolveError, cycle_collection_paused, evolve
from sim.state.model import WorldState, initial_state
from sim.store import EVENTS_FILE, METRICS_FILE, Verdict, read_json, verify_log
from sim.store.forked import Forked, fork, spare_core
from sim.store.reading import LogReading
from sim.store.seal import check_seal
from sim.store.snapshots import SnapshotWriter, line_ends, mismatches
from sim.store.verify import PARALLEL_BYTES, chain_rest


@dataclass
class RunVerdict:
    """Everything `verify` found about a run directory."""

    log: Verdict
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.problems


def domain_check(
    state: WorldState,
    projection: MetricsProjection | None,
    snapshots: SnapshotWriter | None = None,
    ends: tuple[LogReading, dict[int, tuple[int, bytes] | None]] | None = None,
) -> Callable[[Iterable[ev.Event]], list[tuple[int, list[str]]]]:
    """verify's check of what only the domain knows: a sweep over the events, in one loop.

    For each event, in this order: facts that must agree (consistency), the fold through
    evolve into `state` (replay; with `snapshots`, the folded state is offered to it at
    each due seq), then the metrics `projection`, which judges every delivery by the rules
    in force that it reads from the state just folded (None: it runs apart, see
    :mod:`sim.analysis.markings_check`). The sweep gives the problems of each event that
    has any, as ``(seq, [sentence, ...])``, in seq order. With `ends` (the reading the
    events come from, a dict), each seq offered to `snapshots` gets there the end of its
    line and its hash as the reading has them (:meth:`LogReading.line_end`).
    """
    consistent = consistency_handlers().get  # (a table, not a call per event: the hot path)
    every = snapshots.every if snapshots is not None else 0
    last = snapshots.last if snapshots is not None else -1
    offer = snapshots.offer if snapshots is not None else None
    line_end, found_ends = (None, {}) if ends is None else (ends[0].line_end, ends[1])

    def sweep(events: Iterable[ev.Event]) -> list[tuple[int, list[str]]]:
        # one loop over the events (not a call per event: a long log's hot path)
        found: list[tuple[int, list[str]]] = []
        broken = False  # one contradiction is enough; the rest would only echo it
        # no seq before `due` is one to offer (a compare per event, not the rule's arithmetic)
        due = 0 if offer is not None else float("inf")
        for event in events:
            problems = None
            if (agree := consistent(type(event))) is not None and (
                problem := agree(event)
            ) is not None:
                problems = [problem]
            if not broken:
                try:
                    evolve(state, event)
                except EvolveError as exc:
                    broken = True
                    why = f"replay cannot apply {type(event).__name__}: {exc}"
                    problems = (problems or []) + [why]
                else:
                    if event.seq >= due and offer is not None:
                        seq = event.seq
                        if not (seq + 1) % every or seq == last:
                            offer(seq, event.t, state)
                            if line_end is not None:
                                found_ends[seq] = line_end(seq)
                        due = ((seq + 1) // every + 1) * every - 1  # the next every-th
                        if seq < last < due:
                            due = last
            if projection is not None:
                deliveries = projection.deliveries
                violations = deliveries.violations
                projection.apply(event)
                if deliveries.violations != violations and (refused := deliveries.last):
                    problems = (problems or []) + [refused]
            if problems:
                found.append((event.seq, problems))
        return found

    return sweep


def verify_run(run_dir: Path) -> RunVerdict:
    """Check a run directory: log integrity, markings, replay, manifest and metrics.

    One pass over the log: one fold of the state gives replay and the rules in force for
    the marking check and the metrics, recomputed by the same read that checks the log.
    """
    with cycle_collection_paused():  # the whole check: its cost stays linear in the log
        return _verify_run(run_dir)


def _verify_run(run_dir: Path) -> RunVerdict:
    scenario, manifest = load_run(run_dir)
    expected = manifest.get("final_hash")
    state = initial_state(scenario)
    apart = Apart.start(scenario, run_dir / EVENTS_FILE, manifest)
    projection = None if apart else MetricsProjection(scenario, state)
    events = manifest.get("events")
    snapshots = SnapshotWriter(run_dir, events=events if isinstance(events, int) else 0)
    reading = LogReading(run_dir / EVENTS_FILE)
    ends: dict[int, tuple[int, bytes] | None] = {}  # of the snapshots' lines, as read
    try:
        log = verify_log(
            run_dir / EVENTS_FILE,
            reading=reading,
            sweep=domain_check(state, projection, snapshots, (reading, ends)),
            expected_final_hash=expected if log_complete(manifest) else None,
            elsewhere=apart.found if apart else None,
            # two processes, each reading the log once: this one folds, the child judges,
            # and each chains a part of the log (a third process to chain would only add
            # a read on 2 cores)
            chain_apart=apart is None,
            chain_from=(apart.seam, apart.chained) if apart else None,
        )
    finally:
        if apart is not None:
            apart.child.close()
    verdict = RunVerdict(log=log)
    _keep_snapshots(run_dir, log, snapshots, verdict, ends)
    # the child checked the seal once it had judged (it is done before this process)
    sealed = (
        apart.sealed
        if apart and apart.seal_checked
        else check_seal(run_dir / EVENTS_FILE, manifest)
    )
    if sealed is not None:
        verdict.problems.append(sealed)
    if manifest.get("status") != "complete":
        verdict.problems.append(_unfinished(manifest))
    elif manifest.get("events") != log.count:
        verdict.problems.append(
            f"the manifest records {manifest.get('events')} events, the log has {log.count}"
        )
    metrics_path = run_dir / METRICS_FILE
    if log.ok and metrics_path.exists():
        metrics = apart.metrics if apart else projection.result()  # type: ignore[union-attr]
        if _normalise(metrics) != _normalise(read_json(metrics_path)):
            verdict.problems.append("metrics.json differs from the metrics recomputed from the log")
        else:
            verdict.notes.append("metrics.json matches the metrics recomputed from the log")
    return verdict


CHAIN_HERE = 0.6
"""The share of a big log's bytes whose hash chain `verify` checks in this process (in
its own reading, as it folds the state); its child, which judges deliveries, recomputes
the metrics and checks the seal (the dearer work), chains the rest. Measured to balance
the two on queue-50k (in-process CPU on a loaded machine, three rounds: at 0.55 about
0.53 s here and 0.54-0.59 s there, at 0.65 0.54-0.60 s and 0.49-0.55 s; this process also
keeps the snapshots after; 0.75 balanced them before the child read the sealed blocks
whole)."""


class Apart:
    """The markings and metrics of a big log, judged in a child process as the log is read.

    :meth:`found` is what :func:`sim.store.verify_log` asks once it has read the log:
    the child's refused deliveries (the parent's reading and the child's stop at the same
    line, the first fault). The child also checks the hash chain of the log from
    :attr:`seam` on (:meth:`chained`; this process chains the lines before it) and the log
    against its seal (:attr:`sealed`). A child that fails is replaced by the same work here.
    """

    def __init__(
        self, scenario: Scenario, log: Path, child: Forked, manifest: dict[str, Any], seam: int
    ) -> None:
        self.scenario = scenario
        self.log = log
        self.child = child
        self.manifest = manifest
        self.seam = seam
        self.metrics: dict[str, Any] = {}
        self.sealed: str | None = None  # what check_seal said, in the child
        self.seal_checked = False
        self._got: tuple[Judged, str | None, Any] | None = None
        self._asked = False

    @classmethod
    def start(cls, scenario: Scenario, log: Path, manifest: dict[str, Any]) -> Apart | None:
        """The child started for a log of at least PARALLEL_BYTES when a core is free (it reads
        the log a second time: worth it only then), else None (judge here)."""
        try:
            size = log.stat().st_size
            if size < PARALLEL_BYTES or not spare_core():
                return None
            seam = _line_start(log, int(size * CHAIN_HERE))
        except OSError:
            return None
        child = fork(_child_work, scenario, log, manifest, seam)
        return None if child is None else cls(scenario, log, child, manifest, seam)

    def _result(self) -> tuple[Judged, str | None, Any] | None:
        """What the child sent (judged, sealed, chained), or None if it failed (once)."""
        if not self._asked:
            self._asked = True
            got = self.child.result()
            if isinstance(got, tuple) and len(got) == 3 and isinstance(got[0], Judged):
                self._got = got
        return self._got

    def chained(self) -> tuple[int, int | None, bytes, bytes] | None:
        """The chain of the log from :attr:`seam` on as the child found it (waits for it);
        None if the child failed (:func:`sim.store.verify.verify_log` then checks it)."""
        got = self._result()
        return None if got is None else got[2]

    def found(self) -> tuple[list[tuple[int, str]], int]:
        """The refused deliveries, in seq order, and how many more (waits for the child)."""
        got = self._result()
        if got is not None:
            judged, self.sealed, _ = got
            self.seal_checked = True
        else:  # the child failed: judge here (and check the seal here, later)
            judged = judge(self.scenario, self.log)
        self.metrics = judged.metrics
        return judged.problems, judged.more


def _line_start(log: Path, offset: int) -> int:
    """The start of the first line that begins after byte `offset` of `log` (or its end)."""
    with open(log, "rb") as f:
        f.seek(offset)
        f.readline()
        return f.tell()


def _child_work(
    scenario: Scenario, log: Path, manifest: dict[str, Any], seam: int
) -> tuple[Judged, str | None, tuple[int, int | None, bytes, bytes]]:
    """The child's work: every delivery judged and the metrics recomputed, the log checked
    against its seal (a read of the whole log this process need not make), and the hash
    chain of the lines from `seam` on.

    Its reading reads the blocks the seal vouches for whole (one SHA-256 and one decoding
    call each, no frame check per line: this process and `chain_rest` check every frame),
    which is the seal's check made as it reads (:func:`_seal_found`).
    """
    reading = LogReading(log, manifest)
    judged = judge(scenario, log, reading.events(hashes=False))
    return judged, _seal_found(reading, log, manifest), chain_rest(log, seam)


def _seal_found(reading: LogReading, log: Path, manifest: dict[str, Any]) -> str | None:
    """What :func:`check_seal` says of `log`, after `reading` read it with its seal: None
    at once when the reading found every block of the seal intact and the log ends where
    the seal does (check_seal's every check), else check_seal's own reading says."""
    blocks = reading.blocks()
    try:
        if blocks and len(reading.matched) == len(blocks) and log.stat().st_size == blocks[-1].end:
            return None
    except OSError:
        pass
    return check_seal(log, manifest)


def _keep_snapshots(
    run_dir: Path,
    log: Verdict,
    writer: SnapshotWriter,
    verdict: RunVerdict,
    ends: dict[int, tuple[int, bytes] | None],
) -> None:
    """Check the run's snapshots against the fold just made, then leave fresh ones for replay
    (where their lines end as the reading found them, else by a scan of the log)."""
    if not log.ok:
        writer.finish({}, keep=False)
        return
    for seq in mismatches(run_dir, writer):
        verdict.problems.append(f"the snapshot after seq {seq} does not match the log")
    seqs = [seq for seq, *_ in writer.taken]
    found = {seq: end for seq in seqs if (end := ends.get(seq)) is not None}
    if len(found) < len(seqs):  # (a reading that did not follow where its lines are)
        found = line_ends(run_dir / EVENTS_FILE, seqs)
    written = writer.finish(found)
    if written:
        kind = "snapshot" if written == 1 else "snapshots"
        verdict.notes.append(f"{written} {kind} of the state left for replay")


def log_complete(manifest: dict[str, Any]) -> bool:
    """Whether the manifest was finished (so its final hash is known)."""
    return manifest.get("status") == "complete" and bool(manifest.get("final_hash"))


def _normalise(obj: Any) -> Any:
    # JSON round trip turns tuples into lists and keys into strings; compare like with like
    import orjson

    return orjson.loads(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))


def _unfinished(manifest: dict[str, Any]) -> str:
    """Why the manifest says the run is not complete, as its status tells."""
    status = manifest.get("status")
    if status == "interrupted":
        return (
            f"the run was interrupted ({manifest.get('signal', 'a stop signal')}) before it ended"
        )
    if status == "failed":
        return f"the run failed: {manifest.get('error', 'no reason recorded')}"
    return "the manifest says the run did not complete (killed or crashed?)"
