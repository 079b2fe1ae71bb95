"""How two metrics documents differ: value by value, or in their headline numbers.

`differences` checks a run's recorded metrics against those recomputed from its log
(`intelsim metrics`); `headline_changes` says what a change did to a run's headline
numbers (`intelsim branch` against its parent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.metrics import flatten, metrics_from_events
from sim.analysis.source import open_run
from sim.store import METRICS_FILE, read_json
from sim.store.reading import LogIntegrityError, LogReading

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
    reading = source.reading()
    metrics = dict(metrics_from_events(source.scenario, reading.events()))
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
