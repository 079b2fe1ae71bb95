"""The engine runs with the cyclic garbage collector off: it must make no reference cycles."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from sim.engine import simulate
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["baseline-2024", "cyber-ddos", "disinformation-surge"])
def test_a_run_leaves_no_cyclic_garbage(name: str) -> None:
    loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    simulate(loaded.scenario, loaded.raw)  # first use may import modules (their own cycles)
    gc.collect()
    world = simulate(loaded.scenario, loaded.raw)  # kept alive: only garbage counts
    assert gc.isenabled()
    assert gc.collect() == 0
    assert world.recorder.count > 1000
