"""What a metric's value is (a count, a share, a time, ...), and the range it can take.

Every metric declares its kind where it is defined (``sim.analysis.metrics.KINDS``);
the statistics over replications choose an interval by kind and keep it inside the
kind's range, so no table shows a share above 1 or a negative time.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """The kind of one metric of one run."""

    COUNT = "count"
    """A whole number of things in a run (reports, drops): 0, 1, 2, ..."""
    SHARE = "share"
    """A share in [0, 1] of a run's episodes or usages (coverage, share known by day d)."""
    TIME_MEAN = "time-mean"
    """The mean of a run's durations, in hours (≥ 0)."""
    TIME_QUANTILE = "time-quantile"
    """A quantile (median, p90) of a run's durations, in hours (≥ 0)."""
    TIME_MAX = "time-max"
    """The longest of a run's durations, in hours (≥ 0)."""
    TIME = "time"
    """One duration of the run (hours down, when it ended), in hours (≥ 0)."""
    CENSORED_TIME = "censored-time"
    """A time to knowledge estimated with censoring (Kaplan–Meier median), in hours (≥ 0).
    None in a replication means *not reached by the horizon* (longer than the run), not
    undefined: it counts as the largest value."""
    LEAD_TIME = "lead-time"
    """How long a warning came before what it warns of, in hours (negative: after it).
    None in a replication means *no warning by the horizon*: it counts as the smallest
    value (−∞), never as undefined, so a variant warning less never looks better."""
    NUMBER = "number"
    """Anything else: a real number with no known bounds."""

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) possible value; None where unbounded."""
        if self is Kind.SHARE:
            return 0.0, 1.0
        if self in (Kind.NUMBER, Kind.LEAD_TIME):
            return None, None
        return 0.0, None

    @property
    def is_time(self) -> bool:
        """Whether values are durations in hours."""
        return self in (
            Kind.TIME_MEAN,
            Kind.TIME_QUANTILE,
            Kind.TIME_MAX,
            Kind.TIME,
            Kind.CENSORED_TIME,
            Kind.LEAD_TIME,
        )

    @property
    def not_reached(self) -> float | None:
        """What None in a replication stands for: +∞ for a censored time (not reached by
        the horizon), −∞ for a lead time (no warning); None for other kinds (undefined)."""
        if self is Kind.CENSORED_TIME:
            return float("inf")
        if self is Kind.LEAD_TIME:
            return float("-inf")
        return None

    def difference_bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) possible B − A of two values of this kind."""
        low, high = self.bounds
        if low is None or high is None:
            return None, None
        return low - high, high - low
