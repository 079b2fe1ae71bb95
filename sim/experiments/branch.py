"""`intelsim branch`: the same past, a changed future.

A branch re-runs a recorded run's scenario and seed with one more intervention at
time T carrying the changes. Every component draws from its own named stream, so up
to T the branch's log is byte-identical to the original (checked, not assumed); from T
on it tells what would have happened had the change been made then.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.metric_changes import Change, headline
from sim.analysis.metrics import metrics_from_events
from sim.analysis.replay import load_run
from sim.analysis.source import open_run
from sim.analysis.timeline import parse_when
from sim.errors import Problem, ScenarioError
from sim.events import decode
from sim.experiments.run import RunOutcome, run_to_directory
from sim.limits import DEFAULT_MAX_EVENTS
from sim.scenario.loader import LoadedScenario, validate_raw
from sim.scenario.paths import parse_override
from sim.scenario.problems import Origin
from sim.store import EVENTS_FILE, METRICS_FILE, iter_lines, read_json, split_line


@dataclass
class Branch:
    """A branch run, how much of its past it shares with the original (its parent), and
    the parent's metrics to compare with."""

    outcome: RunOutcome
    shared_events: int
    diverged_at: float | None  # t of the first differing event, None if none differs
    parent: Path | None = None
    parent_metrics: dict[str, Any] | None = None
    at: float = 0.0

    def headline(self) -> list[Change]:
        """The headline values of parent and branch side by side (run, then nodes by name)."""
        return headline(self.parent_metrics or {}, self.outcome.metrics)


@dataclass(frozen=True)
class BranchRequest:
    """Branch the run in `run_dir` at `at` (a duration since the start or an ISO time),
    with the `--set` changes from then on."""

    run_dir: Path
    at: str
    overrides: tuple[str, ...]
    out: Path = Path("logs")
    max_events: int = DEFAULT_MAX_EVENTS


def branch(request: BranchRequest) -> Branch:
    """`intelsim branch`: run the branch and set it beside its parent's metrics."""
    scenario, _ = load_run(request.run_dir)
    t = parse_when(request.at, scenario)
    result = branch_run(
        request.run_dir, t, list(request.overrides), request.out, max_events=request.max_events
    )
    result.parent, result.at = request.run_dir, t
    result.parent_metrics = parent_metrics(request.run_dir)
    return result


def parent_metrics(run_dir: Path) -> dict[str, Any]:
    """A run's metrics: its metrics.json, or recomputed from its log when it has none."""
    path = run_dir / METRICS_FILE
    if path.is_file():
        recorded = read_json(path)
        if isinstance(recorded, dict):
            return recorded
    source = open_run(run_dir)
    return dict(metrics_from_events(source.scenario, source.reading().events()))


def branch_scenario(run_dir: Path, at: float, overrides: list[str]) -> tuple[LoadedScenario, int]:
    """The original run's scenario with the branch intervention, validated; and its seed."""
    if not overrides:
        why = "a branch changes the future: give at least one --set PATH=VALUE"
        raise ScenarioError([Problem(f"{run_dir.name} (branch)", "--set", why)])
    _, manifest = load_run(run_dir)
    raw: dict[str, Any] = copy.deepcopy(manifest["resolved"])
    changes = dict(parse_override(text) for text in overrides)
    note = f"branch of {run_dir.name} at t={at:g}h"
    raw.setdefault("interventions", []).append({"at": at, "set": changes, "note": note})
    origin = Origin(top=f"{run_dir.name} (branch)")
    scenario, problems = validate_raw(raw, origin)
    if scenario is None or any(p.severity == "error" for p in problems):
        raise ScenarioError(problems)
    files = [Path(p) for p in manifest.get("scenario_files", [])]
    loaded = LoadedScenario(scenario, raw, str(manifest.get("scenario_hash", "")), files, problems)
    return loaded, int(manifest["seed"])


def shared_prefix(original: Path, branched: Path) -> tuple[int, bytes | None]:
    """How many leading lines two logs share, and the first line of the branch that differs."""
    shared = 0
    for (_, a), (_, b) in zip(iter_lines(original), iter_lines(branched), strict=False):
        if a != b:
            return shared, b
        shared += 1
    return shared, None


def branch_run(
    run_dir: Path,
    at: float,
    overrides: list[str],
    out: Path,
    *,
    max_events: int = DEFAULT_MAX_EVENTS,
) -> Branch:
    """Run the branch into a new run directory and measure the shared past.

    The original log is checked first: a branch of an incomplete or altered run would
    claim a past that is not there (LogIntegrityError, exit 1).
    """
    open_run(run_dir).check()
    loaded, seed = branch_scenario(run_dir, at, overrides)
    outcome = run_to_directory(
        loaded, out, seed=seed, overrides=[f"branch@{at:g}h", *overrides], max_events=max_events
    )
    assert outcome.run_dir is not None
    shared, first = shared_prefix(run_dir / EVENTS_FILE, outcome.run_dir / EVENTS_FILE)
    diverged = None
    if first is not None:
        diverged = decode(split_line(first)[0]).t
    return Branch(outcome, shared, diverged)
