"""Append-only, hash-chained event log: writer, streaming reader, verifier, run directories.

The names below are loaded when first used: the log sidecar (`python -m
sim.store.sidecar`, started by every run) imports this package too, and needs none of
the reader's or verifier's imports (msgspec, the event schema) to chain and write lines.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.store.chain import GENESIS, next_hash, split_line
    from sim.store.reader import iter_lines, read_events
    from sim.store.rundir import (
        EVENTS_FILE,
        MANIFEST_FILE,
        METRICS_FILE,
        events_path,
        new_run_dir,
        read_json,
        resolve_run,
        write_json,
    )
    from sim.store.verify import Verdict, verify_log
    from sim.store.writer import EventLogWriter

_HOME = {
    "GENESIS": "chain",
    "next_hash": "chain",
    "split_line": "chain",
    "iter_lines": "reader",
    "read_events": "reader",
    "EVENTS_FILE": "rundir",
    "MANIFEST_FILE": "rundir",
    "METRICS_FILE": "rundir",
    "events_path": "rundir",
    "new_run_dir": "rundir",
    "read_json": "rundir",
    "resolve_run": "rundir",
    "write_json": "rundir",
    "Verdict": "verify",
    "verify_log": "verify",
    "EventLogWriter": "writer",
}

__all__ = [
    "EVENTS_FILE",
    "GENESIS",
    "MANIFEST_FILE",
    "METRICS_FILE",
    "EventLogWriter",
    "Verdict",
    "events_path",
    "iter_lines",
    "new_run_dir",
    "next_hash",
    "read_events",
    "read_json",
    "resolve_run",
    "split_line",
    "verify_log",
    "write_json",
]


def __getattr__(name: str) -> Any:
    """Load a public name from the module that defines it, on first use."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"sim.store.{home}"), name)
    globals()[name] = value
    return value
