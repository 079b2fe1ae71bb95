"""Interval methods: known values, the range of each kind, and the declared kind of each metric."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim.analysis.kinds import Kind
from sim.experiments.intervals import (
    CHOSEN,
    interval_arrays,
    log_t,
    logit_t,
    median_order_statistics,
    method_for,
    paired_arrays,
    quasi_poisson,
    student_t,
    wilson,
)


def one(triple: tuple[np.ndarray, ...]) -> tuple[float, ...]:
    return tuple(float(v) for v in triple)


def test_student_t_matches_scipy() -> None:
    xs = np.random.default_rng(3).gamma(2.0, 3.0, size=17)
    low, high = sps.t.interval(0.95, len(xs) - 1, loc=xs.mean(), scale=sps.sem(xs))
    assert one(student_t(xs)) == pytest.approx((xs.mean(), low, high))


def test_wilson_known_values() -> None:
    # Wilson 95% for 0 of 10 and 7 of 10 (Brown, Cai and DasGupta 2001, eq. 4)
    z = sps.norm.ppf(0.975)
    _, low, high = one(wilson(np.zeros(10)))
    assert (low, high) == (0.0, pytest.approx(z * z / (10 + z * z)))
    _, low, high = one(wilson(np.array([1.0] * 7 + [0.0] * 3)))
    assert (low, high) == (pytest.approx(0.3968, abs=1e-4), pytest.approx(0.8922, abs=1e-4))


def test_log_t_is_the_t_interval_of_the_log_of_the_mean() -> None:
    xs = np.array([0.5, 1.0, 4.0, 2.0, 0.2])
    m, s = xs.mean(), xs.std(ddof=1)
    r = sps.t.ppf(0.975, 4) * s / (math.sqrt(5) * m)
    assert one(log_t(xs)) == pytest.approx((m, m * math.exp(-r), m * math.exp(r)))
    assert one(log_t(np.zeros(6))) == (0.0, 0.0, 0.0)


def test_logit_t_stays_inside_zero_one() -> None:
    xs = np.array([0.99, 0.5, 1.0, 0.95, 1.0])
    m, low, high = one(logit_t(xs))
    assert 0 < low < m < high < 1
    # the t interval of the same values leaves [0, 1]
    assert one(student_t(xs))[2] > 1


def test_quasi_poisson_all_zero_counts_give_the_poisson_style_bound() -> None:
    m, low, high = one(quasi_poisson(np.zeros(10)))
    assert (m, low) == (0.0, 0.0)
    assert high == pytest.approx(sps.t.ppf(0.975, 9) ** 2 / 10)
    assert one(quasi_poisson(np.full(8, 4.0))) == (4.0, 4.0, 4.0)  # fixed by the scenario


def test_median_order_statistics_distribution_free() -> None:
    xs = np.arange(1.0, 6.0)  # n = 5: the widest interval, min to max
    assert one(median_order_statistics(xs)) == (3.0, 1.0, 5.0)
    # not reached by the horizon (+inf) counts as the largest value
    m, low, high = one(median_order_statistics(np.array([2.0, 3.0, np.inf, 4.0, np.inf])))
    assert (m, low, high) == (4.0, 2.0, math.inf)
    xs = np.arange(1.0, 31.0)  # n = 30: between ranks 10 and 11 from each end
    _, low, high = one(median_order_statistics(xs))
    assert 10 < low < 11 and 20 < high < 21


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_stays_inside_its_range(kind: Kind) -> None:
    rng = np.random.default_rng(7)
    samples = {
        Kind.SHARE: [rng.random((500, 5)), (rng.random((500, 5)) < 0.1) * 1.0],
        Kind.COUNT: [
            rng.poisson(0.3, (500, 5)) * 1.0,
            rng.negative_binomial(1, 0.1, (500, 5)) * 1.0,
        ],
    }.get(
        kind,
        [
            rng.lognormal(0, 2, (500, 5)),
            rng.exponential(1, (500, 5)) * (rng.random((500, 5)) < 0.3),
        ],
    )
    low_bound, high_bound = kind.bounds
    for x in samples:
        m, low, high = interval_arrays(kind, x)
        assert np.all(low <= m) and np.all(m <= high)
        if low_bound is not None:
            assert np.all(low >= low_bound)
        if high_bound is not None:
            assert np.all(high <= high_bound)
    d = rng.random((500, 5)) - rng.random((500, 5))
    _, low, high = paired_arrays(Kind.SHARE, d * 3)
    assert np.all(low >= -1) and np.all(high <= 1)


def test_every_kind_has_a_chosen_method_and_shares_say_which() -> None:
    assert set(CHOSEN) == set(Kind)
    assert method_for(Kind.SHARE, np.array([0.0, 1.0, 1.0])) == "wilson"
    assert method_for(Kind.SHARE, np.array([0.5, 1.0, 1.0])) == "logit-t"
    assert method_for(Kind.TIME_QUANTILE) == "log-t"
