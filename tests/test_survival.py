"""Kaplan–Meier: a hand-worked example, the empirical distribution without censoring, and
exponential times with known censoring against theory."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.survival import kaplan_meier, kaplan_meier_plain


def test_hand_worked_example() -> None:
    """Times 1, 2, 2+, 3, 4+, 5 (+: censored), 6 items.
    t=1: 6 at risk, 1 known: S = 5/6 = 0.8333.
    t=2: 5 at risk (the censoring at 2 comes after), 1 known: S = 5/6 * 4/5 = 0.6667.
    t=3: 3 at risk (3, 4+, 5), 1 known: S = 0.6667 * 2/3 = 0.4444 -> the median is 3.
    t=5: 1 at risk, 1 known: S = 0."""
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [True, True, False, True, False, True])
    assert km.times == (1, 2, 3, 5)
    assert km.survival == pytest.approx((5 / 6, 4 / 6, 4 / 9, 0.0))
    assert km.median() == 3
    assert km.at(0.5) == 1.0
    assert km.share_by(2.5) == pytest.approx(1 / 3)
    assert km.share_by(4.5) == pytest.approx(5 / 9)
    assert km.share_by(100) == 1.0  # the longest-followed item was known: S stays 0
    assert (km.n, km.events) == (6, 4)


def test_censored_last_leaves_the_tail_undefined() -> None:
    """1, 2+, 3+: S(1) = 2/3; past 3 the data say nothing; the median is never reached."""
    km = kaplan_meier([1, 2, 3], [True, False, False])
    assert km.share_by(2.9) == pytest.approx(1 / 3)
    assert km.share_by(3.0) == pytest.approx(1 / 3)
    assert km.share_by(3.1) is None
    assert km.median() is None


def test_nothing_to_estimate() -> None:
    km = kaplan_meier([], [])
    assert km.median() is None and km.share_by(1.0) is None


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="durations"):
        kaplan_meier([1.0], [True, False])
    with pytest.raises(ValueError, match=">= 0"):
        kaplan_meier([-1.0], [True])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=40))
def test_without_censoring_it_is_the_empirical_distribution(times: list[float]) -> None:
    km = kaplan_meier(times, [True] * len(times))
    for t in sorted(set(times)):
        assert km.share_by(t) == pytest.approx(sum(x <= t for x in times) / len(times))
    # the median: the smallest time with at least half the items at or below it
    ordered = sorted(times)
    assert km.median() == ordered[math.ceil(len(ordered) / 2) - 1]


def test_exponential_times_with_uniform_censoring_match_theory() -> None:
    """Times ~ Exp(rate 0.1) (median ln 2 / 0.1 = 6.93), each item followed for U(0, 40):
    observed when time <= follow-up. P(observed) = (1 - (1 - e^-4) / 4) = 0.7546, so about
    3,000 of 4,000 items are observed; ignoring the censored ones would bias the median
    down (they are the long ones). KM's median has asymptotic standard error
    sqrt(Var) ~ 1 / (f(m) sqrt(n_eff)) with f(m) = 0.1 / 2 = 0.05, n_eff ~ 3,000:
    ~0.37; F(t) = 1 - e^-0.1t has a Greenwood standard error below 0.01 here. Tolerances
    are 4 standard errors."""
    rng = random.Random(20240711)
    rate, n = 0.1, 4000
    times = [rng.expovariate(rate) for _ in range(n)]
    follow = [rng.uniform(0, 40) for _ in range(n)]
    durations = [min(t, c) for t, c in zip(times, follow, strict=True)]
    observed = [t <= c for t, c in zip(times, follow, strict=True)]
    assert 0.73 < sum(observed) / n < 0.78  # the censoring really bites
    km = kaplan_meier(durations, observed)
    median = km.median()
    assert median is not None
    assert abs(median - math.log(2) / rate) < 4 * 0.37
    for t in (2.0, 7.0, 20.0):
        share = km.share_by(t)
        assert share is not None
        assert abs(share - (1 - math.exp(-rate * t))) < 0.04
    # the naive median of the observed ones only is biased low: KM is not
    naive = sorted(d for d, o in zip(durations, observed, strict=True) if o)
    assert naive[len(naive) // 2] < math.log(2) / rate - 4 * 0.37


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_plain_estimate_is_numpys_to_the_bit(seed: int) -> None:
    # ties (times on a coarse grid), zeros, censoring, and a censored or known last item
    rng = random.Random(seed)
    n = rng.randint(1, 400)
    durations = [rng.randint(0, 40) / 4 for _ in range(n)]
    observed = [rng.random() < 0.6 for _ in range(n)]
    plain, numpy = kaplan_meier_plain(durations, observed), kaplan_meier(durations, observed)
    assert plain == numpy
    assert plain.times == numpy.times and plain.survival == numpy.survival
    assert kaplan_meier_plain([], []) == kaplan_meier([], [])
    with pytest.raises(ValueError, match=">= 0"):
        kaplan_meier_plain([1.0, -1.0], [True, False])
