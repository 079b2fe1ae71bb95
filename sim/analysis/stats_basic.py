"""Small descriptive statistics over samples, with n, and None where a sample is empty."""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

DIGITS = 6  # metrics.json stays readable and byte-stable across platforms
BIG = 1 << 16  # samples longer than this are sorted unboxed (memory stays flat)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted ``values``, linear between ranks (numpy's default)."""
    if len(values) == 0:
        msg = "percentile of an empty sample"
        raise ValueError(msg)
    pos = (len(values) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)


def describe(values: Sequence[float]) -> dict[str, float | int | None]:
    """``{"n", "mean", "median", "p90", "max"}`` of a sample; every statistic None when n == 0."""
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "median": None, "p90": None, "max": None}
    # sorted(values) would box every sample (32 bytes each, 16 MB for 500,000): a big
    # array of doubles is sorted by numpy instead, unboxed (imported only then: start-up
    # time). The figures are the same: fsum is exactly rounded, so order does not matter.
    ordered = sort(values)
    return describe_sorted(ordered, math.fsum(ordered))


def sort(values: Sequence[float]) -> Sequence[float]:
    """`values` in ascending order (a big array of doubles sorted unboxed, by numpy)."""
    if len(values) > BIG and isinstance(values, array):
        import numpy as np

        return np.sort(np.frombuffer(values, dtype=np.float64))  # type: ignore[return-value]
    return sorted(values)


def describe_sorted(ordered: Sequence[float], total: float) -> dict[str, float | int | None]:
    """What :func:`describe` says of a sample already sorted, whose ``math.fsum`` is `total`."""
    n = len(ordered)
    if n == 0:
        return {"n": 0, "mean": None, "median": None, "p90": None, "max": None}
    return {
        "n": n,
        "mean": round(total / n, DIGITS),
        "median": round(float(percentile(ordered, 50.0)), DIGITS),
        "p90": round(float(percentile(ordered, 90.0)), DIGITS),
        "max": round(float(ordered[-1]), DIGITS),
    }


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded, or None when there is nothing to take a share of."""
    return None if whole == 0 else round(part / whole, DIGITS)
