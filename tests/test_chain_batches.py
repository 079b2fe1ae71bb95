"""A batch of lines checked in a few C calls says what checking them one by one says.

The hash chain of a log is checked a batch of lines at a time (`sim.store.chain`),
falling back to the line-by-line reading only when something is off: every way a line
can be wrong must make the batch fail, and the reading must then name the same seq with
the same words as a reading that goes line by line from the start.
"""

from __future__ import annotations

import random
from hashlib import sha256
from pathlib import Path

import pytest

from sim import events as ev
from sim.store.chain import GENESIS, SUFFIX_LEN, chain_holds, framed, make_line
from sim.store.chaincheck import check_chain
from sim.store.reading import LogReading


def _lines(n: int, seed: int = 1) -> list[bytes]:
    """`n` chained event lines (without newline), the last one RunEnded."""
    rng = random.Random(seed)
    prev, out = GENESIS, []
    for seq in range(n):
        if seq == n - 1:
            event: ev.Event = ev.RunEnded(seq=seq, t=float(n), reason="horizon")
        else:
            event = ev.ReportReceived(
                seq=seq, t=float(seq), node=rng.choice(["A", "B"]), report=f"R{seq}"
            )
        line, prev = make_line(prev, ev.encode(event))
        out.append(line[:-1])
    return out


def _one_by_one(lines: list[bytes], prev: bytes) -> bool:
    """The line-by-line rule: framed, and the SHA-256 of the hash before and the body."""
    for line in lines:
        end = len(line) - SUFFIX_LEN
        if end < 1 or not line.startswith(b',"hash":"', end) or line[-2:] != b'"}':
            return False
        digest = line[-66:-2]
        if sha256(prev + line[:end] + b"}").hexdigest().encode() != digest:
            return False
        prev = digest
    return True


def _framed_one_by_one(lines: list[bytes]) -> bool:
    return all(
        len(line) > SUFFIX_LEN and line[-SUFFIX_LEN:-66] == b',"hash":"' and line[-2:] == b'"}'
        for line in lines
    )


def _corrupt(lines: list[bytes], rng: random.Random) -> list[bytes]:
    lines = list(lines)
    i = rng.randrange(len(lines))
    line = lines[i]
    how = rng.randrange(8)
    if how == 0:  # a byte of the body changed
        j = rng.randrange(1, len(line) - SUFFIX_LEN)
        lines[i] = line[:j] + bytes([line[j] ^ 1]) + line[j + 1 :]
    elif how == 1:  # a byte of the hash or its frame changed
        j = rng.randrange(len(line) - SUFFIX_LEN, len(line))
        lines[i] = line[:j] + bytes([line[j] ^ 1]) + line[j + 1 :]
    elif how == 2:  # a line dropped
        del lines[i]
    elif how == 3 and i + 1 < len(lines):  # two lines swapped
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    elif how == 4:  # a line cut short
        lines[i] = line[: rng.randrange(0, SUFFIX_LEN + 2)]
    elif how == 5:  # the hash key moved: the same bytes, framed otherwise
        lines[i] = line[:-SUFFIX_LEN] + b' ,"hash":"' + line[-66:-2] + b'"}'
    elif how == 6:  # a line closed otherwise
        lines[i] = line[:-2] + b'"]'
    else:  # an empty line
        lines.insert(i, b"")
    return lines


def test_a_batch_holds_exactly_when_every_line_holds() -> None:
    good = _lines(300)
    assert chain_holds(good, GENESIS) and framed(good)
    assert not chain_holds(good[1:], GENESIS)  # the first line's predecessor counts
    assert chain_holds(good[1:], good[0][-66:-2])
    rng = random.Random(5)
    for _ in range(400):
        bad = _corrupt(good, rng)
        assert chain_holds(bad, GENESIS) == _one_by_one(bad, GENESIS)
        assert framed(bad) == _framed_one_by_one(bad)
    assert not chain_holds([], GENESIS) and not framed([])


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


@pytest.mark.parametrize("seed", range(60))
def test_a_reading_of_a_broken_log_names_what_line_by_line_names(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    lines = _corrupt(_lines(rng.randrange(50, 30_000), seed), rng)
    log = _write(tmp_path / "events.jsonl", lines)
    for hashes in (True, False):
        fast = LogReading(log)
        got = [e.seq for e in fast.events(hashes=hashes)]
        with monkeypatch.context() as patched:  # every batch read line by line
            patched.setattr("sim.store.reading._chained_in_order", lambda *a: None)
            slow = LogReading(log)
            expected = [e.seq for e in slow.events(hashes=hashes)]
        assert got == expected
        assert (fast.fault, fast.count, fast.last_hash) == (slow.fault, slow.count, slow.last_hash)
    # the chain checked apart (verify's child) breaks where the reading says it does
    count, bad, _ = check_chain(log, 0, 0, GENESIS)
    hashed = LogReading(log)
    list(hashed.events())
    if bad is None:
        assert count == len(lines) or hashed.fault is not None
    else:
        assert hashed.fault is not None and hashed.fault.seq is not None
        assert hashed.fault.seq <= bad


def test_a_reading_stopped_early_leaves_what_line_by_line_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _write(tmp_path / "events.jsonl", _lines(20_000))
    for until in (0.0, 5_000.5, 12_345.0):
        fast = LogReading(log)
        got = [e.seq for e in fast.events(until_t=until)]
        with monkeypatch.context() as patched:
            patched.setattr("sim.store.reading._chained_in_order", lambda *a: None)
            slow = LogReading(log)
            expected = [e.seq for e in slow.events(until_t=until)]
        assert got == expected and got[-1] == int(until)
        assert (fast.count, fast.last_hash, fast.last) == (slow.count, slow.last_hash, slow.last)
    fast = LogReading(log)
    for event in fast.events():  # a caller that leaves in the middle of a batch
        if event.seq == 7_777:
            break
    assert fast.count == 7_778 and fast.last_hash == _lines(20_000)[7_777][-66:-2]
