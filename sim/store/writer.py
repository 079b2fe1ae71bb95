"""The append-only writer of ``events.jsonl``: assigns ``seq``, chains hashes, batches writes."""

from __future__ import annotations

import os
from hashlib import sha256
from pathlib import Path
from types import TracebackType

from sim.errors import LogError
from sim.events import Event, encode, numbered
from sim.store.chain import GENESIS


class EventLogWriter:
    """Append events to a new ``events.jsonl``, one hash-chained canonical JSON line each.

    Lines are buffered and written with one ``write`` call per ``flush_every`` lines, so a
    process killed at any moment leaves whole lines plus at most one partial last line.
    The file is created with mode ``"xb"``: an existing log is never overwritten.
    """

    def __init__(self, path: Path, flush_every: int = 1000) -> None:
        if flush_every < 1:
            msg = f"flush_every must be at least 1, got {flush_every}"
            raise ValueError(msg)
        self.path = Path(path)
        self.flush_every = flush_every
        self.count = 0
        self._prev = GENESIS
        self._last_t = float("-inf")
        self._buf: list[bytes] = []
        try:
            # Unbuffered: our own batch is the buffer, and one batch is one write syscall.
            self._file = open(self.path, "xb", buffering=0)  # noqa: SIM115 - closed in close()
        except FileExistsError:
            msg = f"{self.path} already exists; an event log is never overwritten"
            raise LogError(msg) from None
        except OSError as exc:
            msg = f"cannot create event log {self.path}: {exc.strerror or exc}"
            raise LogError(msg) from None
        self._closed = False

    @property
    def last_hash(self) -> str:
        """Hash of the last appended line (GENESIS before the first): the log's final hash."""
        return self._prev.decode("ascii")

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def append(self, event: Event) -> Event:
        """Write ``event`` as the next line; return it numbered with its ``seq``.

        An event not yet numbered (``seq`` -1) is numbered here, on its way out (a copy:
        events are immutable). Raises LogError when the log is closed, ``event`` carries
        another ``seq`` than the next, or ``event.t`` is earlier than the last event's
        ``t`` (time never decreases in a log).
        """
        if self._closed:
            msg = f"{self.path}: cannot append to a closed event log"
            raise LogError(msg)
        t = event.t
        if t < self._last_t:
            msg = (
                f"{self.path}: {type(event).__name__} at t={t} is earlier than the previous "
                f"event (t={self._last_t}); time never decreases in a log"
            )
            raise LogError(msg)
        self._last_t = t
        event = self._numbered(event)
        body = encode(event)
        # Inlined chain.make_line: this is the per-event hot path.
        digest = sha256(self._prev + body).hexdigest().encode("ascii")
        self._buf.append(body[:-1] + b',"hash":"' + digest + b'"}\n')
        self._prev = digest
        self.count += 1
        if len(self._buf) >= self.flush_every:
            self.flush()
        return event

    def _numbered(self, event: Event) -> Event:
        seq = self.count
        if event.seq == seq:
            return event
        if event.seq != -1:
            msg = f"{self.path}: seq {event.seq} cannot be appended as seq {seq}"
            raise LogError(msg)
        return numbered(event, seq)

    def flush(self) -> None:
        """Write buffered lines to the file (one write call for the whole batch)."""
        if not self._buf:
            return
        data = b"".join(self._buf)
        self._buf.clear()
        view = memoryview(data)
        try:
            while view:
                written = self._file.write(view)
                if not written:
                    msg = "the file accepted no bytes"
                    raise OSError(msg)
                view = view[written:]
        except OSError as exc:
            msg = f"cannot write event log {self.path}: {exc.strerror or exc}"
            raise LogError(msg) from None

    def close(self) -> None:
        """Flush, make the log durable (fsync) and close it. Calling it again does nothing."""
        if self._closed:
            return
        try:
            self.flush()
            os.fsync(self._file.fileno())
        finally:
            self._closed = True
            self._file.close()

    def __enter__(self) -> EventLogWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Even after an error, keep what was appended: verify will report the log incomplete.
        self.close()
