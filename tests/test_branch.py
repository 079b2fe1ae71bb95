"""`intelsim branch`: the past up to T is byte-identical; the future follows the change."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.events import InterventionApplied
from sim.experiments.branch import branch_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def original(tmp_path: Path) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml")
    outcome = run_to_directory(loaded, tmp_path)
    assert outcome.run_dir is not None
    return outcome.run_dir


def test_branch_shares_every_event_before_t(original: Path, tmp_path: Path) -> None:
    at = 240.0
    branch = branch_run(original, at, ["nodes.NATO-JISD.analysts=1"], tmp_path / "b")
    before = [e for e in read_events(original / "events.jsonl") if e.t < at]
    assert branch.shared_events >= len(before)
    assert branch.diverged_at is not None and branch.diverged_at >= at
    assert branch.outcome.run_dir is not None
    events = list(read_events(branch.outcome.run_dir / "events.jsonl"))
    applied = [e for e in events if isinstance(e, InterventionApplied)]
    assert any(e.t == at and e.changes == {"nodes.NATO-JISD.analysts": 1} for e in applied)
    assert events[branch.shared_events].t >= at


def test_a_branch_that_changes_nothing_differs_only_by_the_intervention_line(
    original: Path, tmp_path: Path
) -> None:
    # UKR-HUR already has 2 analysts: the only new fact is the InterventionApplied itself
    branch = branch_run(original, 100.0, ["nodes.UKR-HUR.analysts=2"], tmp_path / "b")
    assert branch.diverged_at == 100.0
    assert branch.outcome.run_dir is not None
    ours = [type(e).__name__ for e in read_events(original / "events.jsonl")]
    theirs = [type(e).__name__ for e in read_events(branch.outcome.run_dir / "events.jsonl")]
    theirs.remove("InterventionApplied")
    assert ours == theirs


def test_branch_rejects_a_bad_path(original: Path, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="interventions"):
        branch_run(original, 100.0, ["nodes.NATO-JISD.analystz=3"], tmp_path / "b")
