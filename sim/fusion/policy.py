"""A node's fusion policy and the periods its clusters cover."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Base rate that a claimed munition use in a sector is real before any evidence is
# weighed [A]: low, so that one usually-reliable source is not enough on its own.
DEFAULT_PRIOR = 0.2


@dataclass(frozen=True, slots=True)
class FusionPolicy:
    """A node's fusion rule: the period a cluster covers (hours) and the bar for an assessment.

    ``window`` is the length of the periods evidence is grouped by: a claimed use at
    ``t`` belongs to the period ``[k * window, (k + 1) * window)`` with
    ``k = floor(t / window)``, counted from the run's start.

    ``routes`` are the "sectors" that are supply routes: a cluster on one is a warning
    (indicators of shipments), judged by ``warning`` (window, min_sources,
    min_confidence) when given, else by the node's own bar.
    """

    window: float
    min_sources: int
    min_confidence: float
    prior: float = DEFAULT_PRIOR
    routes: frozenset[str] = frozenset()
    warning: tuple[float, int, float] | None = None

    def __post_init__(self) -> None:
        if not self.window > 0 or math.isinf(self.window):
            msg = f"fusion window must be a positive number of hours, got {self.window!r}"
            raise ValueError(msg)
        if isinstance(self.min_sources, bool) or not isinstance(self.min_sources, int):
            msg = f"min_sources must be an integer, got {self.min_sources!r}"
            raise ValueError(msg)
        if self.min_sources < 1:
            msg = f"min_sources must be >= 1, got {self.min_sources}"
            raise ValueError(msg)
        if not 0.0 <= self.min_confidence <= 1.0:
            msg = f"min_confidence must be between 0 and 1, got {self.min_confidence!r}"
            raise ValueError(msg)
        if not 0.0 < self.prior < 1.0:
            msg = f"prior must be strictly between 0 and 1, got {self.prior!r}"
            raise ValueError(msg)
        if self.warning is not None:
            window, min_sources, min_confidence = self.warning
            FusionPolicy(window, min_sources, min_confidence, self.prior)  # the same checks

    def window_for(self, sector: str) -> float:
        """The length of the periods evidence about `sector` (a sector or a route) falls in."""
        if self.warning is not None and sector in self.routes:
            return self.warning[0]
        return self.window

    def bar(self, sector: str) -> tuple[int, float]:
        """(min_sources, min_confidence) for an assessment about `sector`."""
        if self.warning is not None and sector in self.routes:
            return self.warning[1], self.warning[2]
        return self.min_sources, self.min_confidence

    def period(self, used_at: float, sector: str = "") -> tuple[float, float]:
        """The period ``[start, end)`` holding a claimed use at ``used_at`` hours."""
        return period_of(used_at, self.window_for(sector))

    def meets(self, confidence: float, sources: int, sector: str = "") -> bool:
        """Whether ``sources`` independent sources at ``confidence`` clear the bar for an
        assessment about `sector` (a warning's on a route, the node's otherwise)."""
        min_sources, min_confidence = self.bar(sector)
        return sources >= min_sources and confidence >= min_confidence


def period_of(used_at: float, window: float) -> tuple[float, float]:
    """``[k * window, (k + 1) * window)`` with ``k = floor(used_at / window)``.

    Fixed periods rather than a window sliding with the evidence: which cluster a piece
    of evidence joins depends only on what it claims, never on what arrived before it,
    so the clusters are the same whatever order evidence arrives in (and a faster link
    can only make evidence arrive sooner, never split or merge clusters).
    """
    k = math.floor(used_at / window)
    return k * window, (k + 1) * window
