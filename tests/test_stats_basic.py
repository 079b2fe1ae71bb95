"""Descriptive statistics: against their definitions and numpy, and the unboxed path for big
samples gives the very same figures."""

from __future__ import annotations

import random
import statistics
from array import array

import numpy as np
import pytest

from sim.analysis.stats_basic import BIG, DIGITS, describe, percentile


def test_big_arrays_describe_exactly_like_lists() -> None:
    rng = random.Random(5)
    values = [rng.lognormvariate(0, 1) for _ in range(BIG + 1234)]
    assert describe(array("d", values)) == describe(values)
    assert all(type(v) in (int, float) for v in describe(array("d", values)).values())


def test_percentile_interpolates_between_ranks() -> None:
    # ranks 0..3; the 50th percentile sits at rank 1.5, the 90th at rank 2.7
    assert percentile([1.0, 2.0, 3.0, 4.0], 50.0) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90.0) == pytest.approx(3.0 + 0.7 * (4.0 - 3.0))
    assert percentile([7.0], 90.0) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 100.0) == 4.0
    assert describe([]) == {"n": 0, "mean": None, "median": None, "p90": None, "max": None}


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
def test_percentiles_and_description_agree_with_numpy_and_statistics(n: int) -> None:
    rng = random.Random(n)
    values = [rng.expovariate(0.5) for _ in range(n)]
    ordered = sorted(values)
    for q in (0.0, 12.5, 50.0, 90.0, 99.0, 100.0):
        assert percentile(ordered, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-12)
    described = describe(values)
    assert described["n"] == n
    assert described["mean"] == pytest.approx(statistics.fmean(values), abs=10**-DIGITS)
    assert described["median"] == pytest.approx(statistics.median(values), abs=10**-DIGITS)
    assert described["max"] == round(max(values), DIGITS)
