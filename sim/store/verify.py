"""Check a whole event log, streaming, and report every fault with the seq it starts at."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from sim.events import Event, RunEnded, decode
from sim.store.chain import GENESIS, check_span, next_hash, split_line
from sim.store.chaincheck import check_chain
from sim.store.forked import Forked, fork
from sim.store.reader import iter_lines
from sim.store.reading import LogReading, Resume, whole_lines

Check = Callable[[Event], "str | list[str] | None"]
"""An extra per-event check: returns a sentence describing the fault (or several), or None."""

Sweep = Callable[[Iterable[Event]], "list[tuple[int, list[str]]]"]
"""Checks over the whole stream of events in one loop of their own (`verify`'s fold: no
call per event): the problems of each event that has any, ``(seq, [sentence, ...])``."""

Found = Callable[[], "tuple[list[tuple[int, str]], int]"]
"""Problems found elsewhere (another process) on the same events: ``([(seq, sentence)…]
in seq order, how many more)``, called once the log has been read."""

MAX_PROBLEMS = 20
_WINDOW = 256  # lines whose hashes are kept for reordered-line checks


@dataclass
class Verdict:
    """What :func:`verify_log` found. ``ok`` only for an intact, complete log."""

    ok: bool
    count: int
    first_bad_seq: int | None
    problems: list[str] = field(default_factory=list)
    ended: bool = False
    final_hash: str = GENESIS.decode("ascii")
    truncated: bool = False
    more_problems: int = 0


class _Findings:
    """Collects problems, keeping the first few in full and counting the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.problems: list[str] = []
        self.more = 0
        self.first_bad_seq: int | None = None

    def add(self, seq: int | None, message: str) -> None:
        if seq is not None and self.first_bad_seq is None:
            self.first_bad_seq = seq
        if len(self.problems) < self.limit:
            self.problems.append(message)
        else:
            self.more += 1


def verify_log(
    path: Path,
    checks: Sequence[Check] = (),
    *,
    expected_final_hash: str | None = None,
    max_problems: int = MAX_PROBLEMS,
    start: Resume | None = None,
    elsewhere: Found | None = None,
    chain_apart: bool = True,
    chain_from: tuple[int, Rest] | None = None,
    sweep: Sweep | None = None,
    reading: LogReading | None = None,
) -> Verdict:
    """Verify ``events.jsonl``: line format, event types, seq, time order, hash chain, RunEnded.

    ``checks`` run on every decoded event; a returned string is a problem at that seq.
    ``sweep``, instead of `checks`, takes the decoded events all at once (:data:`Sweep`).
    ``reading``: a fresh :class:`LogReading` of `path` to read it with (the caller asks it
    where lines end as the checks see their events).
    ``expected_final_hash`` (e.g. from the manifest) also catches a log whose chain was
    recomputed after an edit. Raises LogError only when the file cannot be opened.
    ``start`` verifies from a known-good line on (its hash and time), not from the top.
    ``elsewhere`` gives the problems a check running apart on the same events found
    (`verify` judges markings and recomputes metrics in a child process).
    ``chain_apart`` lets a big log's chain be checked in a child process; a caller
    that already keeps the other core busy (`verify` with ``elsewhere``) says False.
    ``chain_from`` ``(offset, rest)`` splits the chain check at a line start: this process
    chains the lines before `offset`, ``rest()`` gives the chain of those from it on,
    checked elsewhere at the same time (`verify`'s child), as
    :func:`sim.store.chain.check_span` does (None: check them here).

    An intact log is read once, fast (:class:`sim.store.reading.LogReading`); only a
    broken one is read again, line by line, to name every fault. The checks then run
    on the events before the first fault only: what follows it cannot be trusted.
    """
    path = path if isinstance(path, Path) else Path(path)
    reading = LogReading(path) if reading is None else reading
    split = chain_from if start is None else None
    chainer = _chain_elsewhere(path, start) if chain_apart and split is None else None
    hashes = chainer is None
    seam = split[0] if split is not None else None
    try:
        events = reading.events(resume=start, hashes=hashes, hash_until=seam)
        flagged = _checked(events, checks, sweep)
    except BaseException:
        if chainer is not None:
            chainer.close()
        raise
    last_hash = reading.last_hash.decode("ascii")
    read = (start.seq if start else 0) + reading.count  # the seqs this reading checked
    chained = True
    if split is not None and reading.seam is not None:  # it read past the seam
        count, bad, tail = _chain_joined(path, reading.seam, *split)
        chained = bad is None and count == reading.count and tail.decode() == last_hash
        if bad is not None and bad < read:
            # a reading that chains stops at the first broken hash: what follows is not checked
            read = bad
            flagged = [found for found in flagged if found[0] < bad]
    elif not hashes:
        count, bad, tail = _chain_found(chainer, path, start)
        chained = bad is None and count == reading.count and tail.decode() == last_hash
        if bad is not None and bad < read:
            # a reading that chains stops at the first broken hash: what follows is not checked
            read = bad
            flagged = [found for found in flagged if found[0] < bad]
    found = _Findings(max_problems)
    more = 0
    if elsewhere is not None:
        apart, more = elsewhere()
        if any(seq >= read for seq, _ in apart):  # it stopped earlier (e.g. at a broken hash)
            apart, more = [(seq, sentence) for seq, sentence in apart if seq < read], 0
        # in seq order, this reading's own problems first at a seq (sorted is stable)
        apart_flagged = [(seq, f"seq {seq}: {sentence}") for seq, sentence in apart]
        flagged = sorted([*flagged, *apart_flagged], key=lambda found: found[0])
    for seq, problem in flagged:
        found.add(seq, problem)
    found.more += more
    if chained and reading.ok and (expected_final_hash is None or expected_final_hash == last_hash):
        return _verdict(found, reading.count, True, last_hash, truncated=False)
    fault = reading.fault
    if chained and fault is not None and fault.kind == "incomplete":
        # every line read was sound, the log only stops short: nothing more to find
        expected = (start.seq if start else 0) + reading.count
        if reading.partial:
            _cut(found, expected, expected + 1)
        return _ending(
            found, reading.count, expected, reading.last, reading.partial, last_hash,
            expected_final_hash,
        )  # fmt: skip
    return _careful(path, found, expected_final_hash, start)


def _checked(
    events: Iterable[Event], checks: Sequence[Check], sweep: Sweep | None = None
) -> list[tuple[int, str]]:
    """Every event through the checks, or the sweep: the problems found, by seq."""
    flagged: list[tuple[int, str]] = []
    if sweep is not None:
        if checks:
            msg = "checks and a sweep: give one or the other"
            raise ValueError(msg)
        for seq, problems in sweep(events):
            _flag(flagged, seq, problems)
    elif len(checks) == 1:  # (`verify` folds all its checks into one: no inner loop per event)
        check = checks[0]
        for event in events:
            if problem := check(event):
                _flag(flagged, event.seq, problem)
    else:
        for event in events:
            for check in checks:
                if problem := check(event):
                    _flag(flagged, event.seq, problem)
    return flagged


def _flag(flagged: list[tuple[int, str]], seq: int, problem: str | list[str]) -> None:
    for sentence in [problem] if isinstance(problem, str) else problem:
        flagged.append((seq, f"seq {seq}: {sentence}"))


def _cut(found: _Findings, expected: int, lineno: int) -> None:
    after = f"after seq {expected - 1}" if expected else "before any complete event"
    found.add(expected, f"log ends mid-line {after} (line {lineno}: the run was cut off)")


def _ending(
    found: _Findings, count: int, expected: int, last: Event | None, truncated: bool,
    final_hash: str, expected_final_hash: str | None,
) -> Verdict:  # fmt: skip
    """The problems of how a log ends (not with RunEnded, not the recorded hash); the verdict."""
    ended = isinstance(last, RunEnded)
    if count == 0 and expected == 0 and not truncated:
        found.add(0, "log is empty")
    elif not ended:
        tail = (
            f"last is seq {last.seq} {type(last).__name__}"
            if last is not None
            else "the last line is not a valid event"
            if count
            else f"nothing after seq {expected - 1}"
            if expected
            else "no complete event"
        )
        # a clean cut: the first seq missing is the first incomplete one (crash cuts name it)
        found.add(
            None if truncated else expected,
            f"log does not end with RunEnded ({tail}): the run did not finish",
        )
    if expected_final_hash is not None and final_hash != expected_final_hash:
        found.add(
            None,
            f"final hash {final_hash[:12]}… differs from the recorded {expected_final_hash[:12]}…: "
            "the log was rewritten",
        )
    return _verdict(found, count, ended, final_hash, truncated=truncated)


PARALLEL_BYTES = 8 << 20
"""Logs at least this big have their chain checked in a child process (sim.store.chaincheck)."""


def _chain_elsewhere(path: Path, start: Resume | None) -> Forked | None:
    """Start checking the chain of a big log on the other core; None to chain it here."""
    try:
        if path.stat().st_size < PARALLEL_BYTES:
            return None
    except OSError:
        return None
    begin = start or Resume(0, 0, GENESIS, float("-inf"))
    return fork(check_chain, path, begin.offset, begin.seq, begin.prev_hash)


def _chain_found(
    child: Forked | None, path: Path, start: Resume | None
) -> tuple[int, int | None, bytes]:
    """What the child found of the chain: (lines, the seq of the first broken or None, the
    last hash). A child that failed is replaced by the same check here."""
    found = child.result() if child is not None else None
    if found is None:  # the child failed: check here instead
        begin = start or Resume(0, 0, GENESIS, float("-inf"))
        found = check_chain(path, begin.offset, begin.seq, begin.prev_hash)
    n, bad, tail = found
    return n, bad, tail


Rest = Callable[[], "tuple[int, int | None, bytes, bytes] | None"]
"""The chain of a log's lines from an offset on, checked elsewhere: ``(lines, the index
among them of the first that does not hold or None, the hash it started from, the hash of
the last line that held)`` (:func:`chain_rest`), or None when that failed."""


def chain_rest(path: Path, offset: int) -> tuple[int, int | None, bytes, bytes]:
    """The chain of the lines of `path` from `offset` (a line start) to its end, chained
    from the hash the line before `offset` carries (as :data:`Rest` gives it)."""
    prev = GENESIS
    if offset > 0:
        with open(path, "rb") as f:
            f.seek(max(0, offset - 67))
            prev = f.read(67)[:64]  # ...,"hash":"<64 hex>"}\n: the hash of the line before
    count, bad, last = check_span(whole_lines(path, offset), prev)
    return count, bad, prev, last


def _chain_joined(
    path: Path, head_end: tuple[int, bytes], offset: int, rest: Rest
) -> tuple[int, int | None, bytes]:
    """The chain of the whole log from its parts: this process's reading checked the
    lines before `offset` (`head_end`: the seq of the line there and the hash of the line
    before, as :attr:`LogReading.seam` has it), `rest` says what was found of those from it
    on (replaced by the same check here when it failed). As :func:`_chain_found` gives
    it: (lines, the seq of the first broken or None, last hash).
    """
    head, tail = head_end
    found = rest()
    if found is None:
        found = chain_rest(path, offset)
    count, bad, prev, last = found
    if prev != tail:  # (each part read its bytes apart: they must meet at the seam)
        return head, head, tail
    return head + count, None if bad is None else head + bad, last if count else tail


def _verdict(
    found: _Findings, count: int, ended: bool, final_hash: str, *, truncated: bool
) -> Verdict:
    problems = list(found.problems)
    if found.more:
        problems.append(f"… and {found.more} more problems")
    return Verdict(
        ok=not found.problems and not found.more,
        count=count,
        first_bad_seq=found.first_bad_seq,
        problems=problems,
        ended=ended,
        final_hash=final_hash,
        truncated=truncated,
        more_problems=found.more,
    )


def _careful(
    path: Path, found: _Findings, expected_final_hash: str | None, start: Resume | None
) -> Verdict:
    """Read a broken log line by line, naming every fault (without the domain checks)."""
    # Hashes of recent lines by seq: a line is checked against its own predecessor, so a
    # reordered line is reported once as out of order, not again as a broken chain.
    begin = start or Resume(0, 0, GENESIS, float("-inf"))
    recent: dict[int, bytes] = {begin.seq - 1: begin.prev_hash}
    last_digest: bytes | None = begin.prev_hash  # None: the last line's hash is unreadable
    expected = begin.seq  # the seq the next line should carry
    count = 0
    last_t = begin.t
    last: Event | None = None
    ended_at: int | None = None
    truncated = False

    def remember(seq: int, digest: bytes) -> None:
        recent[seq] = digest
        if len(recent) > _WINDOW:
            del recent[next(iter(recent))]

    for lineno, raw in iter_lines(path, begin.offset, begin.seq + 1):
        if not raw.endswith(b"\n"):
            truncated = True
            _cut(found, expected, lineno)
            break
        count += 1
        where = f"line {lineno} (seq {expected} expected)"
        try:
            body, digest = split_line(raw)
        except ValueError as exc:
            found.add(expected, f"{where}: {exc}")
            last_digest, expected, last = None, expected + 1, None
            continue
        last_digest = digest
        try:
            event = decode(body)
        except msgspec.DecodeError as exc:
            found.add(expected, f"{where}: not a valid event: {exc}")
            remember(expected, digest)
            expected, last = expected + 1, None
            continue

        seq = event.seq
        if seq > expected:
            found.add(
                expected,
                f"line {lineno}: seq {seq} where seq {expected} was expected "
                "(a line is missing or out of order)",
            )
        elif seq < expected:
            found.add(
                seq, f"line {lineno}: seq {seq} out of order or repeated (after seq {expected - 1})"
            )
        predecessor = recent.get(seq - 1)
        # No predecessor: it was dropped or is far away, and the seq fault already says so.
        if predecessor is not None and next_hash(predecessor, body) != digest:
            found.add(seq, f"seq {seq} (line {lineno}): hash chain broken: the line was changed")
        # A line out of order is expected to be out of time order too: say it once.
        if seq >= expected and event.t < last_t:
            found.add(seq, f"seq {seq}: t={event.t} is earlier than the previous t={last_t}")
        if ended_at is not None:
            found.add(seq, f"seq {seq}: {type(event).__name__} after RunEnded (seq {ended_at})")
        if isinstance(event, RunEnded) and ended_at is None:
            ended_at = seq

        remember(seq, digest)
        expected = max(expected, seq + 1)
        last_t = max(last_t, event.t)
        last = event

    final_hash = last_digest.decode("ascii") if last_digest is not None else ""
    return _ending(found, count, expected, last, truncated, final_hash, expected_final_hash)
