"""The knowledge metrics in plain Python (small runs: no numpy import) are the numpy ones
to the bit: the same times known, the same Kaplan–Meier steps, the same counts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.analysis.metrics import MetricsProjection
from sim.engine import build_world, run_world
from sim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.mark.parametrize(
    "name",
    ["baseline-2024", "disinformation-surge", "teaching-minimal", "kharkiv-2024-01"],
)
def test_plain_results_are_the_numpy_results(name: str) -> None:
    loaded = load_scenario(SCENARIOS / f"{name}.yaml", [])
    world = build_world(loaded.scenario, loaded.scenario.seed)
    projection = MetricsProjection(loaded.scenario, world.state)
    world.recorder.listeners.append(projection.apply)
    run_world(world)
    knowledge = projection.knowledge
    known_somewhere = 0
    for node in knowledge.holders:
        numpy_times = knowledge.known_times(node)
        plain_times = knowledge.known_times_plain(node)
        assert [None if math.isnan(x) else float(x) for x in numpy_times] == plain_times
        known_somewhere += sum(x is not None for x in plain_times)
        plain = knowledge._survival_plain(node, projection.t)
        numpy = knowledge._survival_numpy(node, projection.t)
        assert plain == numpy  # Survival, usages known, episodes known: equal floats
        assert plain[0].times == numpy[0].times and plain[0].survival == numpy[0].survival
    assert knowledge.usages and known_somewhere  # a run where nodes do know things
