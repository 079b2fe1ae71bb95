"""Small descriptive statistics over samples, with n, and None where a sample is empty."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence

DIGITS = 6  # metrics.json stays readable and byte-stable across platforms
RUN = 1 << 16  # a big array sample is sorted in runs of this many (memory stays flat)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted ``values``, linear between ranks (numpy's default)."""
    if not values:
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
    # array is sorted in runs instead and the few ranks needed found by bisection. The
    # figures are the same: fsum is exactly rounded, so the order does not matter.
    big = n > RUN and isinstance(values, array)
    ordered: Sequence[float] = _Ranked(values) if big else sorted(values)  # type: ignore[arg-type]
    return {
        "n": n,
        "mean": round(math.fsum(ordered) / n, DIGITS),
        "median": round(percentile(ordered, 50.0), DIGITS),
        "p90": round(percentile(ordered, 90.0), DIGITS),
        "max": round(ordered[-1], DIGITS),
    }


class _Ranked(Sequence[float]):
    """The sorted order of a big array sample, read by rank without sorting it whole."""

    def __init__(self, values: array[float]) -> None:
        self.n = len(values)
        self.runs = [array("d", sorted(values[i : i + RUN])) for i in range(0, self.n, RUN)]

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[float]:  # fsum: any order will do
        for run in self.runs:
            yield from run

    def _at_most(self, x: float) -> int:
        return sum(bisect_right(run, x) for run in self.runs)

    def __getitem__(self, rank: int) -> float:  # type: ignore[override]
        """The value of rank `rank` (0-based, -1 the largest): least x with > rank values <= x."""
        if rank < 0:
            rank += self.n
        best: float | None = None
        for run in self.runs:
            lo, hi = 0, len(run)
            while lo < hi:
                mid = (lo + hi) // 2
                if self._at_most(run[mid]) > rank:
                    hi = mid
                else:
                    lo = mid + 1
            if lo < len(run) and (best is None or run[lo] < best):
                best = run[lo]
        assert best is not None
        return best


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded, or None when there is nothing to take a share of."""
    return None if whole == 0 else round(part / whole, DIGITS)
