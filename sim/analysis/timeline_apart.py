"""A big run's timeline told on two cores: the later part of the log in a forked child.

Telling an event needs only what the narrator remembers of the events before it (who
filed each report, when each message was sent, …) and, for a node, a rule on the event
alone; its time is told from the event alone. So the log is cut at a line (the seam,
about :data:`SHARE` of the way in, at a sealed block's edge when the run has a seal): this
process tells the lines before it, as :func:`~sim.analysis.timeline.timeline_text` does,
while a forked child tells the lines from the seam on into a temporary file, which this
process writes out after its own lines. Only when a core is idle this moment
(:func:`sim.store.forked.spare_core`).

The child knows nothing of the lines before the seam (:class:`PartNarrator`): most lines
need nothing of them, and the few that do (a report analysed after the seam that queued
before it, a sighting of a use before it, …) it leaves to this process, a NUL in their
place. This process, once it has told its lines, reads on from the seam to the last of
those, hearing the lines between (:meth:`~sim.analysis.timeline.Narrator.hearing`: what
telling them would remember), tells each of them, and writes the child's text with their
sentences in place of the NULs. Were one further than :data:`REACH` events from the seam,
the child hears the lines before the seam after all (about a third of what telling them
costs: work a single process would not do) and tells the rest as this process would.

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
from array import array
from collections.abc import Generator, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import msgspec

from sim import events as ev
from sim.analysis.ledger import Filed, ReportBook, UsageBook, Used, id_slot
from sim.analysis.timeline import (
    Narrator,
    Say,
    Sees,
    Teller,
    heard_decoder,
    sees_by_rule,
    teller,
    told_text,
)
from sim.scenario.models import Scenario
from sim.store.forked import Forked, fork, spare_core
from sim.store.reading import LogReading, Resume, line_ending_at, whole_lines

APART_BYTES = 8 << 20  # a smaller log is told here alone: a fork costs more than it saves
SHARE = 0.52  # of the log told here, the child telling the rest (hearing nothing before
# it); for a node, NODE_SHARE: the two then took about as long on queue-50k (the CPU time
# of each, measured; the child's telling costs a little more, its memory asked in Python)
NODE_SHARE = 0.49
REACH = 20_000  # events after the seam: a line the child cannot tell alone further on than
# this makes it hear the lines before the seam after all (the parent would hear this far)
CHUNK = 1 << 20


class Seam(NamedTuple):
    """Where the child starts telling: the byte offset and seq of a line."""

    offset: int
    seq: int


class Rest(NamedTuple):
    """The child's reading of the log from the seam to its end, as a part (the end of the
    run is left to the reading it joins: see :func:`_tell_rest`), where it resumed, and
    the lines it told without what came before the seam (:class:`PartNarrator`)."""

    at: Resume
    reading: LogReading
    holes: array[int]  # the seq of each event told so (in order)
    shown: bytes  # per hole, 1 if its line is in the child's text (a NUL for its sentence)
    reports: ReportBook | None  # the reports it filed (None: it heard the lines before)


class _Gaps:
    """Whether a :class:`PartNarrator` was asked, for the event it tells, what it did not
    know (what a line before the seam would have told it)."""

    __slots__ = ("missed",)

    def __init__(self) -> None:
        self.missed = False


MADE_AT_ONCE = 1 << 26  # slots a book begun after the seam makes empty at once, at most
# (a run of tens of millions of reports; an id past it is kept as the ledger keeps odd ids)


class _Reports(ReportBook):
    """The reports filed after the seam; asked for another, notes a gap.

    The first report it files is numbered where the run has got to: the slots before it
    are made empty at once (8 bytes each, as the parent's book holds them), so that the
    reports after it are filed as the next ones, as in the parent's book.
    """

    def __init__(self, gaps: _Gaps) -> None:
        super().__init__()
        self.gaps = gaps
        self.last: str | None = None  # the report filed last (a sighting asks of it next)

    def file(self, report: str, names: tuple[str, ...], usage: str | None) -> int:
        self.last = report
        if not self._usage and 0 < (slot := id_slot(report, "R") or 0) < MADE_AT_ONCE:
            self._kind.extend(array("I", bytes(4 * slot)))
            self._usage.extend(array("i", [-3]) * slot)  # -3: no such report
            self._next = report
        return super().file(report, names, usage)

    def get(self, report: str) -> Filed | None:
        filed = super().get(report)
        if filed is None:
            self.gaps.missed = True
        return filed


class _Usages(UsageBook):
    """The usages after the seam; asked for another, notes a gap.

    As :class:`_Reports`, the slots before the first usage it notes are made at once
    (each asked for is a gap).
    """

    def __init__(self, gaps: _Gaps) -> None:
        super().__init__()
        self.gaps = gaps
        self.below = 0  # the slots before this one are not usages after the seam

    def note(self, usage: str, munition: str, sector: str, t: float) -> None:
        if not self._t and 0 < (slot := id_slot(usage, "U") or 0) < MADE_AT_ONCE:
            self._pair.extend(array("I", bytes(4 * slot)))
            self._t.extend(array("d", [float("nan")]) * slot)
            self._next = usage
            self.below = slot
        super().note(usage, munition, sector, t)

    def _before(self, usage: str) -> bool:
        slot = id_slot(usage, "U") if self.below else None
        return slot is not None and slot < self.below

    def get(self, usage: str) -> Used | None:
        used = None if self._before(usage) else super().get(usage)
        if used is None:
            self.gaps.missed = True
        return used

    def munition(self, usage: str) -> str | None:
        last = self._last  # (the usual question: the usage just noted, as UsageBook asks)
        if usage == last[0]:
            return last[1]
        used = None if self._before(usage) else super().munition(usage)
        if used is None:
            self.gaps.missed = True
        return used


class _Known(dict[Any, Any]):
    """What was set after the seam (and not taken since); asked for a key it does not
    hold, notes a gap (the key may have been set before the seam, or taken after it:
    either way the parent, which knows, tells the line)."""

    def __init__(self, gaps: _Gaps) -> None:
        super().__init__()
        self.gaps = gaps

    def get(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        self.gaps.missed = True
        return default

    def pop(self, key: Any, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return dict.pop(self, key)
        self.gaps.missed = True
        return default


class _Indicators(_Known):
    """The shipments reports filed after the seam trace to: a report filed after the seam
    without one traces to none (a report is filed once; the parent checks that no report
    filed before the seam with a shipment was filed again after it: :func:`_rest`)."""

    def __init__(self, gaps: _Gaps, reports: _Reports) -> None:
        super().__init__(gaps)
        self.reports = reports

    def _unknown(self, report: str) -> bool:
        """Whether `report` was not filed after the seam."""
        reports = self.reports
        if report == reports.last:
            return False  # (the usual question: a report just filed)
        return ReportBook.get(reports, report) is None

    def __contains__(self, report: object) -> bool:
        if dict.__contains__(self, report):
            return True
        if self._unknown(cast(str, report)):
            self.gaps.missed = True
        return False

    def get(self, report: Any, default: Any = None) -> Any:
        if dict.__contains__(self, report):
            return dict.__getitem__(self, report)
        if self._unknown(report):
            self.gaps.missed = True
        return default


class PartNarrator(Narrator):
    """A narrator that starts at the seam knowing nothing of the lines before it, and says
    when a sentence needed what it did not know (:attr:`gaps`): the sentence is then not
    the one a narrator that heard them would say, and the parent tells that line.

    Everything it remembers is kept as :class:`Narrator` keeps it, in structures that
    note a gap when asked for what they do not hold; a link coming back up always does
    (the causes it was down for may have begun before the seam).
    """

    def __init__(self, scenario: Scenario, *, reveal_truth: bool = True) -> None:
        super().__init__(scenario, reveal_truth=reveal_truth)
        self.gaps = gaps = _Gaps()
        self.reports = _Reports(gaps)
        self.usages = _Usages(gaps)
        self.indicators = _Indicators(gaps, self.reports)
        self.shipments = _Known(gaps)
        self.campaigns = _Known(gaps)
        self.assessments = _Known(gaps)
        self.sent = _Known(gaps)
        self.queued = _Known(gaps)
        self.began = _Known(gaps)
        self.say[ev.LinkUp] = self._link_up_after_seam

    def _link_up_after_seam(self, e: ev.LinkUp) -> str:
        self.gaps.missed = True
        return self._link_up(e)


def text_apart(
    scenario: Scenario,
    reading: LogReading,
    *,
    as_node: str | None = None,
    until: float | None = None,
    block: int = 4096,
    apart_bytes: int = APART_BYTES,
    share: float | None = None,
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
    if share is None:
        share = SHARE if as_node is None else NODE_SHARE
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
            rest = _rest(child, reading, told_by[0])
            if rest is None:  # this process tells the rest itself, from where it stopped
                yield from told_text(told_by, events, as_node=as_node, block=block)
                return
            events.close()  # (its reading is left at the seam, to be joined below)
            if reading.join(rest.reading, rest.at):
                yield from _spilled(spill, _retold(told_by, reading, seam, rest))
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


def _rest(child: Forked | None, reading: LogReading, narrator: Narrator) -> Rest | None:
    """The child's findings, if it told the rest as one reading would go on and as
    `narrator` (which told the lines before the seam) would; else None."""
    if child is None or not reading.clean():
        return None  # (blocks that did not match the seal: one reading chains on)
    got = child.result()
    if not isinstance(got, Rest):
        return None
    if got.reports is not None and any(
        ReportBook.get(got.reports, report) is not None for report in narrator.indicators
    ):  # a report filed before the seam as tracing to a shipment, filed again after it:
        return None  # the child took it for one first filed there (it never is in a run)
    return got


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


def _spilled(spill: IO[bytes], sentences: list[str]) -> Iterator[bytes]:
    """The child's text, as it wrote it (UTF-8), each NUL in it (one per line it could
    not tell, and no other) replaced by the next of `sentences`."""
    spill.seek(0)
    told = iter(sentences)
    while chunk := spill.read(CHUNK):
        if b"\0" in chunk:
            parts = chunk.split(b"\0")
            chunk = b"".join(
                [parts[0], *(b for part in parts[1:] for b in (next(told).encode(), part))]
            )
        yield chunk


def _retold(told_by: Teller, reading: LogReading, seam: Seam, rest: Rest) -> list[str]:
    """The sentences of the lines the child could not tell (:attr:`Rest.holes`), told by
    `told_by`, which told the lines before the seam: it hears the lines from the seam on
    up to the last of them (read by the child's reading, which checked them), tells each
    of them, and gives the sentences of those in the child's text, in order."""
    if not rest.holes:
        return []
    narrator, say, _ = told_by
    hearing = narrator.hearing()
    shown = dict(zip(rest.holes, rest.shown, strict=True))
    last = rest.holes[-1]
    sentences: list[str] = []
    for event in _events_from(reading.path, seam.offset):
        cls = type(event)
        if event.seq in shown:
            text = say[cls](event)
            if shown[event.seq]:
                assert text is not None  # (a sentence that needs memory is never None)
                sentences.append(text)
        else:
            hear = hearing[cls]
            if hear is not None:
                hear(event)
        if event.seq >= last:
            break
    return sentences


def _events_from(path: Path, offset: int) -> Iterator[ev.Event]:
    """The events of the lines of `path` from `offset` (lines already checked)."""
    for lines in whole_lines(path, offset):
        yield from map(ev.DECODER.decode, lines)


def _tell_rest(
    scenario: Scenario, as_node: str | None, reading: LogReading, seam: Seam, fd: int, block: int
) -> Rest | None:
    """The child's work: tell the log from the seam into `fd`, knowing nothing of the lines
    before it (:class:`PartNarrator`: the lines whose sentence needs them are left to the
    parent); if one of those is more than :data:`REACH` events after the seam, hear the
    lines before the seam first and tell the rest as the parent would.

    None where one reading would go on otherwise than a reading resumed at the seam (the
    line before it a RunEnded), or the line before the seam is not an event (the parent's
    reading then stops before the seam, and this is not asked for).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing of the child's on the parent's output, ever
    gc.freeze()  # what the fork shares with its parent is never scanned (nor copied)
    before = _line_before(reading.path, seam.offset)
    if before is None:
        return None
    line, event = before
    if type(event) is ev.RunEnded or event.seq != seam.seq - 1:
        return None
    # to the end of the file, but as a part: the end of the run is checked by the reading
    # this one joins (:meth:`~sim.store.reading.LogReading.join`)
    at = Resume(seam.offset, seam.seq, line[-66:-2], event.t)
    end = os.path.getsize(reading.path)
    told_by = teller(scenario, as_node, PartNarrator)
    holes: array[int] = array("q")
    shown = bytearray()
    say = _holed(told_by, as_node, holes, shown, seam.seq + REACH)
    resumed = LogReading(reading.path, reading.manifest)
    events = cast(Generator[ev.Event, None, None], resumed.events(resume=at, end=end))
    try:
        nuls = _write(
            fd, told_text((told_by[0], say, told_by[2]), events, as_node=as_node, block=block)
        )
    except _TooFar:
        events.close()
    else:
        if nuls != sum(shown):  # a NUL in a sentence of the log's own: told the usual way
            return None
        return Rest(at, resumed, holes, bytes(shown), told_by[0].reports)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    told_by = teller(scenario, as_node)
    with open(reading.path, "rb") as f:
        if _hear_up_to(told_by[0], f, seam) is None:
            return None
    resumed = LogReading(reading.path, reading.manifest)
    _write(fd, told_text(told_by, resumed.events(resume=at, end=end), as_node=as_node, block=block))
    return Rest(at, resumed, array("q"), b"", None)


def _write(fd: int, blocks: Iterator[str]) -> int:
    """Write text to `fd` as UTF-8; how many NULs it held."""
    nuls = 0
    with open(fd, "w", encoding="utf-8", newline="", closefd=False) as out:
        for text in blocks:
            nuls += text.count("\0")
            out.write(text)
    return nuls


def _line_before(path: Path, offset: int) -> tuple[bytes, ev.Event] | None:
    """The line that ends at byte `offset` (without its newline) and its event, or None
    if there is none (not an event line: the parent's reading says what is wrong)."""
    line = line_ending_at(path, offset)
    if line is None:
        return None
    try:
        return line, ev.decode(line)
    except msgspec.DecodeError:
        return None


class _TooFar(Exception):
    """A line the child cannot tell alone too far from the seam to leave to the parent."""


def _holed(
    told_by: Teller, as_node: str | None, holes: array[int], shown: bytearray, reach: int
) -> dict[type[ev.Event], Say]:
    """What `told_by` (a :class:`PartNarrator`'s) says per event type, except that an
    event whose sentence needed what its narrator does not know is told as a NUL (the
    parent tells it: :func:`_retold`), its seq noted in `holes` and in `shown` whether its
    line is in the text; :class:`_TooFar` for such an event numbered `reach` or later."""
    narrator, say, seen = told_by
    gaps = cast(PartNarrator, narrator).gaps

    def holed(cls: type[ev.Event], tell: Say) -> Say:
        rule: Sees = True if seen is None else seen[cls]

        def told(event: Any) -> str | None:
            gaps.missed = False
            text = tell(event)
            if not gaps.missed:
                return text
            if event.seq >= reach:
                raise _TooFar
            holes.append(event.seq)
            if text is None or not sees_by_rule(rule, as_node, event):  # type: ignore[arg-type]
                shown.append(0)
                return text
            shown.append(1)
            return "\0"

        return told

    return {cls: holed(cls, tell) for cls, tell in say.items()}


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
