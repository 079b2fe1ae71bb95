"""Kaplan–Meier estimates of time to an event, with right-censoring.

Time to knowledge of a usage is censored when the run ends before the node knows it:
averaging only the usages that were found would make a node that finds fewer, but
early, usages look faster. The product-limit estimator uses every usage: a censored
one counts as "not known yet" for as long as it was followed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported when an estimate is made: it costs every command start-up
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Survival:
    """The product-limit estimate S(t) = P(time > t), a step function.

    ``times`` are the distinct times at which something became known, in order, and
    ``survival[i]`` is S just after ``times[i]``. ``horizon`` is the longest time any
    item was followed; past it the estimate says nothing (unless the last item followed
    was known then, when S is fixed from there on).
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    n: int
    events: int
    horizon: float
    closed: bool  # every longest-followed item was known: S is fixed past `horizon`

    def at(self, t: float) -> float | None:
        """S(t), or None past the horizon (the data cannot say)."""
        if self.n == 0 or (t > self.horizon and not self.closed):
            return None
        i = bisect_right(self.times, t)
        return 1.0 if i == 0 else self.survival[i - 1]

    def share_by(self, t: float) -> float | None:
        """Estimated share known within ``t``: 1 − S(t), or None past the horizon."""
        s = self.at(t)
        return None if s is None else 1.0 - s

    def median(self) -> float | None:
        """The smallest t with S(t) <= 0.5, or None if fewer than half are ever known."""
        for t, s in zip(self.times, self.survival, strict=True):
            if s <= 0.5 + 1e-12:  # a product of fractions that is 1/2 may round above it
                return t
        return None


def kaplan_meier(
    durations: Sequence[float] | npt.NDArray[np.float64],
    observed: Sequence[bool] | npt.NDArray[np.bool_],
) -> Survival:
    """The product-limit estimate from each item's time and whether it was observed.

    ``durations[i]`` is the time to the event when ``observed[i]``, else the time the
    item was followed without it (censored). At a tied time, events come before
    censorings (the usual convention: an item censored at t was at risk at t).
    Vectorised (numpy): a run's tens of thousands of usages take milliseconds.
    """
    import numpy as np

    if len(durations) != len(observed):
        msg = f"{len(durations)} durations but {len(observed)} observed flags"
        raise ValueError(msg)
    d = np.asarray(durations, dtype=np.float64)
    o = np.asarray(observed, dtype=bool)
    if d.size and not (d >= 0).all():
        msg = "durations must be >= 0"
        raise ValueError(msg)
    n = int(d.size)
    if n == 0:
        return Survival((), (), 0, 0, 0.0, False)
    d_sorted = np.sort(d)
    event_times = np.sort(d[o])
    times, deaths = np.unique(event_times, return_counts=True)
    at_risk = n - np.searchsorted(d_sorted, times, side="left")
    survival = np.cumprod((at_risk - deaths) / at_risk)
    horizon = float(d_sorted[-1])
    closed = bool(o[d == horizon].all())
    return Survival(
        tuple(float(x) for x in times),
        tuple(float(x) for x in survival),
        n,
        int(o.sum()),
        horizon,
        closed,
    )


def kaplan_meier_plain(durations: Sequence[float], observed: Sequence[bool]) -> Survival:
    """:func:`kaplan_meier` in plain Python, to the same floats, step by step as numpy
    takes it: for a run's few thousand usages, importing numpy (~0.1 s) costs more than
    these loops (a run's metrics are made this way when they are small)."""
    if len(durations) != len(observed):
        msg = f"{len(durations)} durations but {len(observed)} observed flags"
        raise ValueError(msg)
    if any(d < 0 for d in durations):
        msg = "durations must be >= 0"
        raise ValueError(msg)
    n = len(durations)
    if n == 0:
        return Survival((), (), 0, 0, 0.0, False)
    horizon = max(durations)
    closed = all(o for d, o in zip(durations, observed, strict=True) if d == horizon)
    d_sorted = sorted(durations)
    times: list[float] = []  # distinct times something became known, and how many each
    deaths: list[int] = []
    for d in sorted(d for d, o in zip(durations, observed, strict=True) if o):
        if times and times[-1] == d:
            deaths[-1] += 1
        else:
            times.append(d)
            deaths.append(1)
    survival: list[float] = []
    s = 1.0
    for t, died in zip(times, deaths, strict=True):
        at_risk = n - bisect_left(d_sorted, t)
        q = (at_risk - died) / at_risk  # exact ints: the same double as numpy's
        s = s * q if survival else q  # numpy's cumprod: the first factor as it is
        survival.append(s)
    return Survival(tuple(times), tuple(survival), n, sum(deaths), float(horizon), closed)
