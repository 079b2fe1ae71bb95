"""Whole-run checks behind `intelsim verify`: the log's chain plus what only the domain knows.

The store checks JSON, sequence, time order and the hash chain. On top of that a run
must respect every marking on every delivery, fold cleanly through `evolve` (replay),
match its manifest's final hash, and give back the metrics it recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import events as ev
from sim.analysis.consistency import consistency_check
from sim.analysis.metrics import MetricsProjection
from sim.analysis.replay import load_run
from sim.scenario.markings import is_releasable, rank
from sim.scenario.models import Scenario
from sim.state.evolve import EvolveError, evolve
from sim.state.model import initial_state
from sim.store import EVENTS_FILE, METRICS_FILE, Verdict, read_json, verify_log
from sim.store.seal import check_seal
from sim.store.snapshots import SnapshotWriter, line_ends, mismatches


@dataclass
class RunVerdict:
    """Everything `verify` found about a run directory."""

    log: Verdict
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.problems


def marking_check(scenario: Scenario) -> Callable[[ev.Event], str | None]:
    """A per-event check: every delivery must be releasable and within classification limits."""
    ladder = scenario.classifications
    links = {link.name: link for link in scenario.links}

    def check(event: ev.Event) -> str | None:
        if not isinstance(event, ev.MessageDelivered):
            return None
        link = links.get(event.link)
        if link is None:
            return f"delivery on unknown link {event.link}"
        dest = scenario.nodes[link.to]
        marking = event.marking
        if marking.classification not in ladder:
            return f"unknown classification {marking.classification}"
        if not is_releasable(dest.nation, marking.rel_to, scenario.communities):
            return (
                f"{event.item} delivered to {link.to} ({dest.nation}) "
                f"but marked REL TO {', '.join(marking.rel_to)}"
            )
        level = rank(marking.classification, ladder)
        if level > rank(link.max_classification, ladder):
            return f"{marking.classification} over {event.link} (max {link.max_classification})"
        if level > rank(dest.clearance, ladder):
            return f"{marking.classification} delivered to {link.to} cleared to {dest.clearance}"
        return None

    return check


def replay_check(
    scenario: Scenario, snapshots: SnapshotWriter | None = None
) -> Callable[[ev.Event], str | None]:
    """A per-event check: the log folds through evolve without contradiction.

    With `snapshots`, the folded state is offered to it after every event.
    """
    state = initial_state(scenario)
    broken: list[bool] = [False]
    offer = snapshots.offer if snapshots is not None else None

    def check(event: ev.Event) -> str | None:
        if broken[0]:
            return None
        try:
            evolve(state, event)
        except (EvolveError, KeyError, ValueError) as exc:
            broken[0] = True  # one contradiction is enough; the rest would only echo it
            return f"replay cannot apply {type(event).__name__}: {exc}"
        if offer is not None:
            offer(event.seq, event.t, state)
        return None

    return check


def verify_run(run_dir: Path) -> RunVerdict:
    """Check a run directory: log integrity, markings, replay, manifest and metrics.

    One pass over the log: the metrics are recomputed by the same read that checks it.
    """
    scenario, manifest = load_run(run_dir)
    expected = manifest.get("final_hash")
    projection = MetricsProjection(scenario)
    snapshots = SnapshotWriter(run_dir)

    def recompute(event: ev.Event) -> None:
        projection.apply(event)

    log = verify_log(
        run_dir / EVENTS_FILE,
        checks=[
            marking_check(scenario),
            consistency_check(),
            replay_check(scenario, snapshots),
            recompute,
        ],
        expected_final_hash=expected if log_complete(manifest) else None,
    )
    verdict = RunVerdict(log=log)
    _keep_snapshots(run_dir, log, snapshots, verdict)
    sealed = check_seal(run_dir / EVENTS_FILE, manifest)
    if sealed is not None:
        verdict.problems.append(sealed)
    if manifest.get("status") != "complete":
        verdict.problems.append("the manifest says the run did not complete (killed or crashed?)")
    elif manifest.get("events") != log.count:
        verdict.problems.append(
            f"the manifest records {manifest.get('events')} events, the log has {log.count}"
        )
    metrics_path = run_dir / METRICS_FILE
    if log.ok and metrics_path.exists():
        if _normalise(projection.result()) != _normalise(read_json(metrics_path)):
            verdict.problems.append("metrics.json differs from the metrics recomputed from the log")
        else:
            verdict.notes.append("metrics.json matches the metrics recomputed from the log")
    return verdict


def _keep_snapshots(
    run_dir: Path, log: Verdict, writer: SnapshotWriter, verdict: RunVerdict
) -> None:
    """Check the run's snapshots against the fold just made, then leave fresh ones for replay."""
    if not log.ok:
        writer.finish({}, keep=False)
        return
    for seq in mismatches(run_dir, writer):
        verdict.problems.append(f"the snapshot after seq {seq} does not match the log")
    seqs = [seq for seq, *_ in writer.taken]
    written = writer.finish(line_ends(run_dir / EVENTS_FILE, seqs))
    if written:
        verdict.notes.append(f"{written} snapshots of the state left for replay")


def log_complete(manifest: dict[str, Any]) -> bool:
    """Whether the manifest was finished (so its final hash is known)."""
    return manifest.get("status") == "complete" and bool(manifest.get("final_hash"))


def _normalise(obj: Any) -> Any:
    # JSON round trip turns tuples into lists and keys into strings; compare like with like
    import orjson

    return orjson.loads(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS))
