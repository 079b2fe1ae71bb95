"""Interval methods over replications, one per kind of metric, each inside the kind's range.

Each method was chosen by measuring its coverage on models with known truth at 5, 10
and 30 replications (`sim.experiments.coverage`; the table is in docs/statistics.md):

- count: quasi-Poisson score interval (dispersion estimated), t quantile;
- share: Wilson score when every replication's value is 0 or 1 (a yes/no per
  replication: a binomial count of replications), else t on the logit scale of the mean;
- time-mean, time-quantile, time-max, time: t on the log scale of the mean (delta method);
- censored-time and lead-time: the median over replications, with the distribution-free
  interval from order statistics, interpolated (Hettmansperger–Sheather);
- number: Student t;
- paired differences: Student t on the differences, clipped to what a difference can be.

The functions here take an array whose last axis holds the replications of one
experiment (every value defined) and return (estimate, low, high) arrays over the
leading axes: the coverage study runs this very code on thousands of experiments at
once. The estimate is the mean, except for censored times (the median).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats as sps

from sim.analysis.kinds import Kind

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240711  # fixed: the same values always give the same interval

Array = np.ndarray
Triple = tuple[Array, Array, Array]  # estimate, low, high


@lru_cache(maxsize=1024)
def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided Student t quantile for n values (n − 1 degrees of freedom)."""
    return float(sps.t.ppf(0.5 + confidence / 2, max(n - 1, 1)))


@lru_cache(maxsize=16)
def z_quantile(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile."""
    return float(sps.norm.ppf(0.5 + confidence / 2))


def _mean_sd(x: Array) -> tuple[Array, Array, int]:
    # the ufuncs themselves: x.mean() and x.std() cost ten times more on the few values
    # of one experiment, and a sweep summarises every metric at every point
    n = x.shape[-1]
    m = np.add.reduce(x, axis=-1) / n
    d = x - m[..., None] if x.ndim > 1 else x - m
    return m, np.sqrt(np.add.reduce(d * d, axis=-1) / max(n - 1, 1)), n


def student_t(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """Mean ± t · s / √n."""
    m, s, n = _mean_sd(x)
    half = t_quantile(n, confidence) * s / np.sqrt(n)
    return m, m - half, m + half


def log_t(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """For positive values: m · exp(± t · s / (m √n)), the t interval of log(mean).

    Never below 0; asymmetric like the sampling distribution of a mean of skewed
    positive values. A mean of 0 (every value 0) gives [0, 0].
    """
    m, s, n = _mean_sd(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(m > 0, t_quantile(n, confidence) * s / (np.sqrt(n) * m), 0.0)
    return m, m * np.exp(-spread), m * np.exp(spread)


def logit_t(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """For a mean of shares in [0, 1]: the t interval of logit(mean), mapped back.

    Inside (0, 1) whenever the mean is; a mean of exactly 0 or 1 gives [m, m].
    """
    m, s, n = _mean_sd(x)
    inside = (m > 0) & (m < 1)
    safe = np.where(inside, m, 0.5)
    centre = np.log(safe / (1 - safe))
    spread = t_quantile(n, confidence) * s / (np.sqrt(n) * safe * (1 - safe))
    low = 1 / (1 + np.exp(-(centre - spread)))
    high = 1 / (1 + np.exp(-(centre + spread)))
    return m, np.where(inside, low, m), np.where(inside, high, m)


def wilson(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """Wilson score interval of a binomial share: values 0 or 1, one per replication."""
    m = x.mean(axis=-1)
    n = x.shape[-1]
    z = z_quantile(confidence)
    denominator = 1 + z * z / n
    centre = (m + z * z / (2 * n)) / denominator
    half = z * np.sqrt(m * (1 - m) / n + z * z / (4 * n * n)) / denominator
    # at 0 of n (n of n) the bound is exactly 0 (1): rounding would leave 3e-17
    low = np.where(m == 0, 0.0, np.maximum(centre - half, 0.0))
    high = np.where(m == 1, 1.0, np.minimum(centre + half, 1.0))
    return m, low, high


def is_binary(x: Array) -> Array:
    """Per experiment: whether every value is exactly 0 or 1."""
    return np.all((x == 0) | (x == 1), axis=-1)


def share_interval(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """Wilson where every replication's share is 0 or 1, logit-t otherwise (per experiment)."""
    binary = is_binary(x)
    m, low_w, high_w = wilson(x, confidence)
    _, low_l, high_l = logit_t(x, confidence)
    return m, np.where(binary, low_w, low_l), np.where(binary, high_w, high_l)


def quasi_poisson(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """Score interval of a mean count with variance φ·μ, φ = s² / m estimated.

    Solves (m − μ)² ≤ q² φ μ / n for μ (q the t quantile). All counts 0 (a rare
    event not seen): φ = 1, the Poisson bound; all counts equal and positive (a
    count fixed by the scenario): [m, m].
    """
    m, s, n = _mean_sd(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(s > 0, s * s / np.where(m > 0, m, 1.0), np.where(m > 0, 0.0, 1.0))
    a = t_quantile(n, confidence) ** 2 * phi / n
    centre = m + a / 2
    half = np.sqrt(a * m + a * a / 4)
    return m, np.maximum(centre - half, 0.0), centre + half


@lru_cache(maxsize=1024)
def _order_ranks(n: int, confidence: float) -> tuple[int, float]:
    """(d, λ): the interval lies between ranks d and d+1 (1-based) from each end, λ of the way."""

    def cover(d: int) -> float:  # P(X(d) ≤ median ≤ X(n−d+1)) for continuous data
        return 1.0 - 2.0 * float(sps.binom.cdf(d - 1, n, 0.5))

    d = 1
    while d + 1 <= n // 2 and cover(d + 1) >= confidence:
        d += 1
    if cover(d) < confidence or 2 * d + 1 > n:
        return d, 0.0  # the widest interval there is (n small): no interpolation
    g_d, g_next = cover(d), cover(d + 1)
    share = (g_d - confidence) / (g_d - g_next)
    lam = (n - d) * share / (d + (n - 2 * d) * share)
    return d, lam


def _blend(outer: Array, inner: Array, lam: float) -> Array:
    """(1 − λ) outer + λ inner; where either is infinite, the outer (the wider interval)."""
    if lam == 0.0:
        return outer
    with np.errstate(invalid="ignore"):
        out = (1 - lam) * outer + lam * inner
    return np.where(np.isinf(outer) | np.isinf(inner), outer, out)


def median_order_statistics(x: Array, confidence: float = CONFIDENCE) -> Triple:
    """Median over replications and its distribution-free interval (values may be ±inf).

    Between the d-th smallest and d-th largest values, interpolated towards the next
    pair (Hettmansperger and Sheather, 1986) so that coverage is close to `confidence`;
    at n = 5 the widest interval, [min, max], covers 93.75%.
    """
    n = x.shape[-1]
    ordered = np.sort(x, axis=-1)
    d, lam = _order_ranks(n, confidence)
    inner = min(d, n - 1)  # a single value is its own interval
    low = _blend(ordered[..., d - 1], ordered[..., inner], lam)
    high = _blend(ordered[..., n - d], ordered[..., n - 1 - inner], lam)
    return np.median(ordered, axis=-1), low, high


def bootstrap_percentile(
    x: Array,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Triple:
    """Percentile bootstrap of the mean (measured for comparison; too narrow at small n)."""
    n = x.shape[-1]
    flat = x.reshape(-1, n)
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    low, high = np.empty(len(flat)), np.empty(len(flat))
    chunk = max(1, 2_000_000 // (resamples * n))
    for start in range(0, len(flat), chunk):
        rows = flat[start : start + chunk]
        means = rows[:, rng.integers(0, n, size=(resamples, n))].mean(axis=-1)
        low[start : start + chunk], high[start : start + chunk] = np.quantile(
            means, [alpha, 1 - alpha], axis=1
        )
    shape = x.shape[:-1]
    return x.mean(axis=-1), low.reshape(shape), high.reshape(shape)


@dataclass(frozen=True)
class Method:
    """An interval method: its name in files, what it does in a few words, its compute, and
    a short label for table columns."""

    name: str
    description: str
    compute: Callable[[Array, float], Triple]
    short: str = ""


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("t", "Student t", student_t, "t"),
        Method("log-t", "t on the log scale of the mean (times)", log_t, "log"),
        Method("logit-t", "t on the logit scale of the mean (shares)", logit_t, "logit"),
        Method("wilson", "Wilson score (a yes/no per replication)", wilson, "Wilson"),
        Method("share", "Wilson if every value is 0 or 1, else logit-t", share_interval),
        Method("quasi-poisson", "quasi-Poisson score (counts)", quasi_poisson, "qPois"),
        Method(
            "median-os",
            "median over replications, order statistics (censored times)",
            median_order_statistics,
            "median",
        ),
        Method("paired-t", "Student t of paired differences", student_t, "t"),
        Method(
            "paired-median-os",
            "median of paired differences, order statistics (censored times)",
            median_order_statistics,
            "median",
        ),
        Method("bootstrap", "bootstrap percentile (not used: too narrow)", bootstrap_percentile),
    )
}

CHOSEN: dict[Kind, str] = {
    Kind.COUNT: "quasi-poisson",
    Kind.SHARE: "share",
    Kind.TIME_MEAN: "log-t",
    Kind.TIME_QUANTILE: "log-t",
    Kind.TIME_MAX: "log-t",
    Kind.TIME: "log-t",
    Kind.CENSORED_TIME: "median-os",
    Kind.LEAD_TIME: "median-os",
    Kind.NUMBER: "t",
}
PAIRED = "t"  # differences: Student t, whatever the kind


def method_for(kind: Kind, values: Array | None = None) -> str:
    """The method a kind's interval uses; for a share, resolved on the values if given."""
    name = CHOSEN[kind]
    if name == "share" and values is not None:
        return "wilson" if bool(is_binary(values)) else "logit-t"
    return name


def clip(kind_bounds: tuple[float | None, float | None], triple: Triple) -> Triple:
    """Keep estimate and bounds inside (low, high) (rounding can step over an edge)."""
    low, high = kind_bounds
    estimate, lo, hi = triple
    if low is not None:
        estimate, lo, hi = np.maximum(estimate, low), np.maximum(lo, low), np.maximum(hi, low)
    if high is not None:
        estimate, lo, hi = np.minimum(estimate, high), np.minimum(lo, high), np.minimum(hi, high)
    return estimate, lo, hi


def interval_arrays(kind: Kind, x: Array, confidence: float = CONFIDENCE) -> Triple:
    """(estimate, low, high) per experiment (rows of defined replications) for a kind."""
    return clip(kind.bounds, METHODS[CHOSEN[kind]].compute(x, confidence))


def paired_arrays(kind: Kind, diffs: Array, confidence: float = CONFIDENCE) -> Triple:
    """(mean, low, high) of B − A per experiment from paired differences, inside their range."""
    return clip(kind.difference_bounds(), student_t(diffs, confidence))
