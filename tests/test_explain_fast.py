"""`explain` on a sealed log searches it (sim.store.search): held to the careful reading.

The careful reading (`_explain_read`: chain checked line by line or block by block,
then passes over the lines naming what the item rests on) is the definition. The sealed
search must give the same lines for every item, take the same decisions about a broken
log (by not answering: the careful reading then names the same seq), and find exactly
the lines a plain scan of the file finds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from sim import events as ev
from sim.analysis import provenance
from sim.analysis.perspective import QueryError
from sim.analysis.provenance import (
    _explain_as,
    _explain_as_sealed,
    _explain_read,
    _explain_sealed,
    explain,
    explain_events,
)
from sim.analysis.source import open_run
from sim.errors import LogError
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events, read_json, write_json
from sim.store import search as search_mod
from sim.store.chain import GENESIS, make_line, split_line
from sim.store.reading import LogIntegrityError, LogReading, needles
from sim.store.seal import SealBuilder, load_seal, write_seal
from sim.store.search import SealedSearch, covers, sealed_blocks_match, windows
from tests.conftest import Forks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    run = run_to_directory(loaded, tmp_path_factory.mktemp("teaching")).run_dir
    assert run is not None
    return run


@pytest.fixture(scope="module")
def blocky(teaching: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same run sealed in blocks of 37 lines (the run's are 8192: one block here)."""
    return _resealed(teaching, tmp_path_factory.mktemp("blocky") / "run", 37)


def _resealed(run: Path, copy: Path, block_lines: int) -> Path:
    shutil.copytree(run, copy)
    log = copy / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    builder = SealBuilder(block_lines)
    builder.add(lines, [line[-67:-3] for line in lines])  # each line's own hash
    manifest = read_json(copy / "manifest.json")
    manifest["seal"] = write_seal(log, builder)
    write_json(copy / "manifest.json", manifest)
    assert len(load_seal(log, manifest) or []) > 5
    return copy


@pytest.fixture
def seal_checked_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sealed search checks the seal in a forked child beside it (the same
    `sealed_blocks_match` whatever the item); where dozens of items are explained, it is
    checked in this process instead, as when no child can be forked: a fork of the test
    process (hundreds of MB) costs far more than one of `intelsim explain`. The child's
    answer stays under test below (a changed byte, a log the seal does not cover, the
    search of every needle, explain_run's sealed answer)."""
    monkeypatch.setattr(search_mod, "fork", lambda *args: None)


@pytest.fixture
def seal_checked_in_a_child(children_of: Forks) -> Iterator[None]:
    """The seal checked by the child forked beside each sealed search (the answer under
    test), and it was."""
    children = children_of(search_mod)
    yield
    assert children and None not in children


def _items(run: Path) -> list[str]:
    items: set[str] = set()
    for event in read_events(run / "events.jsonl"):
        if isinstance(event, ev.AssessmentIssued):
            items.add(event.assessment)
        elif isinstance(event, ev.SightingReported):
            items.add(event.report)
        elif isinstance(event, ev.MunitionUsed):
            items.add(event.usage)
    return sorted(items)


@pytest.mark.parametrize("which", ["teaching", "blocky"])
@pytest.mark.usefixtures("seal_checked_here")
def test_the_sealed_search_says_what_the_careful_reading_says(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    run: Path = request.getfixturevalue(which)
    monkeypatch.setattr(search_mod, "WINDOW", 5000)  # many windows, whole blocks each
    source = open_run(run)
    events = list(read_events(run / "events.jsonl"))
    items = _items(run)
    kinds = {item[0] for item in items}
    assert {"A", "R", "U"} <= kinds and len(items) > 30
    for item in items:
        fast = _explain_sealed(source, item)
        assert fast is not None, item  # the sealed search answered
        careful, reading = _explain_read(source, item)
        assert fast[0] == careful, item
        assert fast[1].ok and reading.ok
        assert careful == explain_events(source.scenario, lambda: iter(events), item), item


@pytest.mark.usefixtures("seal_checked_here")
def test_as_a_node_the_sealed_search_says_what_the_careful_reading_says(
    blocky: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_mod, "WINDOW", 5000)
    source = open_run(blocky)
    answered = refused = 0
    for item in _items(blocky)[::3]:
        for node in source.scenario.nodes:
            fast = _explain_as_sealed(source, item, node)
            try:
                careful, reading = _explain_as(source, item, node)
            except QueryError:  # the node never saw it: no sealed answer, the same error
                assert fast is None, (item, node)
                refused += 1
                continue
            assert fast is not None and fast[0] == careful, (item, node)
            assert fast[1].ok and reading.ok
            answered += 1
    assert answered > 10 and refused > 10


@pytest.mark.usefixtures("seal_checked_in_a_child")
def test_the_search_finds_every_line_holding_a_needle(
    blocky: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = blocky / "events.jsonl"
    blocks = load_seal(log, read_json(blocky / "manifest.json"))
    assert blocks is not None
    lines = log.read_bytes().split(b"\n")[:-1]
    ids = ["R1", "R10", "U3", "A-NATO-JISD-1", "NATO-JISD", "KN-23", "no-such-id"]
    monkeypatch.setattr(search_mod, "WINDOW", 3000)
    with SealedSearch(log, blocks) as search:
        for count in range(1, len(ids) + 1):
            asked = needles(ids[:count])
            expected = [line for line in lines if any(n in line for n in asked)]
            assert search.lines(asked) == expected
        assert search.intact()
        # a selective checked reading decodes the same lines
        reading = LogReading(log, read_json(blocky / "manifest.json"))
        assert search.events(needles(ids)) == list(reading.events(select=needles(ids)))


def test_windows_are_whole_blocks_covering_the_file(blocky: Path) -> None:
    log = blocky / "events.jsonl"
    blocks = load_seal(log, read_json(blocky / "manifest.json"))
    assert blocks is not None
    size = log.stat().st_size
    assert covers(blocks, size) and not covers(blocks, size + 1) and not covers(blocks[1:], size)
    for limit in (1, 3000, 1 << 30):
        spans = windows(blocks, limit)
        assert spans[0][0] == 0 and sum(n for _, n in spans) == size
        assert all(a + n == b for (a, n), (b, _) in pairwise(spans))
        starts = {b.offset for b in blocks}
        assert all(a in starts for a, _ in spans)
    assert len(windows(blocks, 1)) == len(blocks) and len(windows(blocks, 1 << 30)) == 1


def _flip(run: Path, copy: Path, seq: int) -> Path:
    """A copy of the run with one byte of line `seq` changed (in its "t" key's name)."""
    shutil.copytree(run, copy)
    log = copy / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    assert b'"t":' in lines[seq]
    lines[seq] = lines[seq].replace(b'"t":', b'"T":', 1)
    log.write_bytes(b"".join(lines))
    return copy


def _seq_naming(run: Path, item: str) -> tuple[int, int]:
    """The seq of a line naming `item` and of one (later) that names neither it nor its usage."""
    lines = (run / "events.jsonl").read_bytes().split(b"\n")
    needle = f'"{item}"'.encode()
    used = next(i for i, line in enumerate(lines) if needle in line and i > 0)
    unused = next(i for i in range(len(lines) - 3, 0, -1) if needle not in lines[i])
    return used, unused


@pytest.mark.parametrize("which", ["teaching", "blocky"])
@pytest.mark.usefixtures("seal_checked_in_a_child")
def test_a_changed_byte_is_refused_naming_the_same_seq(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    run: Path = request.getfixturevalue(which)
    item = next(i for i in _items(run) if i.startswith("R"))
    used, unused = _seq_naming(run, item)
    for seq in (used, unused):
        broken = _flip(run, tmp_path / f"flip-{seq}", seq)
        source = open_run(broken)
        assert _explain_sealed(source, item) is None  # no answer from a log not as sealed
        careful = LogReading(source.log_path, source.manifest)
        for _ in careful.events():
            pass
        assert not careful.ok and careful.fault is not None and careful.fault.seq == seq
        with pytest.raises(LogIntegrityError) as raised:
            explain(broken, item)
        assert str(raised.value) == careful.describe() and f"seq {seq}:" in str(raised.value)


def test_a_log_the_seal_does_not_cover_is_read_carefully(teaching: Path, tmp_path: Path) -> None:
    item = next(i for i in _items(teaching) if i.startswith("R"))
    cases = {}
    extra = tmp_path / "extra"
    shutil.copytree(teaching, extra)
    with (extra / "events.jsonl").open("ab") as f:  # a line past the sealed blocks
        f.write((teaching / "events.jsonl").read_bytes().split(b"\n")[-2] + b"\n")
    cases["extra"] = extra
    cut = tmp_path / "cut"
    shutil.copytree(teaching, cut)
    data = (cut / "events.jsonl").read_bytes()
    (cut / "events.jsonl").write_bytes(data[: len(data) // 2])
    cases["cut"] = cut
    unsealed = tmp_path / "unsealed"
    shutil.copytree(teaching, unsealed)
    (unsealed / "events.seal").unlink()
    cases["unsealed"] = unsealed
    for name, run in cases.items():
        source = open_run(run)
        assert _explain_sealed(source, item) is None, name
        if name == "unsealed":  # intact, only slower
            assert explain(run, item) == _explain_read(source, item)[0]
        else:
            with pytest.raises(LogIntegrityError):
                explain(run, item)


@pytest.mark.usefixtures("seal_checked_in_a_child")
def test_a_wrong_tail_or_a_missing_item_gets_no_sealed_answer(
    teaching: Path, tmp_path: Path
) -> None:
    source = open_run(teaching)
    with pytest.raises(LogError, match="no assessment, report or usage 'R99999'"):
        explain(teaching, "R99999")
    assert _explain_sealed(source, "no-such-item") is None
    other = tmp_path / "other"  # the manifest records another final hash: rewritten
    shutil.copytree(teaching, other)
    manifest = read_json(other / "manifest.json")
    manifest["final_hash"] = "0" * 64
    write_json(other / "manifest.json", manifest)
    item = next(i for i in _items(teaching) if i.startswith("U"))
    assert _explain_sealed(open_run(other), item) is None
    with pytest.raises(LogIntegrityError, match="rewritten"):
        explain(other, item)


def test_the_seal_is_checked_here_when_no_child_can(
    blocky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_mod, "fork", lambda *args: None)
    item = next(i for i in _items(blocky) if i.startswith("U"))
    source = open_run(blocky)
    assert _explain_sealed(source, item) == (_explain_read(source, item)[0], _ANY)
    used, _ = _seq_naming(blocky, item)
    broken = _flip(blocky, tmp_path / "broken", used)
    blocks = load_seal(broken / "events.jsonl", read_json(broken / "manifest.json"))
    assert blocks is not None and not sealed_blocks_match(broken / "events.jsonl", blocks)
    assert _explain_sealed(open_run(broken), item) is None


class _Anything:
    def __eq__(self, other: object) -> bool:
        return True


_ANY = _Anything()


@pytest.mark.usefixtures("seal_checked_in_a_child")
def test_explain_run_takes_the_sealed_answer(
    teaching: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = next(i for i in _items(teaching) if i.startswith("R"))

    def refuse(*args: object) -> None:
        raise AssertionError("the careful reading was not needed")

    monkeypatch.setattr(provenance, "_explain_read", refuse)
    lines, reading = provenance.explain_run(open_run(teaching), item)
    assert reading.ok and lines[0].startswith(f"{item}:")


def _forged_swap(run: Path, copy: Path, block_lines: int) -> tuple[Path, int]:
    """The run with two lines swapped, re-chained, re-sealed and re-anchored: the seal
    and chain hold, only the order of `seq` gives it away. Also the first seq out of order."""
    shutil.copytree(run, copy)
    log = copy / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = len(lines) // 2
    lines[at], lines[at + 1] = lines[at + 1], lines[at]
    out, hashes, prev = [], [], GENESIS
    for line in lines:
        body, _ = split_line(line)
        new, prev = make_line(prev, body)
        out.append(new)
        hashes.append(prev)
    log.write_bytes(b"".join(out))
    builder = SealBuilder(block_lines)
    builder.add(out, hashes)
    manifest = read_json(copy / "manifest.json")
    manifest["seal"] = write_seal(log, builder)
    manifest["final_hash"] = prev.decode()
    write_json(copy / "manifest.json", manifest)
    return copy, at


@pytest.mark.parametrize("block_lines", [37, 8192])
@pytest.mark.usefixtures("seal_checked_here")
def test_a_resealed_reordering_gets_the_careful_verdict(
    teaching: Path, tmp_path: Path, block_lines: int
) -> None:
    forged, at = _forged_swap(teaching, tmp_path / "forged", block_lines)
    source = open_run(forged)
    items = _items(teaching)  # the same items (read_events refuses the forged order)
    node = next(iter(source.scenario.nodes))
    for item in items[:: max(1, len(items) // 12)]:
        # as a node, the careful first pass decodes every line and sees the order broken
        assert _explain_as_sealed(source, item, node) is None, item
        with pytest.raises((LogIntegrityError, QueryError)) as raised:
            provenance.explain_run(source, item, as_node=node)[1].raise_if_broken()
        if isinstance(raised.value, LogIntegrityError):
            assert f"where seq {at} was expected" in str(raised.value)
        # the ground truth reads the lines naming the item, which the seal vouches for
        # (as the careful reading does): the same answer either way
        fast = _explain_sealed(source, item)
        careful, reading = _explain_read(source, item)
        assert fast is not None and fast[0] == careful and reading.ok == fast[1].ok
