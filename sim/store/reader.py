"""Streaming read of ``events.jsonl``: line by line, never the whole file at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec

from sim.errors import LogError
from sim.events import Event, decode
from sim.store.chain import GENESIS, next_hash, split_line


def iter_lines(path: Path, offset: int = 0, first: int = 1) -> Iterator[tuple[int, bytes]]:
    """Yield ``(lineno, raw)`` for each line of the file from byte `offset`, counting from `first`.

    ``raw`` is the line exactly as stored, newline included; a last line without its
    newline is a partial line left by an interrupted writer.
    """
    path = Path(path)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, also when the caller stops early
    except FileNotFoundError:
        msg = f"{path}: no such event log"
        raise LogError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a directory, not an event log"
        raise LogError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot open event log: {exc.strerror or exc}"
        raise LogError(msg) from None
    with f:
        f.seek(offset)
        yield from enumerate(f, start=first)


def read_events(path: Path, *, check_hash: bool = False) -> Iterator[Event]:
    """Yield the events of a log in order, streaming.

    A partial last line (an interrupted run) ends the iteration cleanly. A malformed
    line, an unknown event type or a ``seq`` out of order raises LogError naming the
    file and line; with ``check_hash`` a broken hash chain does too. Use
    :func:`sim.store.verify.verify_log` to check a log without stopping at the first fault.
    """
    path = Path(path)
    prev = GENESIS
    for lineno, raw in iter_lines(path):
        if not raw.endswith(b"\n"):
            return
        try:
            body, digest = split_line(raw)
            event = decode(body)
        except (ValueError, msgspec.DecodeError) as exc:
            # msgspec.ValidationError is a DecodeError: unknown type, missing field, ...
            msg = f"{path}:{lineno}: not a valid event line: {exc}"
            raise LogError(msg) from None
        if event.seq != lineno - 1:  # reading stops at the first fault, so line n holds seq n-1
            msg = f"{path}:{lineno}: seq {event.seq} where seq {lineno - 1} was expected"
            raise LogError(msg)
        if check_hash and next_hash(prev, body) != digest:
            msg = f"{path}:{lineno}: hash chain broken at seq {event.seq} (the log was changed)"
            raise LogError(msg)
        prev = digest
        yield event
