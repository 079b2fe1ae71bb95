"""Global sensitivity: analytic Ishigami indices, a factor with no effect, files, resume."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli.app import app
from sim.experiments.design import DesignError, unit_sample
from sim.experiments.sensitivity import (
    INDEX_COLUMNS,
    morris_indices,
    open_study,
    point_means,
    sobol_indices,
)
from sim.experiments.sweep import Sweep, SweepError, SweepSpec

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ANALYSTS = "nodes.NATO-JISD.analysts"
BACK_LINK = "links.NATO-JISD->UKR-HUR.latency.median"  # carries assessments to UKR only
A, B = 7.0, 0.1  # Ishigami's constants


def ishigami(unit: np.ndarray) -> np.ndarray:
    """Ishigami's function of the first three columns over [−π, π]; the fourth is a dummy."""
    x = -math.pi + 2 * math.pi * unit
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_truth() -> tuple[list[float], list[float]]:
    """Analytic S1 and ST (Ishigami and Homma 1990; Sobol' and Levitan 1999)."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A * A / 8
    v13 = B * B * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0, 0.0], [(v1 + v13) / total, v2 / total, v13 / total, 0.0]


def test_sobol_indices_of_ishigami_cover_the_analytic_values() -> None:
    unit = unit_sample("sobol", 4, 1024, seed=3)
    assert unit.shape == (1024 * (4 + 2), 4)
    got = sobol_indices(ishigami(unit), 4, seed=3)
    s1, st = ishigami_truth()
    for name, truth in (("S1", s1), ("ST", st)):
        low, high = got[f"{name}_ci_low"], got[f"{name}_ci_high"]
        assert np.all((low <= truth) & (truth <= high)), (name, low, high, truth)
        assert np.all(np.abs(got[name] - truth) < 0.05), (name, got[name], truth)
        assert np.all(high - low < 0.2)  # the intervals say something
    assert got["ST"][3] == 0 and got["ST_ci_high"][3] == 0  # the dummy changes nothing


def test_morris_ranks_ishigami_factors_and_finds_the_dummy_inert() -> None:
    unit = unit_sample("morris", 4, 40, seed=3)
    got = morris_indices(unit, ishigami(unit), 4, seed=3)
    mu_star = got["S1"]
    assert mu_star[3] == 0 and got["ST"][3] == 0
    assert min(mu_star[:3]) > 1.0  # each real factor moves the output
    assert np.all(got["S1_ci_low"] <= mu_star) and np.all(mu_star <= got["S1_ci_high"])
    assert np.isnan(got["ST_ci_low"]).all()  # σ has no interval


def test_a_factor_with_no_effect_has_indices_of_zero(tmp_path: Path) -> None:
    """NATO-JISD never hears from the link that carries its assessments back to UKR-HUR,
    so with common random numbers NATO-JISD's queue is the same whatever that latency."""
    out = tmp_path / "logs"
    result = CliRunner().invoke(
        app,
        [
            # one fusion node, whose assessments are all UKR-HUR knows (teaching-minimal's
            # UKR-HUR fuses its own reports too, and learns far less from the back link)
            "sensitivity", str(FIXTURES / "one-fusion-node.yaml"),
            "--vary", f"{ANALYSTS}=1..6", "--vary", f"{BACK_LINK}=1h..3d",
            "--samples", "8", "--replications", "2", "--workers", "1",
            "--metric", "nodes.NATO-JISD.queue_wait_h.mean",
            "--metric", "nodes.UKR-HUR.known_within_7d",
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    (directory,) = out.iterdir()
    indices = pd.read_parquet(directory / "indices.parquet")
    assert list(indices.columns[: len(INDEX_COLUMNS)]) == list(INDEX_COLUMNS)
    pd.testing.assert_frame_equal(indices, pd.read_csv(directory / "indices.csv"))
    queue = indices[indices["metric"] == "nodes.NATO-JISD.queue_wait_h.mean"].set_index("factor")
    inert = queue.loc[BACK_LINK]
    for name in ("S1", "ST"):
        assert inert[f"{name}_ci_low"] <= 0 <= inert[f"{name}_ci_high"]
        assert inert[name] < 0.01
    assert queue.loc[ANALYSTS, "ST_ci_low"] > 0  # while the analysts matter
    # and the back link does drive what UKR-HUR learns from NATO
    # (the share of uses UKR-HUR knows within a week: its assessments come from NATO)
    ukr = indices[indices["metric"] == "nodes.UKR-HUR.known_within_7d"]
    assert ukr.set_index("factor").loc[BACK_LINK, "S1_ci_low"] > 0
    runs = pd.read_parquet(directory / "runs.parquet")
    assert len(runs) == 8 * (2 + 2) * 2
    plots = sorted(p.suffix for p in (directory / "plots").iterdir())
    assert plots == [".png", ".png", ".svg", ".svg"]
    resumed = CliRunner().invoke(
        app, ["sensitivity", "--resume", str(directory), "--workers", "1", "--out", str(out)]
    )
    assert resumed.exit_code == 0, resumed.output
    # (the line names the directory: where its path is long, the words wrap anywhere)
    assert "(0 to run)" in " ".join(resumed.output.split())
    pd.testing.assert_frame_equal(pd.read_parquet(directory / "indices.parquet"), indices)


def test_sensitivity_input_errors(tmp_path: Path) -> None:
    scenario = str(SCENARIOS / "teaching-minimal.yaml")
    spec = SweepSpec(scenario, (f"{ANALYSTS}=1..6",), 1, "sobol", 12)
    with pytest.raises(DesignError, match="power of two"):
        open_study(spec, tmp_path)
    with pytest.raises(DesignError, match="expected sobol or morris"):
        open_study(SweepSpec(scenario, (f"{ANALYSTS}=1..6",), 1, "lhs", 8), tmp_path)
    with pytest.raises(DesignError, match=r"at least one --vary PATH=LOW\.\.HIGH"):
        open_study(SweepSpec(scenario, (), 1, "sobol", 8), tmp_path)
    with pytest.raises(DesignError, match="needs a range"):
        open_study(SweepSpec(scenario, (f"{ANALYSTS}=1,6",), 1, "morris", 4), tmp_path)
    sweep = Sweep.create(SweepSpec(scenario, (f"{ANALYSTS}=1,6",), 1), tmp_path)
    with pytest.raises(SweepError, match="not a sensitivity study"):
        open_study(sweep.directory)


def test_a_censored_time_is_summarised_by_its_median_not_the_mean_of_what_was_found() -> None:
    runs = pd.DataFrame(
        {
            "point": [0, 0, 0, 1, 1, 1],
            "replication": [0, 1, 2, 0, 1, 2],
            "nodes.X.knowledge_median_h": [1.0, None, 3.0, None, None, 2.0],
        }
    )
    values, _ = point_means(runs, "nodes.X.knowledge_median_h", 2)
    assert values[0] == 3.0  # not 2.0, the mean of the two reached
    assert np.isnan(values[1])  # most replications never reached it: no value


def test_noise_is_measured_as_common_random_numbers_leave_it() -> None:
    """Noise the seeds share at every point cancels; noise of each (point, seed) does not."""
    rng = np.random.default_rng(1)
    points, reps, sigma = 400, 4, 0.5
    x = np.repeat(rng.random(points), reps)
    point = np.repeat(np.arange(points), reps)
    replication = np.tile(np.arange(reps), points)
    common = np.tile(rng.normal(0, 3.0, reps), points)  # the same at every point
    own = rng.normal(0, sigma, points * reps)
    runs = pd.DataFrame({"point": point, "replication": replication, "a": x + common, "b": x + own})
    _, shared = point_means(runs, "a", points)
    assert shared == pytest.approx(0.0, abs=1e-12)
    _, independent = point_means(runs, "b", points)
    # Var of a mean of 4 independent N(0, σ²) is σ²/4; the estimate has ~7% error here
    assert independent == pytest.approx(sigma**2 / reps, rel=0.25)
