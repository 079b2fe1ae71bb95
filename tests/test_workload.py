"""The workload guard: an honest estimate of a run's events before it runs, and progress."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from sim.cli.app import dispatch
from sim.engine import simulate
from sim.engine.workload import WorkloadError, check_workload, estimate_events
from sim.report.progress import AFTER, PLAIN_EVERY, RunProgress
from sim.scenario.loader import load_scenario
from tests.signals import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
ABSURD = "theater.usage.0.rate=1000000000000"


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_estimate_is_close_to_what_a_run_produces(path: Path) -> None:
    """Within 0.8-1.6x of a run's events: it errs high (assessments are counted for every
    fusion window holding enough reports, before confidence and thresholds thin them).
    Run-to-run noise is far smaller: ~1,500 events or more, a Poisson count, ±3%."""
    loaded = load_scenario(path)
    world = simulate(loaded.scenario)
    produced = world.recorder.count
    expected = estimate_events(loaded.scenario).events
    assert produced > 150
    assert 0.8 * produced <= expected <= 1.6 * produced, (expected, produced)


def test_every_shipped_scenario_passes_the_default_bound() -> None:
    for path in SHIPPED:
        loaded = load_scenario(path)
        work = check_workload(loaded.scenario)
        assert work.events < 100_000


def test_an_absurd_rate_is_refused_at_once_with_the_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("the engine ran")

    monkeypatch.setattr("sim.experiments.run.build_world", never)
    baseline = str(SCENARIOS / "baseline-2024.yaml")
    began = time.process_time()
    code = dispatch(["run", baseline, "--set", ABSURD, "--out", str(tmp_path / "logs")])
    spent = time.process_time() - began
    err = capsys.readouterr().err
    assert code == 2
    # the figures are the estimate's own (checked against real runs above)
    absurd = load_scenario(baseline, [ABSURD])
    work = estimate_events(absurd.scenario)
    assert work.usages > 1e15  # the rate times the horizon, at least
    assert f"one run would produce about {work.events:.3g} events" in err
    assert f"{work.usages:.3g} uses of munitions" in err
    assert "100% of them come from theater.usage[0]" in err
    assert "raise the limit with --max-events N" in err
    assert not (tmp_path / "logs").exists()
    assert spent < 1.0  # CPU seconds: loading the scenario and the estimate, nothing more


def test_the_estimate_follows_the_parameters_in_force() -> None:
    """An intervention raising a rate half way counts from then on, not before."""
    path = SCENARIOS / "teaching-minimal.yaml"
    plain = load_scenario(path)
    half = plain.scenario.duration / 2
    base = estimate_events(plain.scenario)
    change = f"interventions=[{{at: {half}, set: {{theater.usage.0.rate: 100/d}}}}]"
    raised = load_scenario(path, [change])
    work = estimate_events(raised.scenario)
    assert raised.scenario.theater.usage[0].rate is not None
    added_uses = (100 / 24 - plain.scenario.theater.usage[0].rate) * half  # type: ignore[operator]
    assert work.usages == pytest.approx(base.usages + added_uses)
    with pytest.raises(WorkloadError, match=r"from theater\.usage"):
        check_workload(raised.scenario, max_events=int(base.events * 10))


def test_the_bound_can_be_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    teaching = str(SCENARIOS / "teaching-minimal.yaml")
    out = str(tmp_path / "logs")
    assert dispatch(["run", teaching, "--max-events", "100", "--out", out]) == 2
    assert "more than the limit of 100" in capsys.readouterr().err
    assert dispatch(["run", teaching, "--max-events", "1000", "--out", out]) == 0


def test_a_sweep_point_past_the_bound_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teaching = str(SCENARIOS / "teaching-minimal.yaml")
    argv = ["sweep", teaching, "--vary", "theater.usage.0.rate=1/d,1000000/h"]
    assert dispatch([*argv, "--out", str(tmp_path / "logs")]) == 2
    assert "more than the limit of 10,000,000" in capsys.readouterr().err
    assert not (tmp_path / "logs").exists()


# --- progress ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_shows_only_after_a_few_seconds_then_at_intervals() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=200)
    clock = Clock()
    progress = RunProgress(console, horizon=240.0, expected_events=10_000, clock=clock)
    body = b'{"type":"MunitionUsed","seq":1999,"t":60.0}'
    clock.now = AFTER / 2
    progress(2000, body)
    assert buffer.getvalue() == ""
    clock.now = AFTER
    progress(4000, b'{"seq":3999,"t":120.0}')
    line = buffer.getvalue().strip()
    assert line == (
        "day 5.0 of 10.0 (50%): 4,000 events of ~10,000 expected, 2,000 events/s, about 2 s left"
    )
    clock.now = AFTER + PLAIN_EVERY / 2
    progress(6000, body)
    assert buffer.getvalue().count("\n") == 1
    clock.now = AFTER + PLAIN_EVERY
    progress(8000, b'{"seq":7999,"t":180.0}')
    assert buffer.getvalue().count("\n") == 2
