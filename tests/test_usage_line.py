"""A usage line at a rate: its uses are the Poisson arrivals of its own named stream."""

from __future__ import annotations

import math

from sim.engine.streams import stream
from sim.events import MunitionUsed
from tests.builders import collector, run_events, scenario_dict


def _arrivals(seed: int, start: float, end: float, rate: float) -> list[float]:
    """The documented rule, computed apart: exponential gaps drawn from the line's stream."""
    rng = stream(seed, "usage:0:KN-23:S")
    t, times = start, []
    while True:
        t += -math.log(1.0 - rng.random()) / rate
        if t >= end:
            return times
        times.append(t)


def test_a_rate_line_uses_exactly_its_streams_arrivals_inside_its_window() -> None:
    for seed in (1, 7, 12345):
        raw = scenario_dict(
            seed=seed, duration="400h", collectors={"c": collector("A", delay="0h")}
        )
        raw["theater"]["usage"] = [
            {"munition": "KN-23", "sector": "S", "rate": "3/d", "from": "50h", "until": "300h"}
        ]
        used = [e for e in run_events(raw) if isinstance(e, MunitionUsed)]
        assert [e.t for e in used] == _arrivals(seed, 50.0, 300.0, 3 / 24)
        assert [e.usage for e in used] == [f"U{n}" for n in range(1, len(used) + 1)]
        assert len(used) > 10  # ~31 expected: the comparison is not vacuous
