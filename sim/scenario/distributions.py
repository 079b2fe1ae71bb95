"""Distributions of durations, as written in scenario files, and their samplers.

Every sampler draws exactly one uniform number per sample (inverse transform). That
keeps each component's random stream aligned across what-if variants: changing a
link's median latency changes the values drawn, never how many draws later ones see,
which is what makes paired comparisons with common random numbers tight.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.scenario.numbers import Real
from sim.scenario.units import parse_duration

Hours = Annotated[float, BeforeValidator(parse_duration)]
Sampler = Callable[[float], float]  # maps a uniform u in [0, 1) to a sample in hours

_STD_NORMAL = NormalDist()
_LOG_LARGEST = 709.0  # exp(709) ~ 8e307 hours: the largest duration a sample may take


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixed(_Dist):
    """Always the same duration."""

    dist: Literal["fixed"] = "fixed"
    value: Hours

    def sampler(self) -> Sampler:
        value = self.value
        return lambda u: value

    @property
    def mean(self) -> float:
        return self.value

    @property
    def median(self) -> float:
        return self.value


class Exponential(_Dist):
    """Memoryless durations with the given mean."""

    dist: Literal["exponential"]
    mean: Hours = Field(gt=0)

    def sampler(self) -> Sampler:
        mean = self.mean
        return lambda u: -mean * math.log(1.0 - u)

    @property
    def median(self) -> float:
        return self.mean * math.log(2)


class Lognormal(_Dist):
    """Right-skewed durations: median and sigma (of the log)."""

    dist: Literal["lognormal"]
    median: Hours = Field(gt=0)
    sigma: Real = Field(ge=0)

    def sampler(self) -> Sampler:
        mu, sigma, inv = math.log(self.median), self.sigma, _STD_NORMAL.inv_cdf

        def draw(u: float) -> float:
            # inv_cdf is undefined at 0; u comes from random() so it is in [0, 1)
            # an absurd median or sigma would overflow: such a time is "never" anyway
            return math.exp(min(mu + sigma * inv(u if u > 0.0 else 5e-324), _LOG_LARGEST))

        return draw

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class Uniform(_Dist):
    """Durations equally likely between low and high."""

    dist: Literal["uniform"]
    low: Hours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be ≥ low")
        return self

    def sampler(self) -> Sampler:
        low, width = self.low, self.high - self.low
        return lambda u: low + width * u

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def median(self) -> float:
        return self.mean


class Triangular(_Dist):
    """Durations between low and high, most often near mode."""

    dist: Literal["triangular"]
    low: Hours
    mode: Hours
    high: Hours

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("expected low ≤ mode ≤ high")
        return self

    def sampler(self) -> Sampler:
        low, mode, high = self.low, self.mode, self.high
        width = high - low
        if width == 0:
            return lambda u: low
        cut = (mode - low) / width

        def draw(u: float) -> float:
            if u < cut:
                return low + math.sqrt(u * width * (mode - low))
            return high - math.sqrt((1 - u) * width * (high - mode))

        return draw

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def median(self) -> float:
        return self.sampler()(0.5)


AnyDist = Annotated[
    Fixed | Exponential | Lognormal | Uniform | Triangular, Field(discriminator="dist")
]


def bare_duration_as_fixed(value: Any) -> Any:
    """A bare duration ("2h", 3) means fixed; a mapping without `dist` is an error later."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[AnyDist, BeforeValidator(bare_duration_as_fixed)]
