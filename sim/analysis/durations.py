"""A sample of durations that keeps its zeros as a count (the metrics' distributions).

A run's distributions (report latency, queue wait, transit, ...) need every value for
exact medians, so they grow with the run; but many of their values are exactly zero
(a collector reporting at once, an analyst free when a report arrives). Those are
counted, not stored: :meth:`Durations.describe` gives what
:func:`sim.analysis.stats_basic.describe` gives of the whole sample, figure for figure
(the sum is exactly rounded, so zeros change nothing in it; the sorted sample is the
stored values with the zeros in their place).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence
from math import copysign, fsum
from typing import overload

from sim.analysis.stats_basic import describe_sorted, sort


class Durations:
    """Append-only sample of floats; ``+0.0`` values are only counted."""

    __slots__ = ("values", "zeros")

    def __init__(self) -> None:
        self.values: array[float] = array("d")  # every value but +0.0 (-0.0 is kept)
        self.zeros = 0

    def append(self, value: float) -> None:
        """Add one value to the sample."""
        if value or copysign(1.0, value) < 0.0:
            self.values.append(value)
        else:
            self.zeros += 1

    def __len__(self) -> int:
        return len(self.values) + self.zeros

    def describe(self) -> dict[str, float | int | None]:
        """``{"n", "mean", "median", "p90", "max"}``, as ``describe`` of the whole sample."""
        ordered = sort(self.values)
        total = fsum(ordered)
        if self.zeros:
            ordered = _WithZeros(ordered, self.zeros)
        return describe_sorted(ordered, total)


class _WithZeros(Sequence[float]):
    """A sorted sample with `zeros` values of 0.0 inserted in their place (read by index)."""

    def __init__(self, ordered: Sequence[float], zeros: int) -> None:
        self.ordered = ordered
        self.zeros = zeros
        self.at = bisect_left(ordered, 0.0)  # the zeros go before the first value >= 0

    def __len__(self) -> int:
        return len(self.ordered) + self.zeros

    @overload
    def __getitem__(self, i: int) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[float]: ...
    def __getitem__(self, i: int | slice) -> float | Sequence[float]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if i < self.at:
            return self.ordered[i]
        if i < self.at + self.zeros:
            return 0.0
        return self.ordered[i - self.zeros]
