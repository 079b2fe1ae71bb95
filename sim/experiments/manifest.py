"""What `manifest.json` says about a run, replications, a comparison or a sweep.

Everything that must stay out of the deterministic log (versions, host, wall-clock
times) goes here. One builder, so every kind of run directory describes its program
and machine the same way; each experiment adds its own fields and completes the
manifest (status, counts, wall time) when it ends.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sim import __version__
from sim.scenario.loader import LoadedScenario


def now() -> str:
    """The wall-clock time, UTC, to the second (for manifests only, never for events)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_manifest(kind: str | None = None, **fields: Any) -> dict[str, Any]:
    """The manifest as an experiment starts: `kind` (none for a single run), intelsim's
    version, the experiment's own `fields`, status "running" and the machine it runs on."""
    return {
        **({"kind": kind} if kind else {}),
        "intelsim": __version__,
        **fields,
        "status": "running",
        "started_at": now(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "host": platform.node(),
    }


def scenario_fields(loaded: LoadedScenario, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """What was run: the scenario's name, files, source hash, overrides, resolved document."""
    return {
        "scenario": loaded.scenario.name,
        "scenario_files": [str(p) for p in loaded.files],
        "scenario_hash": loaded.source_hash,
        "overrides": list(overrides),
        "resolved": loaded.raw,
    }
