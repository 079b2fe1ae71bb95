"""`intelsim run --live`: the story printed as the run goes, paced in wall time."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from sim.engine import simulate
from sim.report.live import live_listener
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_live_output_is_paced_by_simulated_time() -> None:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml")
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    listen = live_listener(loaded.scenario, console, speed=24.0, sleep=sleep, clock=lambda: now[0])
    world = simulate(loaded.scenario, listeners=[listen])
    text = buffer.getvalue()
    assert "run of teaching-minimal starts" in text and "run ends" in text
    # a fake clock that only moves when told to: total sleep = horizon / speed
    assert sum(slept) == pytest.approx(world.horizon / 24.0)
    assert all(s > 0 for s in slept)


def test_live_output_without_pacing_never_sleeps() -> None:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml")
    slept: list[float] = []
    console = Console(file=io.StringIO(), width=200)
    listen = live_listener(loaded.scenario, console, speed=0.0, sleep=slept.append)
    simulate(loaded.scenario, listeners=[listen])
    assert slept == []
