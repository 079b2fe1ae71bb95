"""Kaplan–Meier estimates of time to an event, with right-censoring.

Time to knowledge of a usage is censored when the run ends before the node knows it:
averaging only the usages that were found would make a node that finds fewer, but
early, usages look faster. The product-limit estimator uses every usage: a censored
one counts as "not known yet" for as long as it was followed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


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
            if s <= 0.5:
                return t
        return None


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> Survival:
    """The product-limit estimate from each item's time and whether it was observed.

    ``durations[i]`` is the time to the event when ``observed[i]``, else the time the
    item was followed without it (censored). At a tied time, events come before
    censorings (the usual convention: an item censored at t was at risk at t).
    """
    if len(durations) != len(observed):
        msg = f"{len(durations)} durations but {len(observed)} observed flags"
        raise ValueError(msg)
    if any(d < 0 for d in durations):
        msg = "durations must be >= 0"
        raise ValueError(msg)
    items = sorted(zip(durations, observed, strict=True), key=lambda x: (x[0], not x[1]))
    n = len(items)
    times: list[float] = []
    survival: list[float] = []
    s, at_risk, i, events = 1.0, n, 0, 0
    while i < n:
        t = items[i][0]
        died = censored = 0
        while i < n and items[i][0] == t:
            if items[i][1]:
                died += 1
            else:
                censored += 1
            i += 1
        if died:
            s *= 1.0 - died / at_risk
            times.append(t)
            survival.append(s)
            events += died
        at_risk -= died + censored
    horizon = items[-1][0] if items else 0.0
    closed = bool(items) and all(o for d, o in items if d == horizon)
    return Survival(tuple(times), tuple(survival), n, events, horizon, closed)
