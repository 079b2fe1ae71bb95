"""Append-only, hash-chained event log: writer, streaming reader, verifier, run directories."""

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
