"""Confidence intervals: against scipy and known values, and their coverage on an M/M/1 queue."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from sim.experiments.executors import ProcessExecutor
from sim.experiments.replications import run_replications
from sim.experiments.stats import (
    bootstrap_ci,
    is_skewed,
    mean_ci,
    paired_diff_ci,
    replications_for,
    summarize,
    variance_reduction_factor,
)
from sim.scenario.loader import load_scenario


def test_mean_ci_known_values() -> None:
    iv = mean_ci([1, 2, 3, 4, 5])
    half = sps.t.ppf(0.975, 4) * math.sqrt(2.5) / math.sqrt(5)
    assert iv.mean == 3
    assert iv.half_width == pytest.approx(half)
    assert half == pytest.approx(1.9632, abs=1e-4)
    assert (iv.n, iv.undefined, iv.method) == (5, 0, "t")


def test_mean_ci_matches_scipy() -> None:
    xs = np.random.default_rng(3).gamma(2.0, 3.0, size=17)
    low, high = sps.t.interval(0.95, len(xs) - 1, loc=xs.mean(), scale=sps.sem(xs))
    iv = mean_ci(list(xs))
    assert (iv.low, iv.high) == (pytest.approx(low), pytest.approx(high))


def test_undefined_values_are_counted_not_averaged_as_zero() -> None:
    iv = mean_ci([10.0, None, 20.0, float("nan")])
    assert iv.mean == 15.0
    assert (iv.n, iv.undefined, iv.total) == (2, 2, 4)


def test_too_few_values_give_no_interval() -> None:
    assert mean_ci([]).mean is None
    one = mean_ci([4.0])
    assert (one.mean, one.low, one.high, one.half_width) == (4.0, None, None, None)
    assert mean_ci([None, None]).undefined == 2


def test_constant_values_have_zero_width() -> None:
    iv = mean_ci([2.0] * 6)
    assert (iv.low, iv.high, iv.half_width) == (2.0, 2.0, 0.0)


def test_bootstrap_is_reproducible_and_brackets_the_mean() -> None:
    xs = list(np.random.default_rng(5).lognormal(0.0, 1.0, size=30))
    a, b = bootstrap_ci(xs), bootstrap_ci(xs)
    assert (a.low, a.high) == (b.low, b.high)
    assert a.low is not None and a.high is not None
    assert a.low < a.mean < a.high
    assert a.method == "bootstrap"
    # on near-normal data the percentile interval is close to the t interval
    normal = list(np.random.default_rng(6).normal(10.0, 1.0, size=200))
    boot, t = bootstrap_ci(normal), mean_ci(normal)
    assert boot.half_width == pytest.approx(t.half_width, rel=0.15)


def test_order_statistics_get_bootstrap_intervals() -> None:
    assert is_skewed("nodes.X.time_to_assessment_h.p90")
    assert is_skewed("links.A->B.transit_h.max")
    assert not is_skewed("nodes.X.time_to_assessment_h.mean")
    assert not is_skewed("nodes.X.coverage")
    assert summarize("a.p90", [1.0, 2.0, 5.0]).method == "bootstrap"
    assert summarize("a.mean", [1.0, 2.0, 5.0]).method == "t"


def test_paired_diff_matches_scipy_on_differences() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(5.0, 2.0, size=25)
    b = a + rng.normal(0.5, 0.3, size=25)
    d = b - a
    low, high = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
    pd_ = paired_diff_ci(list(a), list(b))
    assert pd_.diff.mean == pytest.approx(d.mean())
    assert (pd_.diff.low, pd_.diff.high) == (pytest.approx(low), pytest.approx(high))
    assert pd_.excludes_zero
    expected = (np.var(a, ddof=1) + np.var(b, ddof=1)) / np.var(d, ddof=1)
    assert pd_.variance_reduction == pytest.approx(expected)
    assert pd_.variance_reduction > 10  # positively correlated pairs


def test_paired_diff_of_a_sample_with_itself_is_exactly_zero() -> None:
    xs = [1.0, 4.0, 2.5, 8.0]
    d = paired_diff_ci(xs, xs)
    assert (d.diff.mean, d.diff.low, d.diff.high) == (0.0, 0.0, 0.0)
    assert not d.excludes_zero
    assert d.variance_reduction == math.inf


def test_paired_diff_drops_pairs_missing_a_side() -> None:
    d = paired_diff_ci([1.0, None, 3.0, 4.0], [2.0, 5.0, None, 6.0])
    assert (d.diff.n, d.diff.undefined) == (2, 2)
    assert d.diff.mean == 1.5
    with pytest.raises(ValueError, match="differ in length"):
        paired_diff_ci([1.0], [1.0, 2.0])


def test_variance_reduction_factor_edge_cases() -> None:
    assert variance_reduction_factor(1.0, 1.0, 0.5) == 4.0
    assert variance_reduction_factor(0.0, 0.0, 0.0) is None
    assert variance_reduction_factor(None, 1.0, 1.0) is None


def test_replications_for_a_half_width() -> None:
    # std 10 and a half-width of 1 need about (2 * 10 / 1)^2 = 400
    n = replications_for(1.0, 10.0, 30)
    assert 400 < n < 440
    assert replications_for(1.0, 0.0, 30) == 30


# --- coverage against queueing theory -------------------------------------------------

LAMBDA, MU = 0.5, 1.0  # per hour: rho = 0.5
MM1_YAML = f"""
name: mm1
start: "2024-01-01T00:00:00Z"
duration: 1000h
seed: 1
nations: {{UKR: Ukraine}}
munitions: {{KN-23: {{category: ballistic-missile}}}}
theater:
  sectors: [S]
  usage: [{{munition: KN-23, sector: S, rate: {LAMBDA}/h}}]
nodes:
  Q: {{nation: UKR, analysts: 1, analysis_time: {{dist: exponential, mean: {1 / MU}h}}}}
collectors:
  c: {{node: Q, discipline: FORENSIC, sectors: [S], detection: 1.0, delay: 1h, grade: A1}}
"""


@pytest.mark.slow
def test_ci_covers_mm1_mean_wait_about_95_percent(tmp_path: Path) -> None:
    """Each experiment: 8 replications of an M/M/1 queue (Poisson usage, one analyst,
    exponential analysis); its 95% CI of the mean queue wait should cover the theory's
    Wq = rho / (mu - lambda) in about 95% of experiments."""
    path = tmp_path / "mm1.yaml"
    path.write_text(MM1_YAML)
    loaded = load_scenario(path)
    wq = (LAMBDA / MU) / (MU - LAMBDA)
    metric = "nodes.Q.queue_wait_h.mean"
    experiments, covered = 60, 0
    with ProcessExecutor(2) as executor:
        for e in range(experiments):
            outcome = run_replications(loaded.raw, 1000 + e, 8, executor)
            iv = mean_ci([r[metric] for r in outcome.rows])
            assert iv.low is not None and iv.high is not None
            covered += iv.low <= wq <= iv.high
    # accept what a true 95% coverage produces with probability 99.8%
    low = sps.binom.ppf(0.001, experiments, 0.95)
    high = sps.binom.ppf(0.999, experiments, 0.95)
    assert low <= covered <= high, f"covered {covered} of {experiments}"
