"""An event log writer that hands hashing and writing to a sidecar process.

Same lines, same file, same API as :class:`sim.store.writer.EventLogWriter`; the
simulation only numbers each event and encodes them by the batch (≈0.3 µs each), and
the sidecar (sim/store/sidecar.py) chains and writes on the other core. Used for runs
written to disk by `intelsim run`.
Given a follower (the run's metrics: sim.experiments.log_metrics), the sidecar also
does its work on the same bodies, on that core too, and its report's additions are
:attr:`PipedEventLogWriter.report` once closed.

On Linux, with no other thread running, the sidecar is a fork of this process (nothing
to import or validate again); elsewhere it is `python -m sim.store.sidecar`, or the
follower's own command (:meth:`SpawnableFollower.spawn_command`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from msgspec.structs import replace

from sim.errors import LogError
from sim.events import ENCODER, Event
from sim.interrupts import blocked, deferred
from sim.store.sidecar import Follower, fork


class SpawnableFollower(Protocol):
    """A sidecar follower that can also start a sidecar of its own (no fork)."""

    def spawn_command(self, path: Path) -> list[str]:
        """The interpreter's arguments of a sidecar that writes `path` and follows it."""


FlushHook = Callable[[int, bytes], None]  # (events so far, the last event's body)


def _widen_pipe(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe, so the simulation rarely waits for the sidecar."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, AttributeError):
        pass  # elsewhere the default pipe works, only with more waits


def _forks() -> bool:
    """Whether the sidecar may be a fork: Linux, and this process runs one thread (a
    fork copies only the calling thread: another's locks would stay held in the child)."""
    return sys.platform == "linux" and threading.active_count() == 1


class _Forked:
    """A sidecar forked from this process (see :func:`sim.store.sidecar.fork`)."""

    def __init__(self, path: Path, follower: Any) -> None:
        self.pid, self.fd, self._report = fork(path, follower)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def finish(self) -> tuple[int, str]:
        """Close its input and wait for it: (exit code, its report)."""
        os.close(self.fd)
        chunks = []
        while chunk := os.read(self._report, 1 << 16):
            chunks.append(chunk)
        os.close(self._report)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


class _Spawned:
    """`python -m sim.store.sidecar PATH` (or the follower's command), in its own process
    group."""

    def __init__(self, path: Path, follower: Any) -> None:
        if follower is None:
            command = [sys.executable, "-m", "sim.store.sidecar", str(path)]
        else:
            command = [sys.executable, *follower.spawn_command(path)]
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
        assert self._proc.stdin is not None
        self.fd = self._proc.stdin.fileno()
        self._stdin = self._proc.stdin

    def write(self, data: bytes) -> None:
        self._stdin.write(data)

    def finish(self) -> tuple[int, str]:
        stdout, stderr = self._proc.communicate()
        if self._proc.returncode != 0:
            why = stderr.decode(errors="replace").strip()
            return self._proc.returncode, json.dumps({"error": why} if why else {})
        return 0, stdout.decode(errors="replace")


class PipedEventLogWriter:
    """Append events to a hash-chained log written by a sidecar process."""

    def __init__(
        self,
        path: Path,
        flush_every: int = 2000,
        on_flush: FlushHook | None = None,
        follower: Follower | None = None,
    ) -> None:
        self.path = Path(path)
        if self.path.exists():
            raise LogError(f"{self.path} already exists; an event log is never overwritten")
        self.flush_every = flush_every
        self.count = 0
        self.written = 0  # whole lines the sidecar wrote (known once closed)
        self.last_body = b""  # the last event handed to the sidecar
        self._sent = 0
        self._on_flush = on_flush
        self._last_hash = ""
        self.seal: str | None = None  # SHA-256 of events.seal, once closed
        self.report: dict[str, Any] = {}  # the sidecar's whole report, once closed
        self._buf: list[Event] = []  # numbered, not yet handed to the sidecar
        self._encode_lines = ENCODER.encode_lines
        self._closed = False
        # its own process group, started with the stop signals blocked: a Ctrl-C at the
        # terminal reaches only us, and we flush what we produced before it stops
        with blocked():
            kind = _Forked if _forks() else _Spawned
            self._sidecar: _Forked | _Spawned = kind(self.path, follower)
        _widen_pipe(self._sidecar.fd)

    @property
    def last_hash(self) -> str:
        """The hash of the last line (known once the log is closed)."""
        return self._last_hash

    def append(self, event: Event) -> Event:
        """Number the event (a copy: events are immutable), queue its body for the
        sidecar, and return the numbered event.

        Unlike EventLogWriter this does not re-check time order or an event's own
        ``seq``: its one caller is the recorder, which hands it unnumbered events in the
        order of a SimPy clock that never goes back, and `verify` checks every line.
        """
        count = self.count
        event = replace(event, seq=count)  # sim.events.numbered, inlined: the hot path
        buf = self._buf
        buf.append(event)  # encoded with the batch: one call for all (twice as fast)
        self.count = count + 1
        if len(buf) >= self.flush_every:
            self.flush()
        return event

    def flush(self) -> None:
        """Send the queued bodies to the sidecar (whole: a stop signal waits for it)."""
        buf = self._buf
        if not buf or self._closed:
            return
        with deferred():
            data = self._encode_lines(buf)  # each body and its newline, as encode() + b"\n"
            sent = len(buf)
            buf.clear()
            self.last_body = data[data.rfind(b"\n", 0, len(data) - 1) + 1 : -1]
            try:
                self._sidecar.write(data)
            except BrokenPipeError:
                self._fail()
            self._sent += sent
        if self._on_flush is not None:
            self._on_flush(self._sent, self.last_body)

    def close(self) -> None:
        """Flush, let the sidecar finish, and check it wrote every event it was handed.

        Runs whole even when a stop signal arrives: this is what keeps the events of an
        interrupted run.
        """
        if self._closed:
            return
        with deferred():
            self._on_flush = None
            self.flush()
            self._closed = True
            code, text = self._sidecar.finish()
            report = _report(text)
            if code != 0 or "count" not in report:
                raise LogError(str(report.get("error") or "the log sidecar failed"))
            self.written = report["count"]
            if self.written != self._sent:
                raise LogError(
                    f"{self.path}: the log sidecar wrote {self.written} of {self._sent} events"
                )
            self._last_hash = report["last_hash"]
            self.seal = report.get("seal")
            self.report = report

    def _fail(self) -> None:
        self._closed = True
        _, text = self._sidecar.finish()
        raise LogError(str(_report(text).get("error") or "the log sidecar stopped"))

    def __enter__(self) -> PipedEventLogWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # even after an error, keep what was appended: verify will report the log incomplete
        self.close()


def _report(text: str) -> dict[str, Any]:
    """The sidecar's report (empty if it said nothing readable)."""
    try:
        report = json.loads(text)
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}
