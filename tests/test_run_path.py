"""The cost of `intelsim run`: what its process imports, and the shortcuts of its hot loop
give what the plain rules give (bench/bench_run.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sim import events as ev
from sim.analysis.metrics import MetricsProjection
from sim.engine.world import Truth
from sim.scenario.models import Scenario
from tests.builders import busy_example

ROOT = Path(__file__).resolve().parent.parent

# what a single run never needs, and costs seconds to import (pandas, scipy, matplotlib
# alone took ~3 s of a 250,000-event run's ~8 s before the run stopped importing them)
HEAVY = ("pandas", "scipy", "matplotlib", "pyarrow", "duckdb")

RUN_IN_PROCESS = """
import json, sys
from sim.cli import app
try:
    app(["run", sys.argv[1], "--out", sys.argv[2]], standalone_mode=False)
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""


def test_a_run_imports_no_analysis_stack(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "teaching-minimal.yaml"
    cmd = [sys.executable, "-c", RUN_IN_PROCESS, str(scenario), str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    imported = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "simpy" in imported and "sim" in imported  # it did run
    assert (tmp_path / next(tmp_path.iterdir()).name / "metrics.json").exists()
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def _misidentified(usages: list[tuple[str, str]], sightings: list[tuple[str, str]]) -> int:
    """Reports the metrics count as misidentified, given uses and sightings of them."""
    scenario = Scenario.model_validate(busy_example())
    projection = MetricsProjection(scenario)
    events: list[ev.Event] = [
        ev.MunitionUsed(seq=n, t=float(n), usage=usage, munition=munition, sector="Kharkiv")
        for n, (usage, munition) in enumerate(usages)
    ]
    events += [
        ev.SightingReported(
            seq=len(usages) + n,
            t=float(len(usages) + n),
            report=f"R{n + 1}",
            collector="c",
            node="UKR-HUR",
            munition=munition,
            sector="Kharkiv",
            grade="B2",
            discipline="HUMINT",
            usage=usage,
        )
        for n, (usage, munition) in enumerate(sightings)
    ]
    for event in events:
        projection.apply(event)
    return int(projection.result()["run"]["reports_misidentified"])


def test_usage_ids_are_told_apart_by_their_exact_spelling() -> None:
    # the compact store of usages (U1, U2, ... as arrays) must not take "U02" or "U٢" for
    # U2: each is another usage, or none; a report naming the munition its own usage had
    # is no misidentification, one naming another munition is
    usages = [("U1", "KN-23"), ("U2", "KN-23"), ("U02", "KN-24"), ("U٣", "KN-24")]
    right = [("U02", "KN-24"), ("U٣", "KN-24"), ("U٢", "KN-24"), ("U2", "KN-23")]
    assert _misidentified(usages, right) == 0
    wrong = [("U02", "KN-23"), ("U٣", "KN-23"), ("U2", "KN-24"), ("U1", "KN-24"), ("U3", "X")]
    assert _misidentified(usages, wrong) == 4  # U3 was never used: traced to nothing


def test_ground_truth_is_kept_compactly_and_told_apart_by_spelling() -> None:
    truth = Truth()
    given = {"U1": "KN-23", "U2": "KN-24", "S1": "KN-23", "U3": "KN-23", "odd": "X"}
    for item, munition in given.items():
        truth.record(item, munition)
    assert {item: truth.get(item) for item in given} == given
    for unknown in ("U0", "U4", "U02", "U٢", "S2", "U", ""):
        assert truth.get(unknown) is None, unknown
