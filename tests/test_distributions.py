"""Distributions: one uniform per sample (inverse transform), right quantiles and means."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from pydantic import TypeAdapter, ValidationError

from sim.scenario.distributions import Distribution

ADAPTER: TypeAdapter[object] = TypeAdapter(Distribution)


def dist(spec: object):  # type: ignore[no-untyped-def]
    return ADAPTER.validate_python(spec)


def test_a_bare_duration_means_fixed() -> None:
    d = dist("2h")
    assert d.dist == "fixed" and d.value == 2.0
    assert d.sampler()(0.3) == 2.0


@pytest.mark.parametrize(
    ("spec", "median"),
    [
        ({"dist": "exponential", "mean": "6h"}, 6 * math.log(2)),
        ({"dist": "lognormal", "median": "12h", "sigma": 0.5}, 12.0),
        ({"dist": "uniform", "low": "1h", "high": "3h"}, 2.0),
        ({"dist": "triangular", "low": 0, "mode": 1, "high": 2}, 1.0),
        ({"dist": "fixed", "value": "90m"}, 1.5),
    ],
)
def test_the_sampler_is_the_inverse_cdf(spec: dict[str, object], median: float) -> None:
    d = dist(spec)
    draw = d.sampler()
    assert draw(0.5) == pytest.approx(median)
    assert d.median == pytest.approx(median)
    grid = [i / 100 for i in range(100)]
    values = [draw(u) for u in grid]
    assert values == sorted(values)  # monotone in u: a quantile function


@pytest.mark.parametrize(
    ("spec", "mean", "sd"),
    [
        ({"dist": "exponential", "mean": 6}, 6.0, 6.0),
        (
            {"dist": "lognormal", "median": 12, "sigma": 0.5},
            12 * math.exp(0.125),
            12 * math.exp(0.125) * math.sqrt(math.exp(0.25) - 1),
        ),
        ({"dist": "uniform", "low": 1, "high": 3}, 2.0, 2 / math.sqrt(12)),
        (
            {"dist": "triangular", "low": 0, "mode": 1, "high": 4},
            5 / 3,
            math.sqrt((0 + 1 + 16 - 0 - 0 - 4) / 18),
        ),
    ],
)
def test_sample_means_match_theory(spec: dict[str, object], mean: float, sd: float) -> None:
    n = 40_000
    rng = random.Random(11)
    draw = dist(spec).sampler()
    sample = [draw(rng.random()) for _ in range(n)]
    # the sample mean is within 4 standard errors of the true mean
    assert abs(statistics.fmean(sample) - mean) < 4 * sd / math.sqrt(n)
    assert dist(spec).mean == pytest.approx(mean)


def test_lognormal_at_u_zero_is_finite() -> None:
    assert 0 <= dist({"dist": "lognormal", "median": 1, "sigma": 2}).sampler()(0.0) < 1e-6


@pytest.mark.parametrize(
    "bad",
    [
        {"dist": "gamma", "mean": 1},
        {"dist": "lognormal", "median": "12h"},
        {"dist": "exponential", "mean": 0},
        {"dist": "uniform", "low": 3, "high": 1},
        {"dist": "triangular", "low": 0, "mode": 5, "high": 2},
        {"dist": "fixed", "value": "soon"},
        {"dist": "exponential", "mean": 1, "sigma": 2},
    ],
)
def test_bad_distributions_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        dist(bad)
