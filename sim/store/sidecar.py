"""The log sidecar: a child process that hash-chains event bodies and writes the log.

`python -m sim.store.sidecar PATH` reads newline-terminated canonical event bodies on
stdin, appends each to PATH as a hash-chained line (the same lines as
:class:`sim.store.writer.EventLogWriter`), and on end of input prints
``{"count": N, "last_hash": "..."}`` on stdout. Hashing on the machine's other core
takes SHA-256 off the simulation's critical path (see bench/bench_run.py).

With ``--metrics RUN_DIR`` it also makes the run's metrics from the same bodies, as
`intelsim metrics` makes them from the log (the scenario as the run's manifest
resolved it, :class:`sim.analysis.metrics.MetricsProjection` fed every event), and
adds them to its report (``"metrics"``) when the log ended with ``RunEnded``. That work
waits while the simulation is sending (the log comes first, and the simulation must
never wait for it): the sidecar does it when its input is momentarily empty, holding
at most :data:`BEHIND` bytes of bodies not yet folded into the metrics.

If the simulation dies, the sidecar sees end of input and still writes every whole
line it received: a killed run leaves a log that `verify` reads to its last whole event.
It runs in a process group of its own and ignores SIGINT and SIGTERM: a Ctrl-C at the
terminal goes to the simulation, which flushes what it produced and closes the input.
"""

from __future__ import annotations

import json
import os
import select
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sim.interrupts import detach_child
from sim.store.chain import GENESIS, make_line
from sim.store.seal import SealBuilder, write_seal

CHUNK = 1 << 20
BEHIND = 32 << 20  # bodies held for the metrics at most: past this they are folded at once
_ENDED = b'{"type":"RunEnded"'  # how the canonical body of the last event of a run starts


class MetricsFollower:
    """The run's metrics, made from the bodies the sidecar writes, in idle moments.

    :meth:`feed` queues whole bodies; each :meth:`step` does one slice of the work (an
    import, loading the scenario, folding one queued batch), so the sidecar can go back
    to its input between slices; :meth:`result` finishes and returns the metrics.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.queued: deque[bytes] = deque()
        self.queued_bytes = 0
        self.last = b""  # the last body fed
        self._setup: Iterator[None] | None = self._prepare()
        self._apply: Any = None
        self._decode: Any = None
        self._projection: Any = None
        self.error: str | None = None  # what stopped the work (the log goes on regardless)

    def _prepare(self) -> Iterator[None]:
        # one slice each: the sidecar reads its input between them
        from sim.analysis.source import load_run

        yield
        scenario, _ = load_run(self.run_dir)
        yield
        from sim.analysis.metrics import MetricsProjection
        from sim.events import DECODER

        self._projection = MetricsProjection(scenario)
        self._apply, self._decode = self._projection.apply, DECODER.decode_lines
        if scenario.links:
            yield  # items shared between nodes: their partner-material results use numpy
            import numpy  # noqa: F401  (now, in an idle moment, rather than at the end)

    @property
    def busy(self) -> bool:
        """Whether a step has anything to do."""
        return self._setup is not None or bool(self.queued)

    def feed(self, bodies: bytes) -> None:
        """Queue newline-terminated whole bodies."""
        if bodies:
            self.queued.append(bodies)
            self.queued_bytes += len(bodies)
            self.last = bodies[bodies.rfind(b"\n", 0, len(bodies) - 1) + 1 :]

    def step(self) -> None:
        """One slice of the work; an error stops the metrics, never the log (it is kept
        in :attr:`error`, and the report says it)."""
        try:
            self._step()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self._setup = None
            self.queued.clear()
            self.queued_bytes = 0

    def _step(self) -> None:
        if self.error is not None:
            return
        if self._setup is not None:
            if next(self._setup, StopIteration) is StopIteration:
                self._setup = None
            return
        data = self.queued.popleft()
        self.queued_bytes -= len(data)
        apply = self._apply
        for event in self._decode(data):
            apply(event)

    @property
    def ended(self) -> bool:
        """Whether the last body fed was the run's RunEnded."""
        return self.last.startswith(_ENDED)

    def result(self) -> dict[str, Any]:
        """Finish the work: ``{"metrics": ...}``, or ``{"metrics_error": why}``."""
        while self.busy:
            self.step()
        if self.error is None:
            try:
                return {"metrics": self._projection.result()}
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
        return {"metrics_error": self.error}


def pump(
    source: BinaryIO,
    fd: int,
    seal: SealBuilder | None = None,
    follower: MetricsFollower | None = None,
) -> tuple[int, bytes, int]:
    """Chain and write every whole line of `source` to `fd`; (count, last hash, bytes left over).

    With `seal`, each written line is also sealed (see :mod:`sim.store.seal`). With
    `follower`, whole bodies are also fed to it, and it works while `source` (a pipe)
    has nothing to read.
    """
    prev, count, rest = GENESIS, 0, b""
    idle = None
    if follower is not None:
        poller = select.poll()
        poller.register(source.fileno(), select.POLLIN)
        idle = poller.poll
    while True:
        if follower is not None and idle is not None:
            # its work waits while bodies arrive, unless it has fallen too far behind
            while follower.busy and (follower.queued_bytes > BEHIND or not idle(0)):
                follower.step()
            chunk = os.read(source.fileno(), CHUNK)
        else:
            chunk = source.read1(CHUNK) if hasattr(source, "read1") else source.read(CHUNK)
        if not chunk:
            break
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        out: list[bytes] = []
        hashes: list[bytes] = []
        whole = data[:cut]
        for body in whole.split(b"\n")[:-1]:
            line, prev = make_line(prev, body)  # the chain's one definition of a line
            out.append(line)
            hashes.append(prev)
        count += len(out)
        if seal is not None:
            seal.add(out, hashes)
        view = memoryview(b"".join(out))
        while view:
            view = view[os.write(fd, view) :]
        if follower is not None:
            follower.feed(whole)
    return count, prev, len(rest)


def main(argv: list[str]) -> int:
    """Run the sidecar on the path in argv; exit 0 when every received line was written."""
    detach_child(stop_on_term=False)
    follower: MetricsFollower | None = None
    if len(argv) == 3 and argv[1] == "--metrics":
        follower = MetricsFollower(Path(argv[2]))
        argv = argv[:1]
    if len(argv) != 1:
        sys.stderr.write("usage: python -m sim.store.sidecar EVENTS.jsonl [--metrics RUN_DIR]\n")
        return 2
    try:
        fd = os.open(argv[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        sys.stderr.write(f"cannot create event log {argv[0]}: {exc.strerror or exc}\n")
        return 1
    seal = SealBuilder()
    try:
        count, last, partial = pump(sys.stdin.buffer, fd, seal, follower)
        os.fsync(fd)
    except OSError as exc:
        sys.stderr.write(f"cannot write event log {argv[0]}: {exc.strerror or exc}\n")
        return 1
    finally:
        os.close(fd)
    try:
        sealed: str | None = write_seal(Path(argv[0]), seal)
    except OSError:
        sealed = None  # the log is whole without it; readers chain it line by line
    report: dict[str, Any] = {
        "count": count,
        "last_hash": last.decode("ascii"),
        "partial_bytes": partial,
        "seal": sealed,
    }
    if follower is not None and follower.ended:  # the log is on disk: now the metrics
        report.update(follower.result())
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
