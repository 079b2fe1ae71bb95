"""A run opened for reading: its scenario, manifest and a checked reading of its log."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import LogError
from sim.scenario.models import Scenario
from sim.store import MANIFEST_FILE, events_path, read_json
from sim.store.reading import LogReading


def load_run(run_dir: Path) -> tuple[Scenario, dict[str, Any]]:
    """The scenario a run was made from (as resolved, from its manifest) and the manifest."""
    path = Path(run_dir) / MANIFEST_FILE
    manifest = read_json(path)
    resolved = manifest.get("resolved") if isinstance(manifest, dict) else None
    if not isinstance(resolved, dict):
        msg = f"{path}: has no resolved scenario (key 'resolved'); was it written by intelsim run?"
        raise LogError(msg)
    try:
        scenario = Scenario.model_validate(resolved)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = f"{path}: the resolved scenario is not valid ({where}: {first['msg']})"
        raise LogError(msg) from None
    return scenario, manifest


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
