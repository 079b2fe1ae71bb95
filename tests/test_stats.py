"""Confidence intervals: against scipy and known values, and their coverage on an M/M/1 queue."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from scipy import stats as sps
from typer.testing import CliRunner

from sim.analysis.kinds import Kind
from sim.cli.app import app
from sim.experiments.coverage import mm1, mm1_truth
from sim.experiments.stats import (
    interval,
    mean_ci,
    paired_diff_ci,
    replications_for,
    summarize,
    variance_reduction_factor,
)


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


def test_each_metric_gets_the_interval_of_its_kind() -> None:
    shares = summarize("nodes.X.coverage", [0.2, 0.5, 0.9, 1.0])
    assert (shares.kind, shares.method) == (Kind.SHARE, "logit-t")
    assert 0 <= shares.low < shares.mean < shares.high <= 1
    yes_no = summarize("nodes.X.coverage", [1.0, 0.0, 1.0])
    assert yes_no.method == "wilson"
    wait = summarize("nodes.X.queue_wait_h.p90", [0.1, 3.0, 0.2, 9.0])
    assert (wait.kind, wait.method) == (Kind.TIME_QUANTILE, "log-t")
    assert wait.low is not None and wait.low > 0
    count = summarize("run.messages_dropped", [0, 0, 0, 0])
    assert (count.kind, count.method, count.low) == (Kind.COUNT, "quasi-poisson", 0.0)
    assert count.high is not None and count.high > 0  # none seen in 4 runs is not "never"


def test_issue_13_impossible_intervals_are_gone() -> None:
    """The intervals issue 13 found: a share beyond [0, 1], a negative median wait."""
    t = mean_ci([0.0, 1.0, 1.0])
    assert t.low is not None and t.low < 0  # the plain t interval of the issue
    share = summarize("nodes.NATO-JISD.coverage", [0.0, 1.0, 1.0])
    assert share.low is not None and share.high is not None
    assert 0 <= share.low < share.high <= 1
    wait = summarize("nodes.Q.queue_wait_h.median", [0.0, 0.0, 0.0, 0.07, 0.0, 0.01])
    assert wait.low is not None and wait.low >= 0


def test_censored_time_is_a_median_over_replications() -> None:
    iv = interval(Kind.CENSORED_TIME, [30.0, None, 12.0, 50.0, None])
    assert (iv.mean, iv.low, iv.high) == (50.0, 12.0, math.inf)
    assert (iv.n, iv.censored, iv.undefined, iv.method) == (5, 2, 0, "median-os")
    assert iv.as_dict()["ci_high"] is None  # beyond the horizon: no number to write


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


# --- end to end: the real engine and `intelsim run --replications` ---------------------

LAMBDA, MU = 0.5, 1.0  # per hour: rho = 0.5
HOURS = 2000
MM1_YAML = f"""
name: mm1
start: "2024-01-01T00:00:00Z"
duration: {HOURS}h
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
def test_replications_of_an_mm1_node_end_to_end(tmp_path: Path) -> None:
    """`intelsim run --replications 40` on an M/M/1 node (Poisson usage, one analyst,
    exponential analysis): the summary's intervals of the mean wait and its p90 hold
    the theory's Wq = ρ/(μ−λ) and 2 ln 5 h, by the methods of their kinds, inside their
    ranges; and the engine's replications are distributed like those of the Lindley
    generator the coverage study uses (two-sample Kolmogorov–Smirnov), so the study's
    coverage is the engine's."""
    path = tmp_path / "mm1.yaml"
    path.write_text(MM1_YAML)
    out = tmp_path / "logs"
    result = CliRunner().invoke(
        app, ["run", str(path), "--replications", "40", "--workers", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    (directory,) = out.iterdir()
    summary = orjson.loads((directory / "summary.json").read_bytes())["metrics"]
    wq, q90 = mm1_truth(LAMBDA, MU)
    for metric, truth, kind in (("mean", wq, "time-mean"), ("p90", q90, "time-quantile")):
        row = summary[f"nodes.Q.queue_wait_h.{metric}"]
        assert (row["kind"], row["method"], row["n"]) == (kind, "log-t", 40)
        assert row["ci_low"] <= truth <= row["ci_high"], (metric, row)
    coverage = summary["nodes.Q.usage_coverage"]
    assert coverage["kind"] == "share" and 0 <= coverage["ci_low"] <= coverage["ci_high"] <= 1
    runs = pd.read_parquet(directory / "replications.parquet")
    model = mm1(np.random.default_rng(5), 2000, customers=int(LAMBDA * HOURS))
    for metric in ("mean", "p90"):
        engine = runs[f"nodes.Q.queue_wait_h.{metric}"].to_numpy()
        assert sps.ks_2samp(engine, model[metric]).pvalue > 0.001, metric


def test_censored_times_are_compared_without_dropping_the_runs_that_differ() -> None:
    # B reaches the median in every replication; A misses it in three of seven
    a = [30.0, None, 40.0, None, 35.0, None, 50.0]
    b = [20.0, 25.0, 28.0, 30.0, 22.0, 26.0, 41.0]
    d = paired_diff_ci(a, b, kind=Kind.CENSORED_TIME)
    assert (d.diff.n, d.diff.undefined, d.diff.method) == (7, 0, "paired-median-os")
    # differences: -10, -inf, -12, -inf, -13, -inf, -9: median -13, wholly below 0
    assert d.diff.mean == -13.0
    assert d.diff.high is not None and d.diff.high < 0 and d.excludes_zero
    assert d.diff.low == -math.inf  # as far as the run can tell
    # dropping the pairs A missed (the old way) would say B is only ~10 h sooner
    finite = paired_diff_ci(a, b)
    assert finite.diff.n == 4 and finite.diff.mean == pytest.approx(-11.0)
    neither = paired_diff_ci([None, None], [None, 3.0], kind=Kind.CENSORED_TIME)
    assert (neither.diff.n, neither.diff.undefined) == (1, 1)


def test_a_lead_time_without_a_warning_is_the_shortest_lead() -> None:
    # leads in hours; None: no warning by the end, shorter than any lead (never dropped)
    iv = interval(Kind.LEAD_TIME, [30.0, None, -12.0, 50.0, None])
    assert (iv.mean, iv.low, iv.high) == (-12.0, -math.inf, 50.0)
    assert (iv.n, iv.censored, iv.undefined, iv.method) == (5, 2, 0, "median-os")
    # B warns in every replication; A in four of seven: B's leads are longer by +inf there
    a = [30.0, None, 40.0, None, 35.0, None, 50.0]
    b = [60.0, 25.0, 48.0, 30.0, 47.0, 26.0, 59.0]
    d = paired_diff_ci(a, b, kind=Kind.LEAD_TIME)
    # differences: 30, +inf, 8, +inf, 12, +inf, 9: median 30, wholly above 0
    assert (d.diff.n, d.diff.undefined, d.diff.mean) == (7, 0, 30.0)
    assert d.diff.low is not None and d.diff.low > 0 and d.excludes_zero
    assert d.diff.high == math.inf
    neither = paired_diff_ci([None, None], [None, 3.0], kind=Kind.LEAD_TIME)
    assert (neither.diff.n, neither.diff.undefined, neither.diff.mean) == (1, 1, math.inf)
