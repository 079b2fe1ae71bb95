"""Search a sealed log for the lines naming some ids, while another core checks its seal.

`explain` needs a handful of lines out of a log of hundreds of thousands (those naming
one report and its usage, say), yet must refuse a log that is not the one the run
wrote. :class:`SealedSearch` does both at once, only for a log whose seal the manifest
vouches for (:mod:`sim.store.seal`) and whose blocks cover the file exactly:

- a forked child (:mod:`sim.store.forked`) hashes every block with SHA-256 and compares
  it with the seal, on the machine's other core (in this process when it cannot fork);
- this process reads the file a window of whole blocks at a time (memory stays flat
  whatever the log's length) and finds the lines holding a needle (an id as a JSON
  string, ``b'"R100"'``) at C speed, decoding only those.

It says nothing about *what* is wrong with a log: :meth:`SealedSearch.intact` is only
true or false, and a caller that gets false (or a line that does not decode) reads the
log the careful way, line by line, which names the first bad seq. The lines found are
exactly those a selective :class:`sim.store.reading.LogReading` yields for the same
needles: whole lines holding a needle, in the file's order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from hashlib import sha256
from io import RawIOBase
from pathlib import Path

import msgspec

from sim.events import DECODER, Event
from sim.store.forked import Forked, fork
from sim.store.seal import Block

WINDOW = 1 << 23  # bytes read at a time (whole blocks; one block may be larger)
_SHORT = 12  # needles shorter than this are found by `re` (see _hits)


def windows(blocks: list[Block], size: int = WINDOW) -> list[tuple[int, int]]:
    """(offset, bytes) of runs of whole blocks, each about `size` bytes (at least a block)."""
    out: list[tuple[int, int]] = []
    for block in blocks:
        if out and out[-1][1] + block.size <= size:
            offset, length = out[-1]
            out[-1] = (offset, length + block.size)
        else:
            out.append((block.offset, block.size))
    return out


def covers(blocks: list[Block], file_size: int) -> bool:
    """Whether the blocks follow one another from byte 0 to the end of the file, exactly.

    Only then is every line of the file in a block the seal vouches for: a careful
    reading chains any bytes past the last block line by line (which this search does not).
    """
    at = 0
    for block in blocks:
        if block.offset != at or block.size <= 0:
            return False
        at = block.end
    return at == file_size and bool(blocks)


def _fill(f: RawIOBase, view: memoryview, offset: int) -> int:
    """Read into all of `view` from `offset`; the bytes read (fewer at the end of the file)."""
    f.seek(offset)
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def sealed_blocks_match(path: Path, blocks: list[Block]) -> bool:
    """Whether every block's bytes have the SHA-256 the seal records (the run's bytes)."""
    largest = max((b.size for b in blocks), default=0)
    buf = bytearray(largest)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        for block in blocks:
            part = view[: block.size]
            if _fill(f, part, block.offset) != block.size:
                return False
            if sha256(part).hexdigest() != block.digest:
                return False
    return True


def _finder(needle: bytes) -> re.Pattern[bytes] | None:
    """How to find `needle`: a compiled pattern of it less its first byte, or None for find.

    `re` scans for a literal's first byte in a tight loop, which beats ``bytes.find`` on a
    short needle whose first byte (``"``) is on every line: so it looks for ``R100"``
    and the hit counts where the byte before it is the needle's first.
    """
    if len(needle) >= _SHORT or len(needle) < 2:
        return None
    return re.compile(re.escape(needle[1:]))


def _hits(buf: bytearray, end: int, needle: bytes, pattern: re.Pattern[bytes] | None) -> set[int]:
    """Where each line of ``buf[:end]`` holding `needle` starts."""
    starts: set[int] = set()
    rfind = buf.rfind
    if pattern is None:
        at = buf.find(needle, 0, end)
        while at >= 0:
            starts.add(rfind(b"\n", 0, at) + 1)
            at = buf.find(needle, at + 1, end)
        return starts
    first = needle[0]
    for match in pattern.finditer(buf, 1, end):
        at = match.start() - 1
        if buf[at] == first:
            starts.add(rfind(b"\n", 0, at) + 1)
    return starts


class SealedSearch:
    """The lines of a sealed log holding needles, and whether the log is the one sealed.

    Use as a context manager (the child checking the seal is stopped on the way out if
    its answer was never asked for). Lines found for a needle are kept, so asking again
    for more needles reads the file only for the new ones.
    """

    def __init__(self, path: Path, blocks: list[Block]) -> None:
        self.path = path
        self.blocks = blocks
        self._windows = windows(blocks)
        self._lines: dict[int, bytes] = {}  # file offset -> line (no newline), found so far
        self._by_needle: dict[bytes, set[int]] = {}  # needle -> offsets of its lines
        self._child: Forked | None = fork(sealed_blocks_match, path, blocks)
        self._intact: bool | None = None

    @classmethod
    def open(cls, path: Path, blocks: list[Block] | None) -> SealedSearch | None:
        """A search of the log at `path`, if `blocks` (its vouched seal) covers it exactly."""
        if not blocks:
            return None
        try:
            size = os.stat(path).st_size
        except OSError:
            return None
        return cls(path, blocks) if covers(blocks, size) else None

    def __enter__(self) -> SealedSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child if its answer was never asked for."""
        if self._child is not None:
            self._child.close()
            self._child = None

    def intact(self) -> bool:
        """Whether every block's bytes are those the run sealed (waits for the check)."""
        if self._intact is None:
            child, self._child = self._child, None
            answer = child.result() if child is not None else None
            if answer is None:  # no child, or it failed: check here
                answer = sealed_blocks_match(self.path, self.blocks)
            self._intact = bool(answer)
        return self._intact

    def lines(self, needles: Iterable[bytes]) -> list[bytes]:
        """The lines (without newline) holding any of `needles`, in the file's order."""
        wanted = sorted(set(needles))
        new = [n for n in wanted if n not in self._by_needle]
        if new:
            self._search(new)
        offsets: set[int] = set()
        for needle in wanted:
            offsets |= self._by_needle[needle]
        return [self._lines[at] for at in sorted(offsets)]

    def events(self, needles: Iterable[bytes]) -> list[Event] | None:
        """The events of :meth:`lines`; None if one of them is not an event."""
        try:
            return list(map(DECODER.decode, self.lines(needles)))
        except msgspec.DecodeError:
            return None

    def _search(self, needles: list[bytes]) -> None:
        found: dict[bytes, set[int]] = {n: set() for n in needles}
        finders = [(n, _finder(n)) for n in needles]
        largest = max(size for _, size in self._windows)
        buf = bytearray(largest)
        view = memoryview(buf)
        with open(self.path, "rb", buffering=0) as f:
            for offset, size in self._windows:
                end = _fill(f, view[:size], offset)
                starts: set[int] = set()
                for needle, pattern in finders:
                    hits = _hits(buf, end, needle, pattern)
                    found[needle].update(offset + s for s in hits)
                    starts |= hits
                for start in starts:
                    if offset + start not in self._lines:
                        stop = buf.find(b"\n", start, end)
                        self._lines[offset + start] = bytes(buf[start : end if stop < 0 else stop])
        self._by_needle.update(found)
