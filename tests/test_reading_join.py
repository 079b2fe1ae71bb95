"""A log read in two parts, joined (LogReading.join): the same as one reading of the whole.

metrics and timeline read a big log on two cores: one reading stops at a line (the seam),
another resumes there; joined, the first must say what one reading of the whole log says
(its count, last line and hash, the first fault and its seq, the end of the run), or
refuse, for the caller to read on itself. Held here to one reading, on intact and broken
logs (those of the timeline's tests), sealed or not, cut at a sealed block's edge or
inside a block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from sim.events import RunEnded, decode
from sim.store.reading import LogReading, Resume
from sim.store.seal import BLOCK_LINES
from tests.runs import BREAKS, Run, copy_to_break, write_lines


def found(reading: LogReading) -> tuple[Any, ...]:
    """All a reading says once done."""
    return (
        reading.fault,
        reading.count,
        reading.last,
        reading.last_hash,
        reading.partial,
        reading.describe(),
    )


def resume_at(lines: list[bytes], seam: int) -> Resume | None:
    """Where a reading resumes at line `seam`, from the line before it as the file has it
    (None if that line is not an event)."""
    before = lines[seam - 1]
    try:
        t = decode(before).t
    except msgspec.DecodeError:
        return None
    offset = sum(len(line) + 1 for line in lines[:seam])
    return Resume(offset, seam, before[-66:-2], t)


def in_two(log: Path, manifest: dict[str, Any], at: Resume, *, rest_whole: bool) -> Any:
    """The first part read up to `at`, the rest resumed there (as a part, or whole), joined:
    (whether they joined, the first part's reading, the events of both)."""
    first = LogReading(log, manifest)
    events = list(first.events(end=at.offset))
    rest = LogReading(log, manifest)
    end = None if rest_whole else log.stat().st_size
    events += rest.events(resume=at, end=end)
    before = found(first)
    joined = first.join(rest, at)
    if not joined:
        assert found(first) == before, "a refused join changes nothing"
    return joined, first, events


def seams(lines: list[bytes], more: bool = True) -> list[int]:
    """Lines to cut at: a sealed block's edge, inside a block, (`more`:) near either end."""
    n = len(lines)
    cuts = (BLOCK_LINES, BLOCK_LINES + 1, n // 2) + (
        (1, 2 * BLOCK_LINES - 3, n - 2) if more else ()
    )
    return sorted({s for s in cuts if 0 < s < n})


@pytest.mark.parametrize("sealed", [True, False])
def test_an_intact_log_joins_at_any_line_as_one_reading(baseline_run: Run, sealed: bool) -> None:
    manifest = baseline_run.manifest
    if not sealed:
        manifest.pop("seal")
    log = baseline_run.dir / "events.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    whole = LogReading(log, manifest)
    events = list(whole.events())
    assert whole.ok
    for seam in seams(lines):
        at = resume_at(lines, seam)
        assert at is not None
        for rest_whole in (False, True):
            joined, first, told = in_two(log, manifest, at, rest_whole=rest_whole)
            assert joined, seam
            assert told == events
            assert found(first) == found(whole)


@pytest.mark.parametrize(
    ("how", "sealed"),
    [(how, True) for how in sorted(BREAKS)]
    + [(how, False) for how in ("a line dropped at", "the end cut off", "the seam's line")],
)
def test_a_broken_log_joined_says_what_one_reading_says(
    baseline_run: Run, tmp_path: Path, how: str, sealed: bool
) -> None:
    log, lines, manifest = copy_to_break(baseline_run, tmp_path / "run", sealed=sealed)
    lines = BREAKS[how](lines, len(lines) // 2)
    write_lines(log, lines)
    whole = LogReading(log, manifest)
    events = list(whole.events())
    assert not whole.ok
    refused = 0
    for cut in seams(lines, more=False):
        at = resume_at(lines, cut)
        if at is None:
            continue
        for rest_whole in (False, True):
            joined, first, told = in_two(log, manifest, at, rest_whole=rest_whole)
            if joined:
                assert told == events, (how, cut)
                assert found(first) == found(whole), (how, cut)
            else:
                refused += 1
                # only a first part that one reading would not go on from as a resumed
                # reading does: a fault in it, a block unlike the seal, RunEnded last
                assert not first.clean() or type(first.last) is RunEnded, (how, cut)
    if how.endswith("after") or how.endswith("off"):
        assert refused < 2 * len(seams(lines, more=False)), "no cut joined"


def test_a_rest_resumed_after_another_line_is_not_joined(baseline_run: Run) -> None:
    manifest = baseline_run.manifest
    log = baseline_run.dir / "events.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    seam = len(lines) // 2
    at = resume_at(lines, seam)
    assert at is not None
    first = LogReading(log, manifest)
    list(first.events(end=at.offset))
    for wrong in (
        Resume(at.offset, at.seq + 1, at.prev_hash, at.t),
        Resume(at.offset, at.seq, b"0" * 64, at.t),
        Resume(at.offset, at.seq, at.prev_hash, at.t + 1),
    ):
        rest = LogReading(log, manifest)
        list(rest.events(resume=wrong))
        before = found(first)
        assert not first.join(rest, wrong)
        assert found(first) == before
