"""A run stopped before its sidecar made the log still leaves one that `verify` reads."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from sim.analysis.verify import verify_run
from sim.experiments import run as run_module
from sim.experiments.run import run_to_directory
from sim.interrupts import Interrupted
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_a_stop_before_the_log_exists_leaves_an_empty_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stopped_while_starting(*args: Any, **kwargs: Any) -> Any:
        # the stop arrives while the sidecar is being started: it never made the log
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(run_module, "PipedEventLogWriter", stopped_while_starting)
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    with pytest.raises(Interrupted) as stop:
        run_to_directory(loaded, tmp_path)
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "events.jsonl").read_bytes() == b""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert "no event was written yet" in stop.value.detail
    verdict = verify_run(run_dir)  # a verdict, not "no such event log"
    assert not verdict.ok
    assert any("log is empty" in problem for problem in verdict.log.problems)
    assert any("interrupted" in problem for problem in verdict.problems)


def test_a_log_that_exists_is_left_as_it_is(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_bytes(b'{"seq":0}\n')
    run_module._leave_log(log)
    assert log.read_bytes() == b'{"seq":0}\n'
