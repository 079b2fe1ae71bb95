"""A run opened for reading: its scenario, manifest and a checked reading of its log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.replay import load_run
from sim.scenario.models import Scenario
from sim.store import events_path
from sim.store.reading import LogReading


@dataclass
class RunSource:
    """What a reading verb needs of a run directory; every read of the log is checked."""

    run_dir: Path
    scenario: Scenario
    manifest: dict[str, Any]

    @property
    def log_path(self) -> Path:
        return events_path(self.run_dir)

    def reading(self) -> LogReading:
        """A fresh checked reading of the log (one per pass)."""
        return LogReading(self.log_path, self.manifest)

    def check(self) -> None:
        """Read the whole log, checked; LogIntegrityError (exit 1) if it is broken."""
        reading = self.reading()
        for _ in reading.events():
            pass
        reading.raise_if_broken()


def open_run(run_dir: Path) -> RunSource:
    """Open a run directory for reading (LogError, exit 2, when it is not one)."""
    scenario, manifest = load_run(run_dir)
    source = RunSource(Path(run_dir), scenario, manifest)
    source.log_path  # noqa: B018 - a run without a log is bad input, said now
    return source
