"""An event log writer that hands hashing and writing to a sidecar process.

Same lines, same file, same API as :class:`sim.store.writer.EventLogWriter`; the
simulation only encodes each event (≈0.3 µs) and the sidecar (sim/store/sidecar.py)
chains and writes on the other core. Used for runs written to disk by `intelsim run`.
Given the run directory (``metrics_of``), the sidecar also makes the run's metrics from
the log as it goes, on that core too (:attr:`PipedEventLogWriter.metrics`, once closed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from msgspec.structs import replace

from sim.errors import LogError
from sim.events import ENCODER, Event
from sim.interrupts import blocked, deferred

FlushHook = Callable[[int, bytes], None]  # (events so far, the last event's body)


def _widen_pipe(pipe: object) -> None:
    """Ask Linux for a 1 MiB pipe, so the simulation rarely waits for the sidecar."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)  # type: ignore[attr-defined]
    except (ImportError, OSError, AttributeError):
        pass  # elsewhere the default pipe works, only with more waits


class PipedEventLogWriter:
    """Append events to a hash-chained log written by a sidecar process."""

    def __init__(
        self,
        path: Path,
        flush_every: int = 2000,
        on_flush: FlushHook | None = None,
        metrics_of: Path | None = None,
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
        # the run's metrics, made by the sidecar from the log (with `metrics_of`: the run
        # directory, whose manifest resolves the scenario), once closed after RunEnded
        self.metrics: dict[str, Any] | None = None
        self.metrics_error: str | None = None
        self._buf: list[bytes] = []
        self._encode = ENCODER.encode  # bound once: this is the per-event hot path
        self._closed = False
        # its own process group, started with the stop signals blocked: a Ctrl-C at the
        # terminal reaches only us, and we flush what we produced before it stops
        command = [sys.executable, "-m", "sim.store.sidecar", str(self.path)]
        if metrics_of is not None:
            command += ["--metrics", str(metrics_of)]
        with blocked():
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                process_group=0,
            )
        _widen_pipe(self._proc.stdin)

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
        buf.append(self._encode(event))
        self.count = count + 1
        if len(buf) >= self.flush_every:
            self.flush()
        return event

    def flush(self) -> None:
        """Send the queued bodies to the sidecar (whole: a stop signal waits for it)."""
        buf = self._buf
        if not buf or self._proc.stdin is None:
            return
        with deferred():
            self.last_body = buf[-1]
            sent = len(buf)
            buf.append(b"")
            data = b"\n".join(buf)
            buf.clear()
            try:
                self._proc.stdin.write(data)
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
            self._closed = True
            self._on_flush = None
            self.flush()
            stdout, stderr = self._proc.communicate()
            if self._proc.returncode != 0:
                why = stderr.decode(errors="replace").strip()
                raise LogError(why or "the log sidecar failed")
            report = json.loads(stdout)
            self.written = report["count"]
            if self.written != self._sent:
                raise LogError(
                    f"{self.path}: the log sidecar wrote {self.written} of {self._sent} events"
                )
            self._last_hash = report["last_hash"]
            self.seal = report.get("seal")
            self.metrics = report.get("metrics")
            self.metrics_error = report.get("metrics_error")

    def _fail(self) -> None:
        _, stderr = self._proc.communicate()
        self._closed = True
        raise LogError(stderr.decode(errors="replace").strip() or "the log sidecar stopped")

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
