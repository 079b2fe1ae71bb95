"""`verify` of a big log checks the hash chain in two parts, one per process, joined at a
line start: the parts must say what one check of the whole says, and the verdict must be
the single process's, fault for fault, wherever the fault lies."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import sim.analysis.verify as verify_module
from sim.store.chain import GENESIS, check_span
from sim.store.reading import whole_lines
from sim.store.verify import _chain_joined, chain_rest
from tests.test_chain_batches import _corrupt, _lines, _one_by_one, _write
from tests.test_verify_apart import _forge_link, _run, _seen, alone_and_apart


def _first_bad(lines: list[bytes]) -> int | None:
    """The index of the first line the line-by-line rule refuses (None: all hold)."""
    prev = GENESIS
    for i, line in enumerate(lines):
        if not _one_by_one([line], prev):
            return i
        prev = line[-66:-2]
    return None


def after_newlines(data: bytes) -> list[int]:
    """The offset just past each newline of `data`, in order (found by bytes.find, not by
    a Python loop over every byte: the logs here are megabytes)."""
    found, at = [], data.find(b"\n")
    while at >= 0:
        found.append(at + 1)
        at = data.find(b"\n", at + 1)
    return found


@pytest.mark.parametrize("seed", range(40))
def test_the_chain_in_two_parts_is_the_chain_of_the_whole(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = _lines(rng.randrange(50, 20_000), seed)
    if seed % 4:  # one in four intact
        lines = _corrupt(lines, rng)
    log = _write(tmp_path / "events.jsonl", lines)
    bad = _first_bad(lines)
    whole = check_span(whole_lines(log), GENESIS)
    assert whole[1] == bad
    assert whole[0] == (len(lines) if bad is None else bad)
    data = log.read_bytes()
    starts = [0, *after_newlines(data)]
    for seam in {starts[0], starts[-1], *rng.sample(starts, 5)}:
        # (the reading's part)
        head, head_bad, head_last = check_span(whole_lines(log, 0, seam), GENESIS)
        if head_bad is not None:
            assert head_bad == bad
            continue
        count, first_bad, last = _chain_joined(
            log, (head, head_last), seam, lambda s=seam: chain_rest(log, s)
        )
        assert first_bad == bad
        if bad is None:
            assert (count, last) == (len(lines), whole[2])
        # the other part failing (None) is replaced by the same check here
        assert _chain_joined(log, (head, head_last), seam, lambda: None) == (
            count,
            first_bad,
            last,
        )


@pytest.mark.parametrize("where", [0.1, 0.9], ids=["this-process-part", "child-part"])
@pytest.mark.parametrize("how", ["edit", "swap", "drop"])
def test_a_fault_in_either_part_gives_the_verdict_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: float, how: str
) -> None:
    run_dir = _run(tmp_path)
    _forge_link(run_dir)  # refusals everywhere: those after the fault must not be named
    log = run_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = int(len(lines) * where)
    if how == "edit":
        lines[at] = lines[at].replace(b'"t":', b'"t": ', 1)
    elif how == "swap":
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    else:
        del lines[at]
    log.write_bytes(b"".join(lines))
    seam_at = verify_module.CHAIN_HERE * len(b"".join(lines))
    assert (len(b"".join(lines[:at])) < seam_at) == (where < verify_module.CHAIN_HERE)
    alone, forked, children = alone_and_apart(monkeypatch, run_dir)
    assert children and children[0] is not None
    assert _seen(forked) == _seen(alone)
    assert not forked.ok
    refused = [int(p.split(":")[0][4:]) for p in forked.log.problems if "delivered over" in p]
    assert refused and max(refused) < at  # nothing after the fault judged
    # the fault named (or counted, past the problems verify names in full)
    assert any(f"line {at + 1}" in p for p in forked.log.problems) or forked.log.more_problems


def test_a_chain_checked_by_a_child_of_its_own_stops_the_checks_where_it_breaks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big log on a busy machine: judged here, its chain checked in a child: what comes
    after a broken hash is not judged, as in one process (it was, and named)."""
    import sim.store.verify as store_verify
    from sim.analysis.verify import verify_run
    from tests.test_verify_apart import _apart

    run_dir = _run(tmp_path)
    _forge_link(run_dir)
    log = run_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = len(lines) // 4
    lines[at] = lines[at].replace(b'"t":', b'"t": ', 1)
    log.write_bytes(b"".join(lines))
    _apart(monkeypatch, False)
    alone = verify_run(run_dir)
    monkeypatch.setattr(store_verify, "PARALLEL_BYTES", 0)  # the chain in a child, alone
    children = []
    real = store_verify.fork

    def counted(*args: object) -> object:
        children.append(real(*args))  # type: ignore[arg-type]
        return children[-1]

    monkeypatch.setattr(store_verify, "fork", counted)
    chained_apart = verify_run(run_dir)
    assert children and children[0] is not None
    assert _seen(chained_apart) == _seen(alone)
    refused = [int(p.split(":")[0][4:]) for p in alone.log.problems if "delivered over" in p]
    assert refused and max(refused) < at


@pytest.mark.parametrize("seed", range(30))
def test_a_reading_that_hashes_up_to_a_seam_is_the_hashing_reading_up_to_there(
    tmp_path: Path, seed: int
) -> None:
    """`hash_until`: before the seam, every check of the reading that hashes every line;
    from it on, every check but the hash (which the other part makes)."""
    from sim.store.reading import LogReading

    rng = random.Random(seed)
    lines = _lines(rng.randrange(50, 20_000), seed)
    if seed % 3:
        lines = _corrupt(lines, rng)
    log = _write(tmp_path / "events.jsonl", lines)
    data = log.read_bytes()
    starts = after_newlines(data)[:-1]
    whole = LogReading(log)
    expected = [e.seq for e in whole.events()]
    unhashed = LogReading(log)
    beyond = [e.seq for e in unhashed.events(hashes=False)]
    for seam in rng.sample(starts, 4):
        at = data.count(b"\n", 0, seam)  # the index of the line at the seam
        part = LogReading(log)
        got = [e.seq for e in part.events(hash_until=seam)]
        fault = whole.fault
        if fault is not None and (fault.seq is None or fault.seq < at) and whole.count < at:
            assert (got, part.fault, part.count) == (expected, fault, whole.count)
        elif part.seam is not None:  # past the seam: as a reading that does not hash
            assert part.seam == (at, lines[at - 1][-66:-2] if at else GENESIS)
            assert (got, part.fault, part.last_hash) == (beyond, unhashed.fault, unhashed.last_hash)
