"""What a run directory's manifest says of the work: running, then complete, interrupted or failed.

A manifest is written `running` before any work starts, so a killed process still
leaves a directory that says what it was doing. Whatever ends the work then writes
its final status: `complete`, `interrupted` (a stop signal; the manifest names it) or
`failed` (an error; the manifest holds its one-line message). A manifest still saying
`running` after its process ended means the process was killed outright (SIGKILL, a
power cut): nothing could write it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from sim.errors import IntelsimError
from sim.interrupts import Interrupted, as_interrupted, deferred
from sim.store.rundir import write_json

RUNNING = "running"
COMPLETE = "complete"
INTERRUPTED = "interrupted"
FAILED = "failed"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def finish(path: Path, manifest: dict[str, Any], stop: Interrupted | None = None) -> None:
    """Write the manifest's final status: interrupted if `stop`, else complete (whole)."""
    with deferred():
        if stop is None:
            manifest.update(status=COMPLETE, finished_at=_now())
        else:
            manifest.update(status=INTERRUPTED, signal=stop.name, stopped_at=_now())
        write_json(path, manifest)


def _failed(path: Path, manifest: dict[str, Any], exc: BaseException) -> None:
    """Mark the manifest failed, with the error's first line.

    A full disk refuses a new file, so the atomic write (a new file, then a rename) may
    fail; the manifest is then rewritten in place, compact, which needs no new space:
    it is shorter than the indented one it replaces. The error is reported either way.
    """
    why = str(exc) if isinstance(exc, IntelsimError) else f"{type(exc).__name__}: {exc}"
    manifest.update(status=FAILED, error=why.splitlines()[0] if why else "", stopped_at=_now())
    with deferred():
        try:
            write_json(path, manifest)
        except IntelsimError:
            _rewrite_in_place(path, manifest)


def _rewrite_in_place(path: Path, manifest: dict[str, Any]) -> None:
    data = orjson.dumps(manifest, default=str, option=orjson.OPT_SORT_KEYS) + b"\n"
    try:
        with path.open("r+b") as file:
            file.write(data)
            file.truncate()
    except OSError:
        pass  # nothing more can be done; the command still says what failed


@contextmanager
def marks_failure(path: Path, manifest: dict[str, Any]) -> Iterator[None]:
    """An error (not a stop signal) leaving the block marks the manifest `failed`."""
    try:
        yield
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        _failed(path, manifest, exc)
        raise


@contextmanager
def tracked(path: Path, manifest: dict[str, Any]) -> Iterator[None]:
    """Write the manifest `running`; on leaving, `complete`, `interrupted` or `failed`.

    The block fills in what it produced (counts, hashes) as it goes, so that an
    interrupted manifest says how far the work got.
    """
    manifest.update(status=RUNNING)
    with marks_failure(path, manifest):
        write_json(path, manifest)
        try:
            yield
        except KeyboardInterrupt as exc:
            stop = as_interrupted(exc)
            finish(path, manifest, stop)
            raise stop from None
        finish(path, manifest)
