"""A big run's timeline told on two cores: the later part of the log in a forked child.

Telling an event needs only what the narrator remembers of the events before it (who
filed each report, when each message was sent, …) and, for a node, a rule on the event
alone; its time is told from the event alone. So the log is cut at a line (the seam,
about :data:`SHARE` of the way in, at a sealed block's edge when the run has a seal): this
process tells the lines before it, as :func:`~sim.analysis.timeline.timeline_text` does,
while a forked child first *hears* them (:meth:`~sim.analysis.timeline.Narrator.remember`:
what telling them would remember, without the sentences: about a third of what reading
and telling them costs) and then tells the lines from the seam on into a temporary file,
which this process writes out after its own lines. Only when a core is idle this moment
(:func:`sim.store.forked.spare_core`): hearing is work a single process would not do.

Each part is checked as a whole reading checks it: this process reads its lines with the
run's :class:`~sim.store.reading.LogReading`; the child resumes a reading at the seam
(:class:`~sim.store.reading.Resume`, from the hash and time of the line before it, which
this process's reading checks), and its end is checked here, by the first reading, once
the child's findings are joined to it: the same output up to a fault and the same fault
as one reading. Where the two would not agree (a block before the seam that does not
match the seal: one reading then chains every later line, not only the seal's blocks;
the line before the seam a ``RunEnded``), or the child fails or cannot be forked, this
process goes on telling from the seam itself, as if there were no child.
"""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Generator, Iterator
from itertools import islice
from typing import IO, NamedTuple, cast

import msgspec

from sim import events as ev
from sim.analysis.timeline import Narrator, Teller, heard_decoder, teller, told_text
from sim.scenario.models import Scenario
from sim.store.forked import Forked, fork, spare_core
from sim.store.reading import LogReading, Resume

APART_BYTES = 8 << 20  # a smaller log is told here alone: a fork costs more than it saves
SHARE = 0.61  # of the log told here: the child hears this much, then tells the rest; the
# two then took about as long on queue-50k (CPU of each, measured), plain and for a node
CHUNK = 1 << 20


class Seam(NamedTuple):
    """Where the child starts telling: the byte offset and seq of a line."""

    offset: int
    seq: int


class Rest(NamedTuple):
    """The child's reading of the log from the seam to its end, as a part (the end of the
    run is left to the reading it joins: see :func:`_tell_rest`), and where it resumed."""

    at: Resume
    reading: LogReading


def text_apart(
    scenario: Scenario,
    reading: LogReading,
    *,
    as_node: str | None = None,
    until: float | None = None,
    block: int = 4096,
    apart_bytes: int = APART_BYTES,
    share: float = SHARE,
) -> Generator[str | bytes, None, None]:
    """The text of :func:`~sim.analysis.timeline.timeline_text` for the events of
    `reading`, `block` lines at a time, the part after the seam told by a forked child
    (that part as UTF-8 bytes, as the child wrote it: decoded only if the output needs it).

    `reading` ends as one reading of the whole log would: ask it
    :meth:`~sim.store.reading.LogReading.raise_if_broken` once this is exhausted. A log
    under `apart_bytes`, a timeline up to a time (`until`), or a machine where a fork is
    not possible, is told here alone. Close the iterator when stopping early: that stops
    the child.
    """
    told_by = teller(scenario, as_node)  # a node that does not exist: said before any fork
    seam = None if until is not None else _seam(reading, apart_bytes, share)
    # a generator (LogReading.events is one): closed at the seam, when the child tells on
    events = cast(Generator[ev.Event, None, None], reading.events(until_t=until))
    spill = None if seam is None else _spill()
    if seam is None or spill is None:
        yield from told_text(told_by, events, as_node=as_node, until=until, block=block)
        return
    with spill:
        child = fork(_tell_rest, scenario, as_node, reading, seam, spill.fileno(), block)
        try:
            # the events before the seam, numbered 0 to seam.seq - 1 (the reading checks
            # it), the one after not pulled
            yield from told_text(told_by, islice(events, seam.seq), as_node=as_node, block=block)
            if getattr(events, "gi_frame", None) is None:  # the generator has finished:
                return  # the log ended (or broke) before the seam, as the reading says
            rest = _rest(child, reading)
            if rest is None:  # this process tells the rest itself, from where it stopped
                yield from told_text(told_by, events, as_node=as_node, block=block)
                return
            events.close()  # (its reading is left at the seam, to be joined below)
            if reading.join(rest.reading, rest.at):
                yield from _spilled(spill)
            else:  # the child read other lines before the seam (the file changed): on here
                yield from _told_on(told_by, reading, seam, as_node, block)
        finally:
            if child is not None:
                child.close()


def _spill() -> IO[bytes] | None:
    """A file for the child's text, gone once closed (None where none can be made)."""
    try:
        return tempfile.TemporaryFile()
    except OSError:
        return None


def _seam(reading: LogReading, apart_bytes: int, share: float) -> Seam | None:
    """Where to cut the log (None: not worth a child): at the line about `share` of the way
    in; at a sealed block's edge if the run has a seal."""
    if not spare_core():
        return None
    try:
        size = reading.path.stat().st_size
    except OSError:
        return None  # the reading says why
    if size < apart_bytes or size == 0:
        return None
    target = int(size * share)
    blocks = reading.blocks()
    if blocks:
        inner = [b for b in blocks[1:] if 0 < b.offset < size]
        if not inner:
            return None
        best = min(inner, key=lambda b: abs(b.offset - target))
        return Seam(best.offset, best.seq)
    try:
        with open(reading.path, "rb") as f:
            f.seek(target)
            after = f.read(1 << 16).find(b"\n")
            if after < 0:
                return None
            offset = target + after + 1
            f.seek(0)
            lines, left = 0, offset
            while left > 0 and (chunk := f.read(min(CHUNK, left))):
                lines += chunk.count(b"\n")
                left -= len(chunk)
    except OSError:
        return None
    return Seam(offset, lines) if lines > 0 else None


def _rest(child: Forked | None, reading: LogReading) -> Rest | None:
    """The child's findings, if it told the rest as one reading would go on; else None."""
    if child is None or not reading.clean():
        return None  # (blocks that did not match the seal: one reading chains on)
    got = child.result()
    return got if isinstance(got, Rest) else None


def _told_on(
    told_by: Teller, reading: LogReading, seam: Seam, as_node: str | None, block: int
) -> Iterator[str]:
    """The lines from the seam told here, read by a reading resumed where `reading` (clean,
    stopped at the seam) stopped and joined to it."""
    last = reading.last
    assert last is not None  # (the lines before the seam were read)
    at = Resume(seam.offset, reading.count, reading.last_hash, last.t)
    rest = LogReading(reading.path, reading.manifest)
    events = rest.events(resume=at, end=os.path.getsize(reading.path))
    yield from told_text(told_by, events, as_node=as_node, block=block)
    reading.join(rest, at)


def _spilled(spill: IO[bytes]) -> Iterator[bytes]:
    """The child's text, as it wrote it (UTF-8)."""
    spill.seek(0)
    while chunk := spill.read(CHUNK):
        yield chunk


def _tell_rest(
    scenario: Scenario, as_node: str | None, reading: LogReading, seam: Seam, fd: int, block: int
) -> Rest | None:
    """The child's work: hear the log up to the seam, then tell the rest into `fd`.

    None where one reading would go on otherwise than a reading resumed at the seam (the
    line before it a RunEnded), or the lines before the seam are not events one by one
    (the parent's reading then stops before the seam, and this is not asked for).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing of the child's on the parent's output, ever
    gc.freeze()  # what the fork shares with its parent is never scanned (nor copied)
    told_by = teller(scenario, as_node)
    narrator = told_by[0]
    with open(reading.path, "rb") as f:
        last = _hear_up_to(narrator, f, seam)
    if last is None:
        return None
    line, event = last
    if type(event) is ev.RunEnded or event.seq != seam.seq - 1:
        return None
    resumed = LogReading(reading.path, reading.manifest)
    # to the end of the file, but as a part: the end of the run is checked by the reading
    # this one joins (:meth:`~sim.store.reading.LogReading.join`)
    resume = Resume(seam.offset, seam.seq, line[-66:-2], event.t)
    events = resumed.events(resume=resume, end=os.path.getsize(reading.path))
    with open(fd, "w", encoding="utf-8", newline="", closefd=False) as out:
        for text in told_text(told_by, events, as_node=as_node, block=block):
            out.write(text)
    return Rest(resume, resumed)


def _hear_up_to(narrator: Narrator, f: IO[bytes], seam: Seam) -> tuple[bytes, ev.Event] | None:
    """Hear the lines before the seam (unchecked: the parent's reading checks them); the
    last line and its event, or None if they are not `seam.seq` events."""
    decode_lines = heard_decoder()[0].decode_lines  # only what hearing needs of each line
    remember = narrator.remember
    left, rest, count = seam.offset, b"", 0
    last = b""
    while left > 0:
        chunk = f.read(min(CHUNK, left))
        if not chunk:
            return None
        left -= len(chunk)
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if not cut:
            continue
        try:
            heard = decode_lines(data[:cut])
        except msgspec.DecodeError:  # not events: the parent's reading says why
            return None
        remember(heard)
        count += len(heard)
        end = cut - 1
        last = data[data.rfind(b"\n", 0, end) + 1 : end]
    if rest or count != seam.seq or not last:
        return None
    try:
        return last, ev.decode(last)
    except msgspec.DecodeError:
        return None
