"""A reading of a run's log that trusts nothing: the chain as it goes, the end of the run.

Every reading verb (`timeline`, `replay`, `metrics`, `explain`, `branch`, `export`,
`query`, `diff`) reads through :class:`LogReading`. As it yields events it checks
each line's hash against the line before (or each block against the run's seal, see
:mod:`sim.store.seal`), that ``seq`` counts up from 0 without gaps, that ``t`` never
decreases and that nothing follows ``RunEnded``; at the end it checks that the log
ended with ``RunEnded`` and that its last hash is the one the manifest recorded.

It stops at the first altered line and never raises in the middle of a reading: the
verb shows what it read, then calls :meth:`LogReading.raise_if_broken`, which says
plainly whether the run is incomplete (cut off: killed, crashed, still running) or
altered (a line changed, dropped or reordered), with exit code 1.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from operator import attrgetter, length_hint
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from sim.errors import LogError
from sim.events import DECODER, Event, RunEnded, decode
from sim.store.chain import GENESIS, SUFFIX_LEN, chain_holds, framed
from sim.store.chain import HASH_HEAD as _HEAD
from sim.store.chain import HASH_TAIL as _TAIL
from sim.store.seal import Block, load_seal

CHUNK = 1 << 20
_HEAD_AT = -SUFFIX_LEN  # where ,"hash":" starts, counted from the end of a line (no newline)
_SEQ = attrgetter("seq")
_T = attrgetter("t")


class LogIntegrityError(LogError):
    """A log that is incomplete or altered: the check a reading verb did failed (exit 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Fault:
    """What is wrong with a log: ``incomplete`` or ``altered``, from which seq, and why."""

    kind: str
    seq: int | None
    message: str


@dataclass(frozen=True)
class Resume:
    """Where to start reading other than at the top: the line after a known one."""

    offset: int  # byte offset of the first line to read
    seq: int  # the seq that line must carry
    prev_hash: bytes  # the hash of the line before it
    t: float  # the time of the line before it


def open_log(path: Path) -> BinaryIO:
    """Open an event log for reading; LogError naming the file when it cannot be."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        msg = f"{path}: no such event log"
    except IsADirectoryError:
        msg = f"{path}: is a directory, not an event log"
    except OSError as exc:
        msg = f"{path}: cannot open event log: {exc.strerror or exc}"
    raise LogError(msg)


def raw_lines(f: BinaryIO, offset: int = 0, end: int | None = None) -> Iterator[list[bytes]]:
    """Batches of whole lines (without newline) from `offset` (to `end`, a line start, when
    given: the end of the file otherwise); a last partial line alone.

    The partial line, if any, comes as a batch of one line that still ends without a
    newline marker: the caller tells it by :data:`PARTIAL` wrapping (see `LogReading`).
    """
    size = os.fstat(f.fileno()).st_size
    left = (size if end is None else min(end, size)) - f.seek(offset)
    rest = b""
    while True:
        chunk = f.read(min(CHUNK, left)) if left > 0 else b""
        left -= len(chunk)
        if not chunk:
            break
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield data[:cut].split(b"\n")
    if rest:
        yield [rest, PARTIAL]


def whole_lines(path: Path, offset: int = 0, end: int | None = None) -> Iterator[list[bytes]]:
    """Batches of the whole lines of the file at `path` from `offset` to `end` (line
    starts; None: the end of the file), without a last line cut off before its newline."""
    with open(path, "rb") as f:
        for batch in raw_lines(f, offset, end):
            if batch[-1] is not PARTIAL:
                yield batch


@dataclass(frozen=True, slots=True)
class _Batch:
    """Lines to read: chained one by one, or vouched for by the seal (all, or those selected)."""

    lines: list[bytes]
    kind: str  # "chain", "sealed" (every line of a block) or "sparse" (selected lines of one)
    next_seq: int = 0  # sealed kinds: the seq after the block
    last_hash: bytes = b""  # sealed kinds: the hash of the block's last line
    data: bytes = b""  # "sealed": the block's lines as read, each ending in a newline


def _batches(
    f: BinaryIO,
    offset: int,
    blocks: list[Block] | None,
    unsealed: list[int],
    select: Needles | None,
    end: int | None = None,
    hash_until: int | None = None,
    matched: list[int] | None = None,
) -> Iterator[_Batch]:
    """Batches of lines from `offset`: sealed blocks whole, the rest to chain line by line.

    A block whose bytes match the run's seal (one SHA-256 over them) comes as one batch
    (its index among the seal's blocks added to `matched`, when given);
    with `select`, only its lines that hold one of the needles, found at C speed.
    From the first block that does not match, and past the last block, lines come to be
    chained one by one. With `end` (a line start), lines stop there. With `hash_until`
    (a line start), the lines to chain from there on come as "framed": their hashes are
    checked elsewhere.
    """
    for index, block in enumerate(blocks or ()):
        if block.end <= offset:
            continue
        if end is not None and block.end > end:
            break  # (the lines of a block cut by `end` are chained)
        f.seek(block.offset)
        data = f.read(block.size)
        if len(data) != block.size:
            break  # cut short: the line-by-line reading tells where
        if sha256(data).hexdigest() != block.digest:
            unsealed.append(block.seq)  # changed since the run sealed it
            break
        if matched is not None:
            matched.append(index)
        start = offset - block.offset if offset > block.offset else 0
        count = data.count(b"\n")
        if select is not None:
            yield _Batch(
                _selected(data, start, select), "sparse", block.seq + count, block.last_hash
            )
        else:
            sealed = data[start:] if start else data
            yield _Batch([], "sealed", block.seq + count, block.last_hash, sealed)
        offset = block.end
    if hash_until is not None and offset < hash_until:
        for batch in raw_lines(f, offset, hash_until if end is None else min(end, hash_until)):
            yield _Batch(batch, "chain")
        offset = hash_until
    kind = "chain" if hash_until is None else "framed"
    for batch in raw_lines(f, offset, end):
        yield _Batch(batch, kind)


def _decoded_in_order(data: bytes, seq: int, after: float) -> list[Event] | None:
    """The events of a sealed block's lines (`data`), decoded in one call, if in order.

    The seal vouches for the bytes, so (as for the lines a selective reading skips)
    the seq of the first and last event place the block; time must not go back from
    `after` nor within the block, and nothing may follow RunEnded, checked over the
    whole block in C calls. None when anything is off, for the caller to read the
    block line by line and say where.
    """
    try:
        events: list[Event] = DECODER.decode_lines(data)
    except msgspec.DecodeError:
        return None
    if not events:
        return events
    times = list(map(_T, events))
    if (
        events[0].seq != seq
        or events[-1].seq != seq + len(events) - 1
        or times[0] < after
        or times != sorted(times)
        or RunEnded in list(map(type, events[:-1]))  # (a type compared by identity)
    ):
        return None
    return events


def _chained_in_order(
    lines: list[bytes], prev: bytes | None, seq: int, after: float
) -> list[Event] | None:
    """The events of a batch of lines to be chained, if every check of the line-by-line
    reading passes (frame, chain from `prev` unless None, decoding line by line, seq
    counting up from `seq`, time not going back from `after`, nothing after RunEnded).

    None when anything is off, for the caller to read the batch line by line and say
    where. Each line is decoded alone (as the line-by-line reading does), never as
    a stream, which would take two objects on one line for two events.
    """
    if not (framed(lines) if prev is None else chain_holds(lines, prev)):
        return None
    try:
        events: list[Event] = list(map(DECODER.decode, lines))
    except msgspec.DecodeError:
        return None
    n = len(events)
    times = list(map(_T, events))
    if (
        times[0] < after
        or times != sorted(times)
        or list(map(_SEQ, events)) != list(range(seq, seq + n))
    ):
        return None
    types = list(map(type, events))
    if RunEnded in types and types.index(RunEnded) != n - 1:
        return None
    return events


def _first_after(events: list[Event], t: float) -> int:
    """The index of the first event later than `t` (events in time order)."""
    return bisect_right(events, t, key=_time)


def _time(event: Event) -> float:
    return event.t


def _after_line(line: bytes, prev: bytes, hashes: bool) -> tuple[bytes, bytes]:
    """(prev, unhashed) as the line-by-line reading leaves them once `line` is checked."""
    return (line[-66:-2], b"") if hashes else (prev, line)


Needles = tuple[bytes, ...]
"""Byte strings to look for in a line (e.g. ``b'"R100"'``: an id as a JSON string)."""


def needles(ids: Iterable[str]) -> Needles:
    """The needles that find the lines naming any of `ids` as a JSON string."""
    return tuple(f'"{i}"'.encode() for i in sorted(set(ids)))


def _selected(data: bytes, start: int, select: Needles) -> list[bytes]:
    """The whole lines of `data` (from `start`, ending in a newline) holding a needle."""
    starts: set[int] = set()
    find, rfind = data.find, data.rfind
    for needle in select:  # bytes.find runs at memory speed; one pass per needle
        at = find(needle, start)
        while at >= 0:
            begin = rfind(b"\n", 0, at) + 1
            starts.add(begin)
            end = find(b"\n", at)
            at = find(needle, end)
    return [data[b : find(b"\n", b)] for b in sorted(starts)]


PARTIAL = b"\x00partial"
"""Sentinel after the last batch's line when that line had no newline (cut off)."""


class LogReading:
    """One checked pass over a run's log. Iterate :meth:`events`, then ask what was found.

    ``manifest`` (the run's manifest.json, if any) gives the final hash and event count
    the end of the log must match, and whether the run completed.
    """

    def __init__(self, path: Path, manifest: dict[str, Any] | None = None) -> None:
        self.path = path if isinstance(path, Path) else Path(path)
        self.manifest = manifest if isinstance(manifest, dict) else None
        self.fault: Fault | None = None
        self.count = 0  # events read and found good
        self.last: Event | None = None
        self.last_hash = GENESIS
        self.stopped_early = False  # the caller stopped before the end: the tail is checked apart
        self.tail_undecoded = False  # the last line read was not decoded (left out by `select`)
        self.partial = False  # the log ends mid-line
        # `hash_until`: (seq, hash of the line before) where the hashes checked here ended
        self.seam: tuple[int, bytes] | None = None
        self._blocks: list[Block] | bool | None = False  # False: not looked for yet
        self._unsealed: list[int] = []  # first seq of a block that did not match the seal
        self.matched: list[int] = []  # the seal's blocks (indexes) this reading found intact
        # the batch of lines being chained: (seq of its first, its byte offset, its lines)
        self._place: tuple[int, int, list[bytes]] | None = None

    # --- reading -------------------------------------------------------------------------

    def events(
        self,
        *,
        resume: Resume | None = None,
        until_t: float | None = None,
        select: Needles | None = None,
        chain: bool = True,
        hashes: bool = True,
        end: int | None = None,
        hash_until: int | None = None,
    ) -> Iterator[Event]:
        """Yield the log's events, checked, from the top (or `resume`) to the end (or `until_t`).

        Stops quietly at the first fault (see :attr:`fault`). With `until_t` it stops
        before the first event later than `until_t`, and checks the end of the run
        from the file's last line instead. With `select`, only lines holding a needle
        are decoded and yielded; every line is still chained (an intact chain already
        proves each line's place, so the seq and time checks of skipped lines add nothing).
        ``chain=False`` only searches: for a later pass over a log one pass already checked.
        ``hashes=False`` checks every line but its hash: for a caller that has the chain
        checked elsewhere at the same time (`verify`, :mod:`sim.store.chaincheck`).
        With `end` (a line start), it reads the lines before that byte only and leaves
        the end of the run to whoever reads on from there (`resume`; `metrics` reads a
        big log in two parts, :mod:`sim.analysis.metric_changes`): no end checks.
        With `hash_until` (a line start), only the lines before that byte have their hash
        checked here, the rest as with ``hashes=False`` (`verify` chains the rest in its
        child); :attr:`seam` then tells where this reading passed it.
        """
        if not chain:
            yield from self._search(select, resume)
            return
        part = end is not None  # (`end` names a line's frame end in the loop below)
        expected = 0 if resume is None else resume.seq
        prev = GENESIS if resume is None else resume.prev_hash
        last_t = float("-inf") if resume is None else resume.t
        offset = 0 if resume is None else resume.offset
        count, last, ended, tail_undecoded = 0, None, False, False
        sha, decode = sha256, DECODER.decode
        at: int | None = offset  # the byte offset of the next batch of lines to chain

        unhashed = b""  # hashes=False: the last line read (its hash not checked here)

        def keep() -> None:  # what was read, for the end checks and the caller
            self.count, self.tail_undecoded = count, tail_undecoded
            self.last_hash = unhashed[-66:-2] if unhashed else prev
            if last is not None:
                self.last = last

        try:
            with open_log(self.path) as f:
                batches = _batches(
                    f, offset, self.blocks(), self._unsealed, select, end, hash_until,
                    self.matched,
                )  # fmt: skip
                for batch in batches:
                    lines = batch.lines
                    kind = batch.kind
                    hashing = hashes and kind != "framed"
                    if kind == "framed":
                        kind = "chain"
                        if self.seam is None:  # the first line whose hash is checked elsewhere
                            self.seam = (expected, prev)
                    if lines and lines[-1] is PARTIAL:
                        self.partial = True
                        self._fault(
                            "incomplete",
                            expected,
                            f"the log ends mid-line after seq {expected - 1}: the run was cut off"
                            if expected
                            else "the log ends mid-line before any complete event",
                        )
                        break
                    sparse = kind == "sparse"
                    chained = kind == "chain"
                    if chained and at is not None:  # where its lines are, for `line_end`
                        self._place = (expected, at, lines)
                        at += sum(map(len, lines)) + len(lines)
                    else:  # (a sealed block, or lines after one: not followed)
                        self._place, at = None, None
                    whole: list[Event] | None = None
                    if kind == "sealed":
                        whole = None if ended else _decoded_in_order(batch.data, expected, last_t)
                        if whole is None:  # line by line, to say what is wrong
                            lines = batch.data[:-1].split(b"\n")
                    elif chained and select is None and not ended and lines:
                        # a batch checked in a few C calls; line by line if anything is off
                        whole = _chained_in_order(
                            lines, prev if hashing else None, expected, last_t
                        )
                    if whole is not None:
                        cut = len(whole) if until_t is None else _first_after(whole, until_t)
                        told = iter(whole[:cut] if cut < len(whole) else whole)
                        try:  # a batch at C speed; what the caller took counted after
                            yield from told
                        finally:
                            taken = cut - length_hint(told)
                            if taken:
                                count += taken
                                last = whole[taken - 1]
                                if chained:  # where the line-by-line reading would be
                                    prev, unhashed = _after_line(lines[taken - 1], prev, hashing)
                                elif taken == len(whole):  # a sealed block to its last line
                                    prev, unhashed = batch.last_hash, b""
                        if cut < len(whole):
                            if chained:  # that line was checked, not yielded, as line by line
                                prev, unhashed = _after_line(lines[cut], prev, hashing)
                            keep()
                            self.stopped_early = True
                            self.check_tail()
                            return
                        if whole:
                            last_t = whole[-1].t
                            ended = type(whole[-1]) is RunEnded
                        if chained:
                            expected += len(whole)
                        else:
                            prev, expected, unhashed = batch.last_hash, batch.next_seq, b""
                        tail_undecoded = False
                        continue
                    for line in lines:
                        if chained:
                            # the line's frame: ...,"hash":"<64 hex>"} (no slices: a hot loop)
                            end = len(line) - SUFFIX_LEN
                            if end < 1 or not line.startswith(_HEAD, end) or line[-2:] != _TAIL:
                                self._altered_line(expected, line)
                                return
                            if hashing:
                                digest = line[-66:-2]
                                if sha(prev + line[:end] + b"}").hexdigest().encode() != digest:
                                    self._altered_line(expected, line)
                                    return
                                prev = digest
                            else:
                                unhashed = line  # its hash is the last, if it is the last
                            if select is not None and not any(n in line for n in select):
                                expected += 1
                                tail_undecoded = True
                                continue
                        try:
                            event = decode(line)
                        except msgspec.DecodeError as exc:
                            self._fault("altered", expected, f"seq {expected}: not an event: {exc}")
                            return
                        t = event.t
                        if sparse:  # the seal vouches for the lines between
                            expected = event.seq
                        elif event.seq != expected or t < last_t or ended:
                            self._out_of_order(expected, event, last_t)
                            return
                        if until_t is not None and t > until_t:
                            keep()
                            self.stopped_early = True
                            self.check_tail()
                            return
                        last_t = t
                        ended = type(event) is RunEnded
                        expected += 1
                        count += 1
                        last = event
                        tail_undecoded = False
                        yield event
                    if not chained:
                        prev, expected, unhashed = batch.last_hash, batch.next_seq, b""
                        tail_undecoded = sparse and (last is None or last.seq != expected - 1)
            keep()
            if self.fault is None and not part:
                self._check_end()
        finally:
            keep()
            self._place = None  # (a batch's lines: kept while they are read, not after)

    def line_end(self, seq: int) -> tuple[int, bytes] | None:
        """The byte offset just after line `seq` and that line's hash, asked while the
        event of that line is being read (a reading that chains line by line, as
        `verify`'s does; None when it is not in the batch being read, or a sealed block).
        What :func:`sim.store.snapshots.line_ends` finds by a scan of the file."""
        place = self._place
        if place is None:
            return None
        first, start, lines = place
        i = seq - first
        if not 0 <= i < len(lines):
            return None
        return start + sum(map(len, lines[: i + 1])) + i + 1, lines[i][-66:-2]

    def blocks(self) -> list[Block] | None:
        """The run's seal, if it has one its manifest vouches for (see :mod:`sim.store.seal`)."""
        if self._blocks is False:
            self._blocks = load_seal(self.path, self.manifest)
        return self._blocks  # type: ignore[return-value]

    def _search(self, select: Needles | None, resume: Resume | None) -> Iterator[Event]:
        """The events of the lines holding a needle (found at C speed), chain unchecked."""
        with open_log(self.path) as f:
            f.seek(0 if resume is None else resume.offset)
            rest = b""
            while chunk := f.read(CHUNK):
                data = rest + chunk
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
                if not data:
                    continue
                lines = data[:-1].split(b"\n") if select is None else _selected(data, 0, select)
                for line in lines:
                    try:
                        yield decode(line)
                    except msgspec.DecodeError:
                        return

    def stop(self) -> None:
        """The caller read all it needed before the end: check the end of the run apart."""
        if self.fault is None and not (self.last is not None and type(self.last) is RunEnded):
            self.stopped_early = True
            self.check_tail()

    # --- a log read in parts ------------------------------------------------------------

    def clean(self) -> bool:
        """Whether all this reading has read so far is intact and goes on as a reading
        resumed from where it is would: no fault, no line cut off, and no block that did
        not match the run's seal (after one, a reading chains every later line, and its
        end says so; a reading resumed later knows nothing of it)."""
        return self.fault is None and not self.partial and not self._unsealed

    def join(self, rest: LogReading, at: Resume) -> bool:
        """Read on through `rest`, a reading of the same log resumed `at` the line after
        this one's last (``events(resume=at)``, to the end of the log, whole or as a part
        with ``end=``): this reading, from the top of the log, then says what one reading
        of the whole would (the events read, the last line, the first fault, and the end
        of the run checked here when `rest` found none).

        Only if this reading stopped :meth:`clean` right before `at` (its last line the
        one `at` resumes after: its seq, hash and time, and not ``RunEnded``, which
        nothing may follow); else False, nothing changed, for the caller to read on.
        """
        last = self.last
        if not (
            self.clean()
            and last is not None
            and type(last) is not RunEnded
            and self.count == at.seq
            and last.seq == at.seq - 1
            and self.last_hash == at.prev_hash
            and last.t == at.t
        ):
            return False
        self.count += rest.count
        if rest.last is not None:
            self.last = rest.last
        self.last_hash = rest.last_hash
        self.tail_undecoded = rest.tail_undecoded
        self.partial = rest.partial
        self._unsealed.extend(rest._unsealed)
        if rest.fault is not None:
            self.fault = rest.fault
        else:
            self._check_end()  # (again, if `rest` read to the end whole: the same checks)
        return True

    # --- what was found ----------------------------------------------------------------

    @property
    def ok(self) -> bool:
        """Whether everything read so far was intact and the run is complete."""
        return self.fault is None

    def raise_if_broken(self) -> None:
        """Raise LogIntegrityError (exit 1) saying plainly what is wrong, if anything."""
        if self.fault is None:
            return
        raise LogIntegrityError(self.describe())

    def describe(self) -> str:
        """The fault as a sentence a user can act on."""
        fault = self.fault
        if fault is None:
            return f"{self.path}: intact and complete"
        if fault.kind == "incomplete":
            return f"{self.path}: the run is incomplete: {fault.message}"
        return f"{self.path}: the log was altered: {fault.message}; `intelsim verify` says more"

    # --- the checks ------------------------------------------------------------------

    def _fault(self, kind: str, seq: int | None, message: str) -> None:
        if self.fault is None:
            self.fault = Fault(kind, seq, message)

    def _altered_line(self, seq: int, line: bytes) -> None:
        if len(line) <= SUFFIX_LEN or not line.startswith(b"{"):
            self._fault("altered", seq, f"seq {seq}: the line is not an event line")
        elif line[_HEAD_AT:-66] != _HEAD or line[-2:] != _TAIL:
            self._fault("altered", seq, f'seq {seq}: the line does not end with its "hash"')
        else:
            self._fault(
                "altered", seq, f"seq {seq}: hash chain broken (the line was changed or dropped)"
            )

    def _out_of_order(self, expected: int, event: Event, last_t: float) -> None:
        if event.seq != expected:
            why = f"seq {event.seq} where seq {expected} was expected (a line dropped or moved)"
        elif event.t < last_t:
            why = f"seq {expected}: t={event.t} is earlier than the event before (t={last_t})"
        else:
            why = f"seq {expected}: {type(event).__name__} after RunEnded"
        self._fault("altered", expected, why)

    def _check_end(self) -> None:
        """After the last line: the run must have ended, as the manifest recorded it."""
        if self.tail_undecoded:  # the last line was not decoded: judge it from the file
            self.check_tail()
            return
        last = self.last
        if last is None:
            self._fault("incomplete", 0, "the log is empty")
            return
        if type(last) is not RunEnded:
            self._fault(
                "incomplete",
                last.seq + 1,
                f"the log ends at seq {last.seq} (t={last.t:g} h, {type(last).__name__}) "
                f"without RunEnded: the run did not finish",
            )
            return
        self._check_manifest(last.seq + 1, self.last_hash)
        if self._unsealed:  # the chain holds, yet the bytes are not those the run sealed
            seq = self._unsealed[0]
            self._fault(
                "altered",
                seq,
                f"the block of lines from seq {seq} is not what the run wrote and sealed "
                "(the log was re-hashed after the run)",
            )

    def _check_manifest(self, count: int, last_hash: bytes) -> None:
        manifest = self.manifest
        if manifest is None:
            return
        if manifest.get("status") != "complete":
            self._fault("incomplete", None, "the manifest says the run did not complete")
            return
        final = manifest.get("final_hash")
        if isinstance(final, str) and final.encode() != last_hash:
            self._fault(
                "altered",
                None,
                f"its last hash {last_hash.decode()[:12]}… is not the "
                f"{final[:12]}… the manifest recorded (the log was rewritten)",
            )
        elif manifest.get("events") not in (None, count):
            self._fault(
                "altered",
                None,
                f"the manifest records {manifest.get('events')} events, the log has {count}",
            )

    def check_tail(self) -> None:
        """Check the end of the run from the file's last line alone (for partial readings)."""
        last = tail_line(self.path)
        if last is None:
            self._fault("incomplete", None, "the log ends mid-line: the run was cut off")
            return
        try:
            event = decode(last)
        except msgspec.DecodeError:
            self._fault("altered", None, "the log's last line is not an event")
            return
        if type(event) is not RunEnded:
            self._fault(
                "incomplete",
                event.seq + 1,
                f"the log ends at seq {event.seq} (t={event.t:g} h, {type(event).__name__}) "
                f"without RunEnded: the run did not finish",
            )
            return
        self._check_manifest(event.seq + 1, last[-66:-2])


def tail_line(path: Path) -> bytes | None:
    """The file's last whole line (without newline), or None if the file ends mid-line."""
    with open_log(path) as f:
        size = f.seek(0, 2)
    return line_ending_at(path, size)


def line_ending_at(path: Path, end: int, span: int = 1 << 16) -> bytes | None:
    """The whole line of the file that ends at byte `end` (its newline the byte before
    it), without its newline; None if none does (`end` is 0 or not just after a newline).
    Where a log is cut in two parts, the line before the seam; at its size, its last."""
    if end <= 0:
        return None
    with open_log(path) as f:
        start = max(0, end - span)
        f.seek(start)
        data = f.read(end - start)
    if not data.endswith(b"\n"):
        return None
    cut = data.rfind(b"\n", 0, len(data) - 1)
    if cut < 0 and start > 0:  # a line longer than the span: look further back
        return line_ending_at(path, end, span * 4)
    return data[cut + 1 : -1]
