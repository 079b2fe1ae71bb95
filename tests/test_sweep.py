"""Sweeps: designs, table shape, validation before start, interruption and resume, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.errors import ScenarioError
from sim.experiments.design import DesignError, build_design, parse_quantity, parse_vary
from sim.experiments.executors import SerialExecutor
from sim.experiments.replications import replication_seed
from sim.experiments.sweep import JOURNAL, Sweep, SweepError, SweepSpec
from sim.interrupts import Interrupted
from tests.builders import DESIGN_EXAMPLE_YAML

LATENCY = "links.UKR-HUR->NATO-JISD.latency.median"
ANALYSTS = "nodes.NATO-JISD.analysts"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "example.yaml"
    path.write_text(DESIGN_EXAMPLE_YAML)
    return path


# --- designs ------------------------------------------------------------------------


def test_grid_levels_and_their_numeric_values() -> None:
    factor = parse_vary(f"{LATENCY}=2h,6h,1d")
    assert factor.values == ("2h", "6h", "1d")
    assert factor.unit == "h"
    assert [factor.x(v) for v in factor.values] == [2.0, 6.0, 24.0]
    same = parse_vary(f"{LATENCY}=1d,2d")
    assert same.unit == "d" and [same.x(v) for v in same.values] == [1.0, 2.0]
    analysts = parse_vary(f"{ANALYSTS}=1,2,4")
    assert analysts.values == (1, 2, 4) and analysts.x(4) == 4
    words = parse_vary("links.A->B.max_classification=NATO-SECRET,NATO-RESTRICTED")
    assert words.unit is None and words.x("NATO-SECRET") == "NATO-SECRET"
    listed = parse_vary("sharing.0.marking.rel_to=[NATO, UKR],[NATO]")
    assert listed.values == (["NATO", "UKR"], ["NATO"])


def test_grid_is_every_combination() -> None:
    points = build_design([parse_vary(f"{ANALYSTS}=1,2"), parse_vary(f"{LATENCY}=2h,6h,1d")])
    assert len(points) == 6
    assert points[0].values == ((ANALYSTS, 1), (LATENCY, "2h"))
    assert points[5].values == ((ANALYSTS, 2), (LATENCY, "1d"))
    assert points[1].overrides() == [f"{ANALYSTS}=1", f"{LATENCY}=6h"]


def test_latin_hypercube_keeps_units_and_integers() -> None:
    factors = [parse_vary(f"{LATENCY}=1d..10d"), parse_vary(f"{ANALYSTS}=2..8")]
    points = build_design(factors, "lhs", samples=12, seed=3)
    assert len(points) == 12
    days = [parse_quantity(dict(p.values)[LATENCY]) for p in points]
    assert all(q is not None and q.unit == "d" and 1 <= q.value <= 10 for q in days)
    analysts = [dict(p.values)[ANALYSTS] for p in points]
    assert all(isinstance(a, int) and 2 <= a <= 8 for a in analysts)
    # stratified: each twelfth of the latency range holds exactly one sample
    strata = sorted(int((q.value - 1) / 9 * 12) for q in days if q is not None)
    assert strata == list(range(12))
    assert build_design(factors, "lhs", samples=12, seed=3) == points
    mixed = parse_vary(f"{LATENCY}=2h..10d")
    assert mixed.unit == "h" and mixed.high is not None and mixed.high.in_unit("h") == 240


@pytest.mark.parametrize(
    ("texts", "design", "samples", "message"),
    [
        ([f"{LATENCY}=2h..1d"], "grid", None, "needs `--design lhs"),
        ([f"{LATENCY}=2h,6h"], "lhs", 4, "needs a range"),
        ([f"{LATENCY}=2h..1d"], "lhs", None, "needs --samples"),
        ([f"{ANALYSTS}=1,2", f"{ANALYSTS}=3"], "grid", None, "more than once"),
        ([], "grid", None, "nothing to vary"),
    ],
)
def test_design_errors(texts: list[str], design: str, samples: int | None, message: str) -> None:
    with pytest.raises(DesignError, match=message):
        build_design([parse_vary(t) for t in texts], design, samples)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"{LATENCY}", "expected PATH=V1,V2,... or PATH=LOW..HIGH"),
        (f"{LATENCY}=", "expected PATH=V1,V2,... or PATH=LOW..HIGH"),
        (f"{LATENCY}=1d..2h", "the low end must be below the high end"),
        (f"{LATENCY}=2h..3/d", "a range needs two numbers, durations or rates of one kind"),
        ("x=1,,2", "an empty value in the list"),
    ],
)
def test_bad_vary_is_a_clear_error(text: str, why: str) -> None:
    with pytest.raises(DesignError) as caught:
        parse_vary(text)
    # names what was given, then says what is wrong with it
    assert str(caught.value).startswith(f"--vary '{text}': {why}")


# --- sweeps -------------------------------------------------------------------------


def spec_for(example: Path, replications: int = 3) -> SweepSpec:
    return SweepSpec(
        file=str(example),
        vary=(f"{ANALYSTS}=1,4", f"{LATENCY}=2h,1d"),
        replications=replications,
    )


def test_sweep_table_shape_and_columns(example: Path, tmp_path: Path) -> None:
    sweep = Sweep.create(spec_for(example), tmp_path / "logs")
    sweep.run(SerialExecutor())
    runs, summary = sweep.finish()
    assert len(runs) == 4 * 3
    assert list(runs.columns[:5]) == ["point", "replication", "seed", ANALYSTS, LATENCY]
    assert "nodes.NATO-JISD.coverage" in runs.columns
    assert runs[["point", "replication"]].value_counts().max() == 1
    # the same replication seeds at every point (common random numbers across points)
    assert runs[runs["point"] == 3]["seed"].tolist() == [replication_seed(7, i) for i in range(3)]
    assert runs[LATENCY].tolist()[:6] == [2.0, 2.0, 2.0, 24.0, 24.0, 24.0]
    metrics = runs.columns[5:]
    assert len(summary) == 4 * len(metrics)
    row = summary[(summary["point"] == 0) & (summary["metric"] == "run.usages")].iloc[0]
    usages = runs[runs["point"] == 0]["run.usages"]
    assert row["mean"] == pytest.approx(usages.mean())
    assert row["n"] == 3
    for name in ("runs.csv", "runs.parquet", "summary.csv", "summary.parquet", "manifest.json"):
        assert (sweep.directory / name).is_file()
    assert pd.read_parquet(sweep.directory / "runs.parquet").equals(runs)


def test_bad_vary_path_fails_before_anything_runs(example: Path, tmp_path: Path) -> None:
    spec = SweepSpec(file=str(example), vary=("nodes.NATO-JISD.analystz=1,2",), replications=2)
    with pytest.raises(ScenarioError, match=r"--vary.*did you mean `analysts`"):
        Sweep.create(spec, tmp_path / "logs")
    bad_value = SweepSpec(file=str(example), vary=(f"{ANALYSTS}=2,0",), replications=2)
    with pytest.raises(ScenarioError, match="--vary"):
        Sweep.create(bad_value, tmp_path / "logs")
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").iterdir())


def test_resume_after_an_interruption_gives_the_same_table(example: Path, tmp_path: Path) -> None:
    whole = Sweep.create(spec_for(example), tmp_path / "a")
    whole.run(SerialExecutor())
    expected, expected_summary = whole.finish()

    stopped = Sweep.create(spec_for(example), tmp_path / "b")
    seen = 0

    def interrupt(rows: list) -> None:
        nonlocal seen
        seen += len(rows)
        if seen >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped.run(SerialExecutor(), on_rows=interrupt)
    partial, _ = stopped.finish(Interrupted())
    assert len(partial) == 5
    assert len((stopped.directory / JOURNAL).read_text().splitlines()) == 5

    resumed = Sweep.resume(stopped.directory)
    assert len(resumed.pending()) == 12 - 5
    resumed.run(SerialExecutor())
    runs, summary = resumed.finish()
    pd.testing.assert_frame_equal(runs, expected)
    pd.testing.assert_frame_equal(summary, expected_summary)


def test_resume_refuses_a_changed_scenario(example: Path, tmp_path: Path) -> None:
    sweep = Sweep.create(spec_for(example, 1), tmp_path / "logs")
    example.write_text(DESIGN_EXAMPLE_YAML.replace("seed: 7", "seed: 8"))
    with pytest.raises(SweepError, match="changed"):
        Sweep.resume(sweep.directory)
    with pytest.raises(SweepError, match="not a sweep"):
        Sweep.resume(tmp_path)


def test_sweep_command_writes_tables_and_plots(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "logs"
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(example),
            "--vary",
            f"{ANALYSTS}=1,4",
            "--vary",
            f"{LATENCY}=2h,1d",
            "--replications",
            "2",
            "--workers",
            "1",
            "--metric",
            "nodes.NATO-JISD.report_latency_h.mean",
            "--keep-logs",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    (directory,) = out.iterdir()
    plots = sorted(p.name for p in (directory / "plots").iterdir())
    assert len(plots) == 4  # one metric x two parameters, PNG and SVG
    assert any(p.endswith(".svg") for p in plots)
    logs = list((directory / "runs").rglob("events.jsonl"))
    assert len(logs) == 8
    resumed = CliRunner().invoke(
        app, ["sweep", "--resume", str(directory), "--workers", "1", "--out", str(out)]
    )
    assert resumed.exit_code == 0, resumed.output
    # (the line names the directory: where its path is long, the words wrap anywhere)
    assert "(0 to run)" in " ".join(resumed.output.split())


def test_sweep_command_reports_bad_input(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "logs"
    vary = f"{LATENCY}=2h..1d"
    result = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(example), "--vary", vary, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: --vary {LATENCY}: a range LOW..HIGH needs `--design lhs --samples K`"
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not out.exists()  # nothing ran, nothing was written
