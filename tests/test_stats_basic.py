"""Descriptive statistics: the unboxed path for big samples gives the very same figures."""

from __future__ import annotations

import random
from array import array

from sim.analysis.stats_basic import BIG, describe, percentile


def test_big_arrays_describe_exactly_like_lists() -> None:
    rng = random.Random(5)
    values = [rng.lognormvariate(0, 1) for _ in range(BIG + 1234)]
    assert describe(array("d", values)) == describe(values)
    assert all(type(v) in (int, float) for v in describe(array("d", values)).values())


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50.0) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 90.0) == 3.7000000000000002
    assert describe([]) == {"n": 0, "mean": None, "median": None, "p90": None, "max": None}
