"""The log sidecar: a child process that hash-chains event bodies and writes the log.

`python -m sim.store.sidecar PATH` reads newline-terminated canonical event bodies on
stdin, appends each to PATH as a hash-chained line (the same lines as
:class:`sim.store.writer.EventLogWriter`), and on end of input prints
``{"count": N, "last_hash": "..."}`` on stdout. Hashing on the machine's other core
takes SHA-256 off the simulation's critical path (see bench/bench_run.py).

A :class:`Follower` may do more with the same bodies (the run's metrics, made by
sim.experiments.log_metrics, which starts a sidecar of its own with
``python -m sim.experiments.log_metrics`` where it cannot fork one), adding to the
report. Its work waits while the simulation is sending (the log comes first, and the
simulation must never wait for it): the sidecar does it when its input is momentarily
empty, holding at most :data:`BEHIND` bytes of bodies the follower has not taken yet.

If the simulation dies, the sidecar sees end of input and still writes every whole
line it received: a killed run leaves a log that `verify` reads to its last whole event.
It runs in a process group of its own and ignores SIGINT and SIGTERM: a Ctrl-C at the
terminal goes to the simulation, which flushes what it produced and closes the input.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import sys
import threading
from hashlib import sha256
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sim.interrupts import detach_child
from sim.store.chain import GENESIS
from sim.store.chain import HASH_HEAD as _HEAD
from sim.store.seal import SealBuilder, write_seal

CHUNK = 1 << 20
BEHIND = 8 << 20  # bodies held for the metrics at most: past this they are folded at once


class Follower(Protocol):
    """More work on the bodies the sidecar writes, done in its idle moments (the run's
    metrics: sim.experiments.log_metrics). Its errors must stop it, never the log."""

    @property
    def busy(self) -> bool:
        """Whether :meth:`step` has anything to do."""

    @property
    def queued_bytes(self) -> int:
        """Bytes of bodies fed and not yet taken (the sidecar holds at most BEHIND)."""

    def feed(self, bodies: bytes) -> None:
        """Queue newline-terminated whole bodies, as written."""

    def step(self) -> None:
        """One slice of the work (a few milliseconds): the sidecar reads between them."""

    def finish(self) -> dict[str, Any]:
        """At the end of the input: finish, and what to add to the sidecar's report."""


def chain_lines(prev: bytes, bodies: list[bytes]) -> tuple[list[bytes], list[bytes], bytes]:
    """The lines of `bodies` chained after `prev` (newlines included), their hashes, and
    the last hash: :func:`sim.store.chain.make_line` for each, inlined (the sidecar's hot
    loop; a test holds them to the same bytes)."""
    out: list[bytes] = []
    hashes: list[bytes] = []
    line, hashed = out.append, hashes.append
    for body in bodies:
        prev = sha256(prev + body).hexdigest().encode()
        line(body[:-1] + _HEAD + prev + b'"}\n')
        hashed(prev)
    return out, hashes, prev


def pump(
    source: BinaryIO,
    fd: int,
    seal: SealBuilder | None = None,
    follower: Follower | None = None,
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
        whole = data[:cut]
        out, hashes, prev = chain_lines(prev, whole.split(b"\n")[:-1])
        count += len(out)
        if seal is not None:
            seal.add(out, hashes)
        view = memoryview(b"".join(out))
        while view:
            view = view[os.write(fd, view) :]
        if follower is not None:
            follower.feed(whole)
    return count, prev, len(rest)


def serve(source: BinaryIO, path: str, follower: Follower | None) -> dict[str, Any]:
    """Write the log at `path` from the bodies of `source`; the report (``"error"`` if the
    log could not be written: it then says why)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        return {"error": f"cannot create event log {path}: {exc.strerror or exc}"}
    seal = SealBuilder()
    try:
        count, last, partial = pump(source, fd, seal, follower)
    except OSError as exc:
        os.close(fd)
        return {"error": f"cannot write event log {path}: {exc.strerror or exc}"}
    # every line is written: to disk on a thread (fsync lets go of the interpreter) while
    # the metrics are finished here
    synced: list[OSError] = []
    sync = threading.Thread(target=_fsync, args=(fd, synced))
    sync.start()
    more = follower.finish() if follower is not None else {}
    sync.join()
    os.close(fd)
    if synced:
        return {"error": f"cannot write event log {path}: {synced[0].strerror or synced[0]}"}
    try:
        sealed: str | None = write_seal(Path(path), seal)
    except OSError:
        sealed = None  # the log is whole without it; readers chain it line by line
    return {
        "count": count,
        "last_hash": last.decode("ascii"),
        "partial_bytes": partial,
        "seal": sealed,
        **more,
    }


def _fsync(fd: int, failed: list[OSError]) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        failed.append(exc)


def main(argv: list[str]) -> int:
    """Run the sidecar on the path in argv; exit 0 when every received line was written."""
    detach_child(stop_on_term=False)
    if len(argv) != 1:
        sys.stderr.write("usage: python -m sim.store.sidecar EVENTS.jsonl\n")
        return 2
    return answer(serve(sys.stdin.buffer, argv[0], None))


def answer(report: dict[str, Any]) -> int:
    """Say a spawned sidecar's report: JSON on stdout (0), or its error on stderr (1)."""
    if "error" in report:
        sys.stderr.write(f"{report['error']}\n")
        return 1
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def fork(path: Path, follower: Follower | None) -> tuple[int, int, int]:
    """Start the sidecar as a fork of this process: (its pid, the fd to write bodies to,
    the fd its report comes back on, as one JSON document, at its end).

    A fork has this process's modules (and what `follower` holds, the scenario) already
    loaded: nothing to import or validate again, so it keeps up from the first event.
    Call with the stop signals blocked (the child leaves this process group, ignores
    them and unblocks them). The child only reads, writes its own files and exits with
    ``os._exit``: nothing of this process (buffers, handlers) runs twice.
    """
    data_r, data_w = os.pipe()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(data_r)
        os.close(report_w)
        return pid, data_w, report_r
    code = 70
    try:
        # nothing of this process's but the two pipe ends: a pipe of another child held
        # open here would not see its end (the log's own, data_w, first of all)
        low, high = sorted((data_r, report_w))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, max(high + 1, os.sysconf("SC_OPEN_MAX")))
        detach_child(stop_on_term=False)
        gc.freeze()  # what the fork shares with its parent is never scanned (nor copied)
        with os.fdopen(data_r, "rb", buffering=0) as source:
            report = serve(source, str(path), follower)
        code = 1 if "error" in report else 0
        data = memoryview(json.dumps(report).encode())
        try:
            while data:
                data = data[os.write(report_w, data) :]
        except OSError:
            pass  # the run is gone (killed): the log is written all the same
    except BaseException as exc:  # said on stderr; the exit code says it too
        with contextlib.suppress(OSError):
            os.write(2, f"log sidecar: {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
