"""`intelsim value`: paired runs with and without a part, the value table, its files,
the terminal table and the command's errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim.analysis.kinds import Kind
from sim.cli.app import app
from sim.experiments import value as value_module
from sim.experiments.executors import SerialExecutor
from sim.experiments.sweep import SweepError
from sim.experiments.value import (
    COLUMNS,
    EFFECT_COLUMNS,
    Valuation,
    ValueSpec,
    ValueStudy,
    ValueStudyError,
    finish_value,
    is_value_metric,
    open_value,
    part_labels,
)
from sim.interrupts import Interrupted
from sim.scenario.removal import RemovalError
from tests.builders import collector, link, node, rule, scenario_dict, usage

ROOT = Path(__file__).resolve().parent.parent
SHARES = ("usage_coverage", "coverage", "known_within_2d", "known_within_7d")


def two_collectors() -> dict[str, Any]:
    """Fusion node A with two independent collectors (either alone can make an assessment),
    passing its assessments to B."""
    fusion = {"window": "72h", "min_sources": 1, "min_confidence": 0.3}
    return scenario_dict(
        name="value-test",
        duration="30d",
        seed=5,
        nodes={"A": node("UKR", analysts=2, fusion=fusion), "B": node("USA")},
        links=[link("A", "B", latency="2h")],
        collectors={
            "c1": collector("A", detection=0.5, delay={"dist": "exponential", "mean": "1d"}),
            "c2": collector("A", detection=0.4, delay={"dist": "exponential", "mean": "1d"}),
        },
        usage_lines=[usage("1/d")],
        sharing=[rule("A", ["B"], items="assessments")],
    )


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "value-test.yaml"
    path.write_text(yaml.safe_dump(two_collectors(), sort_keys=False))
    return path


@pytest.fixture(scope="module")
def valued(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValueStudy, Valuation]:
    """One study run for the tests that read its results: c1, c2, B, and all three."""
    directory = tmp_path_factory.mktemp("value")
    path = directory / "value-test.yaml"
    path.write_text(yaml.safe_dump(two_collectors(), sort_keys=False))
    spec = ValueSpec(file=str(path), vary=(), replications=8, without=("c1", "c2", "B"))
    study = open_value(spec, directory / "logs")
    study.run(SerialExecutor())
    runs, _ = study.finish()
    return study, finish_value(study, runs)


def rows(valuation: Valuation, part: str, node_name: str) -> pd.DataFrame:
    table = valuation.table
    return table[(table["part"] == part) & (table["node"] == node_name)].set_index("metric")


def test_parts_are_each_alone_then_all_together() -> None:
    assert part_labels(["KOR-NIS", "KOR-DIA"]) == ["KOR-NIS", "KOR-DIA", "KOR-NIS+KOR-DIA"]
    assert part_labels(["KOR", " KOR "]) == ["KOR"]
    assert part_labels(["A+B"]) == ["A+B"]


def test_removing_every_source_of_a_node_leaves_it_knowing_nothing(
    valued: tuple[ValueStudy, Valuation],
) -> None:
    _, valuation = valued
    at_a = rows(valuation, "c1+c2+B", "A")
    for metric in SHARES:
        row = at_a.loc[metric]
        assert row["without"] == 0.0, metric
        assert row["difference"] == row["with"] > 0, metric  # exactly what it had
    # never known without them: the paired median difference is −∞ (sooner by more than
    # the run can show), not a number
    assert at_a.loc["knowledge_median_h", "difference"] == -math.inf
    assert at_a.loc["knowledge_median_h", "with"] < 30 * 24


def test_a_removed_node_has_no_value_without_it(valued: tuple[ValueStudy, Valuation]) -> None:
    study, valuation = valued
    for part in ("B", "c1+c2+B"):
        at_b = rows(valuation, part, "B")
        assert len(at_b) > 0
        assert at_b["without"].isna().all() and at_b["difference"].isna().all()
        assert at_b["ci_low"].isna().all() and at_b["variance_reduction"].isna().all()
        assert at_b["note"].str.startswith(f"B is removed with {part}").all()
        assert at_b.loc["coverage", "with"] == rows(valuation, "c1", "B").loc["coverage", "with"]
    runs = pd.read_csv(study.directory / "runs.csv")
    without_b = runs[runs["part"] == "B"]
    assert without_b["nodes.B.coverage"].isna().all()  # not 0: B did not exist
    assert runs[runs["part"] == "none"]["nodes.B.coverage"].notna().all()
    # removing B changes nothing upstream: at A every metric is identical in every
    # replication (or undefined on both sides)
    at_a = rows(valuation, "B", "A")
    assert (at_a["difference"].fillna(0) == 0).all()
    assert (at_a.loc[list(SHARES), "note"] == "identical in every replication").all()


def test_pairing_narrows_the_interval_of_a_collector_among_two(
    valued: tuple[ValueStudy, Valuation],
) -> None:
    _, valuation = valued
    for part in ("c1", "c2"):
        row = rows(valuation, part, "A").loc["usage_coverage"]
        # the same uses and the other collector's same sightings on both sides: the two
        # sides move together, so Var(with − without) < Var(with) + Var(without)
        assert row["variance_reduction"] > 1.0, part
        assert 0 < row["difference"] < row["with"]  # one collector adds, but not everything
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]


def test_files_and_manifest(valued: tuple[ValueStudy, Valuation]) -> None:
    study, valuation = valued
    table = pd.read_csv(study.directory / "value.csv")
    assert list(table.columns) == list(COLUMNS)
    assert list(table.columns[:9]) == [
        "part", "node", "metric", "with", "without", "difference", "ci_low", "ci_high", "n"
    ]  # fmt: skip
    parquet = pd.read_parquet(study.directory / "value.parquet")
    assert list(parquet.columns) == list(COLUMNS) and len(parquet) == len(valuation.table)
    assert set(table["part"]) == {"c1", "c2", "B", "c1+c2+B"}
    assert set(table["node"]) == {"A", "B"}
    removed = pd.read_csv(study.directory / "removed.csv")
    assert list(removed.columns) == list(EFFECT_COLUMNS)
    assert removed[removed["part"] == "B"]["name"].tolist() == ["B", "A->B", "A → B (assessments)"]
    runs = pd.read_csv(study.directory / "runs.csv")
    assert list(runs.columns[:4]) == ["point", "replication", "seed", "part"]
    assert runs.groupby("replication")["seed"].nunique().max() == 1  # same seeds everywhere
    manifest = yaml.safe_load((study.directory / "manifest.json").read_text())
    assert manifest["kind"] == "value" and manifest["status"] == "complete"
    assert manifest["parts"] == ["c1", "c2", "B", "c1+c2+B"]
    assert [p["part"] for p in manifest["points"]] == ["none", "c1", "c2", "B", "c1+c2+B"]
    assert manifest["points"][3]["removes"] == ["node B"]
    assert manifest["points"][3]["effects"][0] == "removed node B (named)"
    assert manifest["value"]["pairs"] == 8


def test_a_stopped_study_holds_whole_pairs_and_resumes_to_the_same_value(
    scenario: Path, tmp_path: Path
) -> None:
    spec = ValueSpec(file=str(scenario), vary=(), replications=3, without=("c1", "c2"))
    whole = open_value(spec, tmp_path / "a")
    whole.run(SerialExecutor())
    expected = finish_value(whole, whole.finish()[0]).table

    stopped = open_value(spec, tmp_path / "b")
    seen: list[tuple[int, int]] = []

    def interrupt(rows: list[dict[str, Any]]) -> None:
        seen.extend((r["point"], r["replication"]) for r in rows)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped.run(SerialExecutor(), on_rows=interrupt)
    # replication by replication: every point of replication 0 before any of replication 1
    assert seen == [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1)]
    stopped.finish(Interrupted())
    resumed = ValueStudy.resume(stopped.directory)
    assert len(resumed.pending()) == 4 * 3 - 5
    resumed.run(SerialExecutor())
    table = finish_value(resumed, resumed.finish()[0]).table
    pd.testing.assert_frame_equal(table, expected)


def test_metrics_valued_come_from_the_kinds_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "nodes.X.knowledge_median_h",
        "nodes.X.known_within_7d",
        "nodes.X.coverage",
        "nodes.X.false_attributions",
        "nodes.X.first_appearance_h.KN-23",
    ):
        assert is_value_metric(name), name
    for name in ("nodes.X.queue_wait_h.mean", "nodes.X.reports_received", "run.usages"):
        assert not is_value_metric(name), name
    later = "nodes.X.early_warning_h.KN-23"  # a name no metric has (yet)
    assert not is_value_metric(later)
    # a metric declared later is valued with no change to the value study
    declared = [*value_module._NODE_KINDS, ("nodes.*.early_warning_h.*", Kind.NUMBER)]
    monkeypatch.setattr(value_module, "_NODE_KINDS", declared)
    assert is_value_metric(later)


def test_bad_parts_and_filters_fail_before_anything_runs(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "logs"

    def spec(**kw: Any) -> ValueSpec:
        return ValueSpec(**{"file": str(scenario), "vary": (), "replications": 4, **kw})

    both = r"`c12`; did you mean `c2`\?\n.*`A-B`; did you mean `A->B`"
    with pytest.raises(RemovalError, match=both):
        open_value(spec(without=("c12", "A-B")), out)
    with pytest.raises(ValueStudyError, match="at least one --without"):
        open_value(spec(), out)
    with pytest.raises(ValueStudyError, match="at least 2"):
        open_value(spec(without=("c1",), replications=1), out)
    with pytest.raises(ValueStudyError, match="--node C: no such node"):
        open_value(spec(without=("c1",), nodes=("C",)), out)
    with pytest.raises(ValueStudyError, match="did you mean `coverage`"):
        open_value(spec(without=("c1",), metrics=("coverag",)), out)
    with pytest.raises(RemovalError, match="no node would be left"):
        open_value(spec(without=("A+B",)), out)
    assert not out.exists()


def test_the_command_writes_its_files_fits_80_columns_and_resumes(
    scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "logs"
    args = ["--replications", "3", "--workers", "1", "--out", str(out)]
    result = CliRunner().invoke(app, ["value", str(scenario), "--without", "c1", *args])
    assert result.exit_code == 0, result.output
    assert "without c1: removes collector c1" in result.output
    assert "value-test without c1: with − without, 3 paired replications" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    (directory,) = out.iterdir()
    for name in ("value.csv", "value.parquet", "removed.csv", "value.png", "value.svg"):
        assert (directory / name).is_file(), name
    first = (directory / "value.csv").read_text()
    again = CliRunner().invoke(app, ["value", "--resume", str(directory), "--workers", "1"])
    assert again.exit_code == 0, again.output
    # (the line names the directory: where its path is long, the words wrap anywhere)
    assert "(0 to run)" in " ".join(again.output.split())
    assert (directory / "value.csv").read_text() == first
    with pytest.raises(SweepError, match="not a value directory"):
        ValueStudy.resume(tmp_path)


def test_an_unknown_part_is_exit_2_with_a_suggestion_and_runs_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim", "value", str(ROOT / "scenarios/baseline-2024.yaml"),
         "--without", "KOR-NSI", "--out", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "did you mean `KOR-NIS`?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "logs").exists()
