"""A sample that counts its zeros describes exactly as the whole sample does."""

from __future__ import annotations

import random

import pytest

from sim.analysis.durations import Durations
from sim.analysis.stats_basic import BIG, describe


def _samples() -> list[list[float]]:
    rng = random.Random(7)
    mixed = [0.0 if rng.random() < 0.4 else rng.expovariate(2.0) for _ in range(5000)]
    big = [0.0 if rng.random() < 0.3 else rng.expovariate(0.5) for _ in range(BIG + 5000)]
    return [
        [],
        [0.0],
        [0.0, 0.0, 0.0],
        [1.5],
        [0.0, 2.0, 0.0, 1.0],
        [-1.0, 0.0, 3.0, 0.0, -0.5],  # values below zero (no run has them) keep their place
        mixed,
        big,  # sorted by numpy, unboxed
        [0.0] * (BIG + 10) + [4.0],  # mostly zeros: the median is one of them
    ]


@pytest.mark.parametrize("sample", _samples(), ids=lambda s: f"n={len(s)}")
def test_durations_describe_as_the_whole_sample(sample: list[float]) -> None:
    kept = Durations()
    for value in sample:
        kept.append(value)
    assert len(kept) == len(sample)
    assert kept.describe() == describe(sample)
    assert len(kept.values) == sum(1 for v in sample if v != 0.0)  # the zeros only counted


def test_negative_zero_is_kept_not_counted() -> None:
    kept = Durations()
    kept.append(-0.0)
    kept.append(0.0)
    assert (len(kept.values), kept.zeros) == (1, 1)
