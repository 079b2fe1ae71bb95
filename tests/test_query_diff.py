"""`intelsim query` (DuckDB over runs) and `intelsim diff` (where two runs part)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import events as ev
from sim.analysis.diff import diff_runs
from sim.analysis.perspective import QueryError
from sim.analysis.query import query_runs
from sim.analysis.source import open_run
from sim.cli import app
from sim.experiments.branch import branch_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("runs")
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    original = run_to_directory(loaded, out).run_dir
    assert original is not None
    branched = branch_run(original, 240.0, ["nodes.NATO-JISD.analysts=1"], out).outcome.run_dir
    assert branched is not None
    return original, branched


def test_query_counts_events_per_type_over_two_runs(runs: tuple[Path, Path]) -> None:
    sources = [open_run(run) for run in runs]
    result = query_runs(
        sources, "select run, type, count(*) as n from events group by run, type", limit=None
    )
    got = {(run, kind): n for run, kind, n in result.rows}
    for run in runs:
        expected = Counter(type(e).__name__ for e in read_events(run / "events.jsonl"))
        assert {k: v for (r, k), v in got.items() if r == run.name} == expected
    assert result.columns == ["run", "type", "n"]


def test_query_writes_csv_and_refuses_bad_sql(runs: tuple[Path, Path], tmp_path: Path) -> None:
    source = open_run(runs[0])
    sql = "select seq, report, usage from events where type = 'SightingReported' order by seq"
    result = query_runs([source], sql, limit=2, out=tmp_path / "r.csv")
    frame = pd.read_csv(tmp_path / "r.csv")
    filed = [e for e in read_events(runs[0] / "events.jsonl") if isinstance(e, ev.SightingReported)]
    assert len(result.rows) == 2 and result.total == len(frame) == len(filed)
    assert frame["report"].tolist() == [e.report for e in filed]
    with pytest.raises(QueryError, match="the query failed"):
        query_runs([source], "select * from nowhere")


def test_diff_of_a_branch_says_the_past_is_shared(runs: tuple[Path, Path]) -> None:
    original, branched = runs
    diff = diff_runs(open_run(original), open_run(branched))
    before = [e for e in read_events(original / "events.jsonl") if e.t < 240.0]
    assert diff.same_prefix >= len(before) and not diff.identical
    assert diff.diverged_at is not None and min(t for t in diff.diverged_at if t) >= 240.0
    assert diff.counts["InterventionApplied"][1] == diff.counts["InterventionApplied"][0] + 1
    same = diff_runs(open_run(original), open_run(original))
    assert same.identical and not same.changed_assessments()


def test_diff_and_query_commands(runs: tuple[Path, Path]) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["diff", str(runs[0]), str(runs[1])])
    assert result.exit_code == 0, result.output
    assert "events are identical; they diverge at seq" in result.output
    shown = runner.invoke(app, ["query", str(runs[0]), "select count(*) as n from events"])
    assert shown.exit_code == 0 and " n " in shown.output
