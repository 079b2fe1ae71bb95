"""Coverage study: every interval the tables use covers 95% on models with known truth.

Each cell is the share of E experiments (n replications each) whose interval covers the
truth. A method is accepted when its observed count is what a true coverage anywhere in
[93%, 97%] produces with probability 99.9% (binomial, both sides): an interval that is
really 90% or really 99% fails. Two guards show the check can fail either way: the
bootstrap percentile interval the tool used to give p90 (too narrow at n = 10) and a 99%
interval labelled 95% (too wide) are both rejected.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from sim.analysis.kinds import Kind
from sim.experiments.coverage import SIZES, Case, cases, chosen, coverage_of

EXPERIMENTS = 4000
LOW, HIGH = 0.93, 0.97  # true coverages accepted for a nominal 95% interval
TAIL = 0.0005  # each side, per cell


def accepted(coverage: float, experiments: int = EXPERIMENTS) -> bool:
    """Whether `coverage` over `experiments` is consistent with a true one in [LOW, HIGH]."""
    covered = round(coverage * experiments)
    low = sps.binom.ppf(TAIL, experiments, LOW)
    high = sps.binom.isf(TAIL, experiments, HIGH)
    return bool(low <= covered <= high)


@pytest.fixture(scope="module")
def study() -> list[Case]:
    return cases(EXPERIMENTS, seed=2024)


def test_band_is_tight_enough_to_mean_something() -> None:
    # the acceptance band is narrower than the gap to a 90% or a 99% interval
    assert not accepted(0.915) and not accepted(0.982)
    assert accepted(0.93) and accepted(0.97)


@pytest.mark.slow
def test_every_chosen_interval_covers_95_percent(study: list[Case]) -> None:
    failures = []
    for case in study:
        method = chosen(case)
        for n in SIZES:
            coverage = coverage_of(case, method, n)
            if not accepted(coverage):
                failures.append(f"{case.name} ({method}, n={n}): {coverage:.3f}")
    assert not failures, "coverage outside [93%, 97%]: " + "; ".join(failures)


@pytest.mark.slow
def test_the_check_fails_too_narrow_and_too_wide_intervals(study: list[Case]) -> None:
    p90 = next(c for c in study if c.name == "M/M/1 p90 wait")
    assert not accepted(coverage_of(p90, "bootstrap", 10))  # what issue 13 measured: 87%
    share = next(c for c in study if c.kind is Kind.SHARE and "mean of shares" in c.name)
    too_wide = coverage_of(share, chosen(share), 10, confidence=0.99)
    assert too_wide > HIGH and not accepted(too_wide)


@pytest.mark.slow
def test_models_are_right_about_their_truth(study: list[Case]) -> None:
    """The generators' outputs average to the truth (else the study measures nothing).

    A quantile of a finite sample (a run's p90, a Kaplan–Meier median of 40 usages) is
    biased by O(1/N): those get 1.5% of slack, which the coverage above already pays for.
    """
    for case in study:
        if case.kind is Kind.CENSORED_TIME:
            values = case.values[np.isfinite(case.values)]
            centre = float(np.median(values))  # the median over replications
        else:
            values = case.values
            centre = float(np.mean(values))
        truth = float(np.mean(case.truth))
        se = float(np.std(values)) / np.sqrt(values.size)
        quantile = case.kind in (Kind.CENSORED_TIME, Kind.TIME_QUANTILE)
        slack = 0.015 * abs(truth) if quantile else 0.0
        assert abs(centre - truth) < 5 * se + slack, case.name
