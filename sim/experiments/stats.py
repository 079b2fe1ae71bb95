"""Confidence intervals over replications: Student t, bootstrap percentile, paired differences.

Pure functions of the values given; no I/O. A replication that cannot define a metric
(no episode was assessed, so there is no time to assessment) contributes None: it is
counted as undefined, never averaged as zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20240711  # fixed: the same values always give the same interval
BOOTSTRAP_RESAMPLES = 4000

# order statistics of a run (p90, max, …) are skewed across replications
_SKEWED = re.compile(r"(^|\.)(p\d+|max|min)$")

Value = float | int | None


@dataclass(frozen=True)
class Interval:
    """A mean and its confidence interval over the defined values of a metric.

    `low`/`high` are None when they cannot be computed (fewer than two values);
    `undefined` counts the replications where the metric had no value.
    """

    mean: float | None
    low: float | None
    high: float | None
    n: int
    undefined: int = 0
    method: str = "t"
    std: float | None = None

    @property
    def half_width(self) -> float | None:
        """Half the width of the interval (for a bootstrap interval, the larger side)."""
        if self.mean is None or self.low is None or self.high is None:
            return None
        return max(self.mean - self.low, self.high - self.mean)

    @property
    def total(self) -> int:
        """Replications seen, defined or not."""
        return self.n + self.undefined

    def as_dict(self) -> dict[str, float | int | str | None]:
        """Plain values for JSON and tables."""
        return {
            "mean": self.mean,
            "ci_low": self.low,
            "ci_high": self.high,
            "half_width": self.half_width,
            "std": self.std,
            "n": self.n,
            "undefined": self.undefined,
            "method": self.method,
        }


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


def is_skewed(metric: str) -> bool:
    """Whether a metric is an order statistic (p90, max, …): its mean gets a bootstrap CI."""
    return bool(_SKEWED.search(metric))


def t_half_width(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the Student t interval of a mean of n values with sample std `std`."""
    if n < 2:
        return math.inf
    return float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)


def mean_ci(values: Sequence[Value], confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student t interval of the defined values; bounds None below two values."""
    xs = defined(values)
    undefined = len(values) - len(xs)
    if not xs:
        return Interval(None, None, None, 0, undefined, "t")
    mean = math.fsum(xs) / len(xs)
    if len(xs) < 2:
        return Interval(mean, None, None, 1, undefined, "t")
    std = float(np.std(xs, ddof=1))
    half = t_half_width(std, len(xs), confidence)
    return Interval(mean, mean - half, mean + half, len(xs), undefined, "t", std)


def bootstrap_ci(
    values: Sequence[Value],
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Interval:
    """Mean and bootstrap percentile interval of the defined values (fixed resampling seed)."""
    xs = defined(values)
    undefined = len(values) - len(xs)
    if not xs:
        return Interval(None, None, None, 0, undefined, "bootstrap")
    data = np.asarray(xs)
    mean = float(math.fsum(xs) / len(xs))
    if len(xs) < 2:
        return Interval(mean, None, None, 1, undefined, "bootstrap")
    std = float(np.std(data, ddof=1))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(xs), size=(resamples, len(xs)))
    means = data[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    # a percentile bound may miss the sample mean by rounding when all values are equal
    return Interval(
        mean, min(float(low), mean), max(float(high), mean), len(xs), undefined, "bootstrap", std
    )


def summarize(metric: str, values: Sequence[Value], confidence: float = CONFIDENCE) -> Interval:
    """The interval fitting the metric: bootstrap for order statistics, Student t otherwise."""
    if is_skewed(metric):
        return bootstrap_ci(values, confidence)
    return mean_ci(values, confidence)


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
    a: Sequence[Value], b: Sequence[Value], confidence: float = CONFIDENCE
) -> PairedDiff:
    """B − A from paired values (a[i], b[i] share a seed); pairs missing either side are undefined.

    The interval is Student t over the paired differences, whatever the metric: a
    difference of order statistics is far less skewed than the statistics themselves.
    """
    if len(a) != len(b):
        msg = f"paired samples differ in length ({len(a)} vs {len(b)})"
        raise ValueError(msg)
    pairs = [
        (float(x), float(y))
        for x, y in zip(a, b, strict=True)
        if x is not None and y is not None and not math.isnan(float(x)) and not math.isnan(float(y))
    ]
    undefined = len(a) - len(pairs)
    xs = [x for x, _ in pairs]
    ys = [y for _, y in pairs]
    diffs = [y - x for x, y in pairs]
    interval = mean_ci(diffs, confidence)
    interval = Interval(
        interval.mean, interval.low, interval.high, interval.n, undefined, "paired-t", interval.std
    )
    return PairedDiff(
        mean_a=math.fsum(xs) / len(xs) if xs else None,
        mean_b=math.fsum(ys) / len(ys) if ys else None,
        diff=interval,
        var_a=sample_variance(xs),
        var_b=sample_variance(ys),
        var_diff=sample_variance(diffs),
    )


def replications_for(half_width: float, std: float, n: int, confidence: float = CONFIDENCE) -> int:
    """Replications a t interval needs for `half_width`, judged from a pilot of n with `std`."""
    if std <= 0:
        return n
    quantile = float(sps.t.ppf(0.5 + confidence / 2, max(n - 1, 1)))
    return max(n, math.ceil((quantile * std / half_width) ** 2))
