"""Confidence intervals over replications, chosen by each metric's declared kind.

Pure functions of the values given; no I/O. The methods themselves, and the
measurements that chose them, are in `sim.experiments.intervals` and
`sim.experiments.coverage`. A replication that cannot define a metric (no episode was
assessed, so there is no time to assessment) contributes None: it is counted as
undefined, never averaged as zero. For a censored time (a Kaplan–Meier median), None
means *not reached by the horizon*: it counts as longer than every value reached; for a
lead time (a warning ahead of first use), None means *no warning*: it counts as shorter
than every lead reached (``Kind.not_reached``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from sim.analysis.kinds import Kind
from sim.analysis.metrics import kind_of
from sim.experiments.intervals import (
    CONFIDENCE,
    PAIRED,
    interval_arrays,
    median_order_statistics,
    method_for,
    paired_arrays,
)

Value = float | int | None


@dataclass(frozen=True)
class Interval:
    """An estimate and its confidence interval over the defined values of a metric.

    `mean` is the estimate: the mean, or for a censored time the median over
    replications (inf when most did not reach it). `low`/`high` are None when they
    cannot be computed (fewer than two values); `undefined` counts the replications
    where the metric had no value, `censored` those (counted in n) beyond the horizon.
    """

    mean: float | None
    low: float | None
    high: float | None
    n: int
    undefined: int = 0
    method: str = "t"
    std: float | None = None
    kind: Kind = Kind.NUMBER
    censored: int = 0

    @property
    def half_width(self) -> float | None:
        """Half the width of the interval (for an asymmetric interval, the larger side)."""
        if self.mean is None or self.low is None or self.high is None:
            return None
        return max(self.mean - self.low, self.high - self.mean)

    @property
    def total(self) -> int:
        """Replications seen, defined or not."""
        return self.n + self.undefined

    def as_dict(self) -> dict[str, float | int | str | None]:
        """Plain values for JSON and tables (beyond the horizon, inf, is None)."""
        return {
            "mean": _finite(self.mean),
            "ci_low": _finite(self.low),
            "ci_high": _finite(self.high),
            "half_width": _finite(self.half_width),
            "std": self.std,
            "n": self.n,
            "undefined": self.undefined,
            "method": self.method,
            "kind": self.kind.value,
            "censored": self.censored,
        }


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


@dataclass(frozen=True)
class PairedDiff:
    """B − A over paired replications (same seeds on both sides), with its interval."""

    mean_a: float | None
    mean_b: float | None
    diff: Interval
    var_a: float | None
    var_b: float | None
    var_diff: float | None

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval of the difference lies wholly on one side of zero."""
        d = self.diff
        return d.low is not None and d.high is not None and (d.low > 0 or d.high < 0)

    @property
    def variance_reduction(self) -> float | None:
        """(Var A + Var B) / Var(B − A): how much pairing tightened the interval."""
        return variance_reduction_factor(self.var_a, self.var_b, self.var_diff)

    def as_dict(self) -> dict[str, float | int | str | bool | None]:
        """Plain values for JSON and tables."""
        return {
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "diff": self.diff.mean,
            "ci_low": self.diff.low,
            "ci_high": self.diff.high,
            "half_width": self.diff.half_width,
            "excludes_zero": self.excludes_zero,
            "n": self.diff.n,
            "undefined": self.diff.undefined,
            "variance_reduction": self.variance_reduction,
        }


def defined(values: Sequence[Value]) -> list[float]:
    """The values that are numbers (None and NaN are undefined)."""
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def t_half_width(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the Student t interval of a mean of n values with sample std `std`."""
    if n < 2:
        return math.inf
    return float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)


def interval(kind: Kind, values: Sequence[Value], confidence: float = CONFIDENCE) -> Interval:
    """The estimate and interval of a metric of this kind, by the method chosen for it."""
    beyond = kind.not_reached
    if beyond is not None:
        xs = [beyond if v is None or math.isnan(float(v)) else float(v) for v in values]
        undefined, censored = 0, sum(1 for x in xs if math.isinf(x))
    else:
        xs = defined(values)
        undefined, censored = len(values) - len(xs), 0
    if not xs:
        return Interval(None, None, None, 0, undefined, method_for(kind), None, kind)
    data = np.asarray(xs)
    std = sample_std([x for x in xs if math.isfinite(x)])
    method = method_for(kind, data)
    if len(xs) < 2:
        return Interval(xs[0], None, None, 1, undefined, method, std, kind, censored)
    estimate, low, high = (float(v) for v in interval_arrays(kind, data, confidence))
    return Interval(estimate, low, high, len(xs), undefined, method, std, kind, censored)


def mean_ci(values: Sequence[Value], confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student t interval of the defined values (a number of unknown kind)."""
    return interval(Kind.NUMBER, values, confidence)


def summarize(metric: str, values: Sequence[Value], confidence: float = CONFIDENCE) -> Interval:
    """The interval of a metric by its declared kind (`sim.analysis.metrics.KINDS`)."""
    return interval(kind_of(metric), values, confidence)


def sample_variance(values: Sequence[float]) -> float | None:
    """Unbiased sample variance, None below two values."""
    return float(np.var(values, ddof=1)) if len(values) >= 2 else None


def variance_reduction_factor(
    var_a: float | None, var_b: float | None, var_diff: float | None
) -> float | None:
    """(Var A + Var B) / Var(A − B); inf if pairing removed all variance, None if undefined."""
    if var_a is None or var_b is None or var_diff is None:
        return None
    unpaired = var_a + var_b
    if var_diff <= 0:
        return math.inf if unpaired > 0 else None
    return unpaired / var_diff


def paired_diff_ci(
    a: Sequence[Value],
    b: Sequence[Value],
    confidence: float = CONFIDENCE,
    kind: Kind = Kind.NUMBER,
) -> PairedDiff:
    """B − A from paired values (a[i], b[i] share a seed); pairs missing either side are undefined.

    The interval is Student t over the paired differences, whatever the kind (measured:
    a difference of order statistics is far less skewed than the statistics), kept
    within what a difference of the kind can be (±1 for shares). A censored time is
    compared as it is summarised: see `censored_paired_diff`.
    """
    if len(a) != len(b):
        msg = f"paired samples differ in length ({len(a)} vs {len(b)})"
        raise ValueError(msg)
    if kind.not_reached is not None:
        return censored_paired_diff(a, b, confidence, kind)
    pairs = [
        (float(x), float(y))
        for x, y in zip(a, b, strict=True)
        if x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))
    ]
    undefined = len(a) - len(pairs)
    xs = [x for x, _ in pairs]
    ys = [y for _, y in pairs]
    diffs = [y - x for x, y in pairs]
    n = len(diffs)
    mean = math.fsum(diffs) / n if diffs else None
    low = high = None
    if n >= 2:
        _, lo, hi = paired_arrays(kind, np.asarray(diffs), confidence)
        low, high = float(lo), float(hi)
    diff = Interval(mean, low, high, n, undefined, f"paired-{PAIRED}", sample_std(diffs), kind)
    return PairedDiff(
        mean_a=math.fsum(xs) / len(xs) if xs else None,
        mean_b=math.fsum(ys) / len(ys) if ys else None,
        diff=diff,
        var_a=sample_variance(xs),
        var_b=sample_variance(ys),
        var_diff=sample_variance(diffs),
    )


def censored_paired_diff(
    a: Sequence[Value],
    b: Sequence[Value],
    confidence: float = CONFIDENCE,
    kind: Kind = Kind.CENSORED_TIME,
) -> PairedDiff:
    """B − A of a censored time: the median of the paired differences, distribution-free.

    None (not reached by the horizon) is longer than any time: B reaching it where A
    did not is a difference of −∞ (B sooner by more than the run could show), and the
    reverse +∞; a pair where neither reached it is undefined. Dropping the pairs with
    one side not reached would drop the very replications where the sides differ most.
    The sides are summarised by their medians over replications, as in their intervals.
    A lead time is compared the same way, None (no warning) being the shortest lead: B
    warning where A did not is +∞.
    """
    beyond = kind.not_reached
    assert beyond is not None  # a censored or lead time
    sides = [(_unless_none(x, beyond), _unless_none(y, beyond)) for x, y in zip(a, b, strict=True)]
    diffs = [_censored_gap(x, y) for x, y in sides if not (math.isinf(x) and math.isinf(y))]
    undefined = len(sides) - len(diffs)
    low: float | None = None
    high: float | None = None
    estimate: float | None = None
    if diffs:
        triple = median_order_statistics(np.asarray(diffs), confidence)
        estimate = float(triple[0])
        if len(diffs) >= 2:
            low, high = float(triple[1]), float(triple[2])
    finite = [d for d in diffs if math.isfinite(d)]
    diff = Interval(
        estimate,
        low,
        high,
        len(diffs),
        undefined,
        "paired-median-os",
        sample_std(finite),
        kind,
    )
    return PairedDiff(
        mean_a=float(np.median([x for x, _ in sides])) if sides else None,
        mean_b=float(np.median([y for _, y in sides])) if sides else None,
        diff=diff,
        var_a=None,
        var_b=None,
        var_diff=None,
    )


def _unless_none(value: Value, beyond: float) -> float:
    return beyond if value is None or math.isnan(float(value)) else float(value)


def _censored_gap(a: float, b: float) -> float:
    """b − a, where a side not reached (±inf) makes the gap infinite towards the other."""
    if math.isinf(a):
        return -a
    if math.isinf(b):
        return b
    return b - a


def sample_std(values: Sequence[float]) -> float | None:
    """Sample standard deviation, None below two values."""
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def replications_for(half_width: float, std: float, n: int, confidence: float = CONFIDENCE) -> int:
    """Replications a t interval needs for `half_width`, judged from a pilot of n with `std`."""
    if std <= 0:
        return n
    quantile = float(sps.t.ppf(0.5 + confidence / 2, max(n - 1, 1)))
    return max(n, math.ceil((quantile * std / half_width) ** 2))
