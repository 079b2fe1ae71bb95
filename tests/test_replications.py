"""Replications: seeds, batching, executors (incl. a dying worker), precision, CRN identities."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sim.cli.app import app
from sim.engine import simulate
from sim.events import SightingReported
from sim.experiments.compare import run_comparison
from sim.experiments.executors import ExecutorError, ProcessExecutor, SerialExecutor, make_executor
from sim.experiments.replications import (
    Job,
    Precision,
    ReplicationError,
    batch_size,
    make_tasks,
    replication_seed,
    rows_frame,
    run_replications,
    select_metrics,
)
from sim.experiments.stats import mean_ci
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.scenario.paths import set_path
from tests.builders import DESIGN_EXAMPLE_YAML


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "example.yaml"
    path.write_text(DESIGN_EXAMPLE_YAML)
    return path


def fake_metrics(scenario: Scenario, raw: dict[str, Any], seed: int) -> dict[str, Any]:
    """A cheap stand-in for a run: a value from the seed, undefined for one seed in four."""
    x = (seed % 1000) / 100.0
    return {"x.mean": x, "x.max": x * 2, "rare.mean": None if seed % 4 == 0 else 1.0}


def test_replication_seeds_are_stable_and_distinct() -> None:
    seeds = [replication_seed(7, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert seeds == [replication_seed(7, i) for i in range(100)]
    assert seeds[0] != replication_seed(8, 0)


def test_batches_last_long_enough_but_spread_over_workers() -> None:
    assert batch_size(0.005, 1000, 2) == 50  # 0.25 s / 5 ms
    assert batch_size(0.005, 40, 2) == 10  # at least two tasks per worker
    assert batch_size(5.0, 1000, 2) == 1
    jobs = [Job(0, i, i) for i in range(7)]
    tasks = make_tasks(jobs, {0: {"a": 1}}, 3)
    assert [len(t.jobs) for t in tasks] == [3, 3, 1]


def test_rows_and_undefined_counts(example: Path) -> None:
    loaded = load_scenario(example)
    outcome = run_replications(loaded.raw, 7, 12, SerialExecutor(), evaluator=fake_metrics)
    frame = rows_frame(outcome.rows, ["replication", "seed"])
    assert frame["replication"].tolist() == list(range(12))
    assert frame["seed"].tolist() == [replication_seed(7, i) for i in range(12)]
    rare = mean_ci(frame["rare.mean"].where(frame["rare.mean"].notna(), None).tolist())
    undefined = sum(replication_seed(7, i) % 4 == 0 for i in range(12))
    assert rare.undefined == undefined
    assert rare.mean == 1.0  # never averaged in as zero


def test_missing_count_columns_mean_zero() -> None:
    rows = [
        {"replication": 0, "seed": 1, "drops_by_reason.link-down": 3},
        {"replication": 1, "seed": 2},
    ]
    frame = rows_frame(rows, ["replication", "seed"])
    assert frame["drops_by_reason.link-down"].tolist() == [3, 0]


def test_results_do_not_depend_on_the_executor(example: Path) -> None:
    loaded = load_scenario(example)
    serial = run_replications(loaded.raw, 3, 6, SerialExecutor()).rows
    with ProcessExecutor(2) as pool:
        pooled = run_replications(loaded.raw, 3, 6, pool).rows
    key = ["replication", "seed"]
    assert rows_frame(serial, key).equals(rows_frame(pooled, key))


def test_precision_adds_replications_until_reached(example: Path) -> None:
    loaded = load_scenario(example)
    goal = Precision.parse("x.mean=0.5")
    outcome = run_replications(
        loaded.raw,
        1,
        5,
        SerialExecutor(),
        precision=[goal],
        max_replications=1000,
        evaluator=fake_metrics,
    )
    (result,) = outcome.precision
    assert result.reached and not result.capped
    assert result.achieved is not None and result.achieved <= 0.5
    assert len(outcome.rows) == result.replications > 5
    values = [r["x.mean"] for r in outcome.rows]
    assert mean_ci(values).half_width == pytest.approx(result.achieved)


def test_precision_stops_at_the_cap_and_says_so(example: Path) -> None:
    loaded = load_scenario(example)
    outcome = run_replications(
        loaded.raw,
        1,
        5,
        SerialExecutor(),
        precision=[Precision("x.mean", 0.001)],
        max_replications=12,
        evaluator=fake_metrics,
    )
    (result,) = outcome.precision
    assert result.capped and not result.reached
    assert len(outcome.rows) == 12


def test_precision_errors_are_clear(example: Path) -> None:
    loaded = load_scenario(example)
    with pytest.raises(ReplicationError, match="METRIC=HALF_WIDTH"):
        Precision.parse("x.mean=-1")
    with pytest.raises(ReplicationError, match=r"did you mean `x\.mean`"):
        run_replications(
            loaded.raw,
            1,
            3,
            SerialExecutor(),
            precision=[Precision("x.maen", 1.0)],
            evaluator=fake_metrics,
        )


def test_select_metrics_by_glob_and_headline() -> None:
    names = ["run.events", "nodes.A.knowledge_median_h", "nodes.A.coverage", "x.p90"]
    assert select_metrics(names) == ["nodes.A.knowledge_median_h", "nodes.A.coverage"]
    assert select_metrics(names, ["run.*", "x.p90"]) == ["run.events", "x.p90"]
    with pytest.raises(ReplicationError, match="matches no metric"):
        select_metrics(names, ["nope"])


def test_make_executor_checks_workers() -> None:
    with pytest.raises(ExecutorError, match="at least 1"):
        make_executor(0)
    assert isinstance(make_executor(1), SerialExecutor)


# --- a worker that dies -------------------------------------------------------------


def die_once(marker: str) -> int:
    """Kill this worker process the first time (no marker file yet); then succeed."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(1)
    return os.getpid()


def always_die(_: str) -> int:
    os._exit(1)


def test_a_dying_worker_loses_only_its_task(tmp_path: Path) -> None:
    markers = [str(tmp_path / f"m{i}") for i in range(4)]
    Path(markers[1]).write_text("already")  # only some tasks kill their worker
    Path(markers[3]).write_text("already")
    with ProcessExecutor(2) as pool:
        results = dict(pool.run(die_once, markers))
    assert sorted(results) == [0, 1, 2, 3]


def test_a_task_that_always_kills_its_worker_gives_up(tmp_path: Path) -> None:
    with ProcessExecutor(2) as pool, pytest.raises(ExecutorError, match="died"):
        list(pool.run(always_die, ["a"]))


# --- common random numbers ----------------------------------------------------------


def test_comparing_a_scenario_with_itself_gives_exactly_zero(example: Path) -> None:
    loaded = load_scenario(example)
    comparison = run_comparison(loaded.raw, loaded.raw, 7, 5, SerialExecutor())
    assert comparison.diffs
    for metric, diff in comparison.diffs.items():
        if diff.diff.n:
            assert diff.diff.mean == 0.0, metric
            assert (diff.diff.low, diff.diff.high) == (0.0, 0.0), metric
        assert not diff.excludes_zero


def test_changing_a_link_latency_leaves_every_sighting_unchanged(example: Path) -> None:
    loaded = load_scenario(example)
    path = "links.UKR-HUR->NATO-JISD.latency.median"
    variant_raw = set_path(loaded.raw, path, "1h")
    variant = Scenario.model_validate(variant_raw)

    def sightings(scenario: Scenario, raw: dict[str, Any], seed: int) -> list[bytes]:
        seen: list[Any] = []
        simulate(scenario, seed=seed, listeners=[seen.append])
        return [
            yaml.safe_dump({k: v for k, v in vars_of(e).items() if k != "seq"}).encode()
            for e in seen
            if isinstance(e, SightingReported)
        ]

    for i in range(3):
        seed = replication_seed(7, i)
        base = sightings(loaded.scenario, loaded.raw, seed)
        changed = sightings(variant, variant_raw, seed)
        assert base and base == changed
    # and the change does reach the link, so the test could fail
    a = run_comparison(loaded.raw, variant_raw, 7, 4, SerialExecutor())
    assert a.diffs["links.UKR-HUR->NATO-JISD.transit_h.mean"].diff.mean != 0


def vars_of(event: Any) -> dict[str, Any]:
    return {f: getattr(event, f) for f in event.__struct_fields__}


# --- command line -------------------------------------------------------------------


def test_replicate_writes_tables(example: Path, tmp_path: Path) -> None:
    from sim.experiments.replicate import ReplicationsRequest, replicate

    out = tmp_path / "logs"
    result = replicate(ReplicationsRequest(example, 4, out=out, workers=1))
    directory = result.directory
    assert len(result.frame) == 4 and result.summary["nodes.NATO-JISD.coverage"].total == 4
    for name in ("replications.csv", "replications.parquet", "summary.json", "manifest.json"):
        assert (directory / name).is_file(), name
    header = (directory / "replications.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["replication", "seed"]
    assert "nodes.NATO-JISD.coverage" in header


def test_compare_command(example: Path, tmp_path: Path) -> None:
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        "extends: example.yaml\nname: fast-link\n"
        "links:\n  UKR-HUR->NATO-JISD:\n    latency: {dist: lognormal, median: 1h, sigma: 0.4}\n"
    )
    out = tmp_path / "logs"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(example),
            str(variant),
            "--replications",
            "4",
            "--workers",
            "1",
            "--out",
            str(out),
            "--metric",
            "links.*.transit_h.mean",
        ],
    )
    assert result.exit_code == 0, result.output
    (directory,) = out.iterdir()
    for name in ("comparison.csv", "pairs.parquet", "forest.png", "forest.svg", "manifest.json"):
        assert (directory / name).is_file(), name
    assert "VR ×" in result.output
    table = (directory / "comparison.csv").read_text()
    assert "links.UKR-HUR->NATO-JISD.transit_h.mean" in table
