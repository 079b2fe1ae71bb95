"""Snapshots: verify leaves them, replay starts from them and gets the same state, and a
changed or foreign snapshot is never trusted (nor allowed to run code)."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

import sim.store.snapshots as snapshots
from sim.analysis.replay import replay_events
from sim.analysis.replay_at import replay_at
from sim.analysis.source import open_run
from sim.analysis.verify import verify_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events
from sim.store.chain import GENESIS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("snap"))
    assert outcome.run_dir is not None
    mp = pytest.MonkeyPatch()
    mp.setattr(snapshots, "EVERY", 40)
    mp.setattr(snapshots, "BYTES_PER_EVENT", 1 << 30)  # many snapshots to replay from
    try:
        verdict = verify_run(outcome.run_dir)
    finally:
        mp.undo()
    # one every 40 events, and one before RunEnded (unless that one fell due anyway)
    count = outcome.events // 40 + bool((outcome.events - 1) % 40)
    every = f"{count} snapshots"
    assert verdict.ok and any(every in note for note in verdict.notes), verdict.notes
    return outcome.run_dir


def _copy(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return copy


@pytest.mark.parametrize("at", [0.0, 100.0, 333.3, 500.0, 719.9, 720.0, 900.0])
def test_replay_from_a_snapshot_equals_a_fold_from_the_start(run: Path, at: float) -> None:
    source = open_run(run)
    replayed = replay_at(source, at)
    events = list(read_events(run / "events.jsonl"))
    assert replayed.state == replay_events(source.scenario, events, at)
    first = min(e.t for e in events if e.seq == 39)
    assert (replayed.from_snapshot is not None) == (at >= first)


def _index(run: Path) -> dict:
    return orjson.loads((run / "snapshots" / "index.json").read_bytes())  # type: ignore[no-any-return]


def _relink(doc: dict) -> None:
    """Recompute the chain of records, as someone rewriting snapshots would."""
    prev = GENESIS.decode()
    for record in doc["snapshots"]:
        seq, t, _, line_hash, payload, fingerprint, _ = record
        record[6] = prev = snapshots._link(prev, seq, t, line_hash, payload, fingerprint)


def _swap_payload(run: Path, seq: int, data: bytes) -> None:
    doc = _index(run)
    (run / "snapshots" / f"{seq}.pickle").write_bytes(data)
    for record in doc["snapshots"]:
        if record[0] == seq:
            record[4] = hashlib.sha256(data).hexdigest()
    _relink(doc)
    (run / "snapshots" / "index.json").write_bytes(orjson.dumps(doc))


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > pwned.txt",))


def test_a_changed_or_foreign_snapshot_is_never_used(run: Path, tmp_path: Path) -> None:
    copy = _copy(run, tmp_path)
    seq = _index(copy)["snapshots"][-1][0]
    (copy / "snapshots" / f"{seq}.pickle").write_bytes(b"garbage")  # payload hash no longer holds
    assert snapshots.load_snapshot(copy, 1e9, copy / "events.jsonl") is None
    _swap_payload(copy, seq, pickle.dumps(_Boom()))  # even with every hash made to agree
    assert snapshots.load_snapshot(copy, 1e9, copy / "events.jsonl") is None
    assert not (tmp_path / "pwned.txt").exists() and not Path("pwned.txt").exists()
    replayed = replay_at(open_run(copy), 1e9)
    assert replayed.from_snapshot is None or replayed.from_snapshot < seq


def test_verify_says_when_a_snapshot_does_not_match_the_log(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "EVERY", 40)
    monkeypatch.setattr(snapshots, "BYTES_PER_EVENT", 1 << 30)
    copy = _copy(run, tmp_path)
    seq = _index(copy)["snapshots"][1][0]
    state = pickle.loads((copy / "snapshots" / f"{seq}.pickle").read_bytes())
    state.usages += 7
    _swap_payload(copy, seq, pickle.dumps(state))
    verdict = verify_run(copy)
    assert f"the snapshot after seq {seq} does not match the log" in verdict.problems


def test_the_fingerprint_follows_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot of an older state layout is never misread: the fingerprint is a hash
    of the package's source, so editing the file that defines a state class changes it."""
    before = snapshots._fingerprint()
    model = Path(snapshots.__file__).resolve().parent.parent / "state" / "model.py"
    copy = tmp_path / "sim"
    shutil.copytree(model.parent.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(snapshots, "__file__", str(copy / "store" / "snapshots.py"))
    snapshots._fingerprint.cache_clear()
    assert snapshots._fingerprint() == before  # the same bytes: the same fingerprint
    (copy / "state" / "model.py").write_text(model.read_text() + "\n# a field moved\n")
    snapshots._fingerprint.cache_clear()
    assert snapshots._fingerprint() != before
    monkeypatch.undo()
    snapshots._fingerprint.cache_clear()
    assert snapshots._fingerprint() == before


@dataclass
class _Grows:
    """A state that gains `per_event` bytes an event, as a long run's does."""

    payload: bytes


def _offer_all(writer: snapshots.SnapshotWriter, events: int, per_event: int) -> None:
    for seq in range(events):  # as verify's fold offers: every `every`-th and the last
        if not (seq + 1) % writer.every or seq == writer.last:
            writer.offer(seq, float(seq), _Grows(b"x" * (per_event * (seq + 1))))


@pytest.mark.parametrize("per_event", [0, 1, 8, 200])
def test_snapshots_stay_within_their_budget(tmp_path: Path, per_event: int) -> None:
    """Each snapshot pickles the whole state, which may grow with the run: beyond the
    MAX_SNAPSHOTS spread over the log, what is pickled stays within the budget per event
    (but for the first, which has nothing to go by), so verify's cost per event stays
    flat; a state that does not grow gets a snapshot at every point and before RunEnded."""
    every, events = 100, 100 * 80 + 37
    writer = snapshots.SnapshotWriter(tmp_path, every=every, events=events)
    _offer_all(writer, events, per_event)
    folder = tmp_path / f".snapshots.{os.getpid()}.tmp"
    sizes = [(folder / f"{seq}.pickle").stat().st_size for seq, *_ in writer.taken]
    seqs = [seq for seq, *_ in writer.taken]
    assert sum(sizes) == writer.weight
    spread = [seq for seq in range(events) if not (seq + 1) % writer.spread]
    assert 1 <= len(spread) <= snapshots.MAX_SNAPSHOTS
    assert not (writer.spread % every) and writer.spread * 2 >= events
    assert sum(sizes[1:]) <= snapshots.BYTES_PER_EVENT * events + sum(
        size for seq, size in zip(seqs, sizes, strict=True) if seq in spread
    )
    if per_event == 0:  # queue-50k's kind of state: every point, and the last
        assert seqs == [*range(every - 1, events - 1, every), events - 2]
    elif per_event == 1:  # under the budget per event, but it adds up: they thin out
        assert set(spread) < set(seqs) and len(seqs) < events // every
    else:  # the baseline's kind: more bytes an event than the budget, only the spread
        assert seqs == [every - 1, *spread]
    writer.finish({}, keep=False)


def test_no_snapshot_after_the_run_ended(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the last event falls due for a snapshot, none is taken: reading on from after
    RunEnded finds no line, and replay must still answer at the end (it once said "the
    log is empty" whenever a log's length was a multiple of the spacing)."""
    copy = _copy(run, tmp_path)
    shutil.rmtree(copy / snapshots.SNAPSHOT_DIR)
    count = sum(1 for _ in (copy / "events.jsonl").open("rb"))
    monkeypatch.setattr(snapshots, "EVERY", count)  # the last event is due
    verdict = verify_run(copy)
    assert verdict.ok
    (record,) = _index(copy)["snapshots"]  # only the one before RunEnded
    assert record[0] == count - 2
    assert "1 snapshot of the state left for replay" in verdict.notes
    source = open_run(copy)
    events = list(read_events(copy / "events.jsonl"))
    assert replay_at(source, None).state == replay_events(source.scenario, events)
    assert replay_at(source, 720.0).state == replay_events(source.scenario, events, 720.0)
