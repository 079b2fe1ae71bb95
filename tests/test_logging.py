"""The program's own logging: structlog messages, filtered by level, captured in tests."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from sim.experiments.run import run_to_directory
from sim.logging import configure_logging, get_logger
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_logs_its_start_and_end_at_info(tmp_path: Path) -> None:
    configure_logging("info")
    try:
        with capture_logs() as logs:
            outcome = run_to_directory(
                load_scenario(ROOT / "scenarios/teaching-minimal.yaml"), tmp_path
            )
    finally:
        configure_logging("warning")
    events = [entry["event"] for entry in logs]
    assert events == ["run started", "run complete"]
    assert logs[1]["events"] == outcome.events
    assert logs[1]["log_level"] == "info"


def test_messages_below_the_level_are_not_logged() -> None:
    configure_logging("warning")
    with capture_logs() as logs:
        get_logger("t").info("quiet")
        get_logger("t").warning("loud", n=1)
    assert [(e["event"], e["log_level"]) for e in logs] == [("loud", "warning")]
