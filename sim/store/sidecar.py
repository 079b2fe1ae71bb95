"""The log sidecar: a child process that hash-chains event bodies and writes the log.

`python -m sim.store.sidecar PATH` reads newline-terminated canonical event bodies on
stdin, appends each to PATH as a hash-chained line (the same lines as
:class:`sim.store.writer.EventLogWriter`), and on end of input prints
``{"count": N, "last_hash": "..."}`` on stdout. Hashing on the machine's other core
takes SHA-256 off the simulation's critical path (see bench/bench_run.py).

If the simulation dies, the sidecar sees end of input and still writes every whole
line it received: a killed run leaves a log that `verify` reads to its last whole event.
It runs in a process group of its own and ignores SIGINT and SIGTERM: a Ctrl-C at the
terminal goes to the simulation, which flushes what it produced and closes the input.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from sim.interrupts import detach_child
from sim.store.chain import GENESIS, make_line
from sim.store.seal import SealBuilder, write_seal

CHUNK = 1 << 20


def pump(source: BinaryIO, fd: int, seal: SealBuilder | None = None) -> tuple[int, bytes, int]:
    """Chain and write every whole line of `source` to `fd`; (count, last hash, bytes left over).

    With `seal`, each written line is also sealed (see :mod:`sim.store.seal`).
    """
    prev, count, rest = GENESIS, 0, b""
    while True:
        chunk = source.read1(CHUNK) if hasattr(source, "read1") else source.read(CHUNK)
        if not chunk:
            break
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        out: list[bytes] = []
        hashes: list[bytes] = []
        for body in data[:cut].split(b"\n")[:-1]:
            line, prev = make_line(prev, body)  # the chain's one definition of a line
            out.append(line)
            hashes.append(prev)
        count += len(out)
        if seal is not None:
            seal.add(out, hashes)
        view = memoryview(b"".join(out))
        while view:
            view = view[os.write(fd, view) :]
    return count, prev, len(rest)


def main(argv: list[str]) -> int:
    """Run the sidecar on the path in argv; exit 0 when every received line was written."""
    detach_child(stop_on_term=False)
    if len(argv) != 1:
        sys.stderr.write("usage: python -m sim.store.sidecar EVENTS.jsonl\n")
        return 2
    try:
        fd = os.open(argv[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        sys.stderr.write(f"cannot create event log {argv[0]}: {exc.strerror or exc}\n")
        return 1
    seal = SealBuilder()
    try:
        count, last, partial = pump(sys.stdin.buffer, fd, seal)
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
    report = {
        "count": count,
        "last_hash": last.decode("ascii"),
        "partial_bytes": partial,
        "seal": sealed,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
