"""The event log: round trip, hash chain, verify's diagnoses, crash safety, run ids."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from msgspec.structs import replace

from sim.errors import LogError
from sim.events import Event, MunitionUsed, RunEnded, RunStarted, encode, numbered
from sim.store import (
    GENESIS,
    EventLogWriter,
    iter_lines,
    new_run_dir,
    next_hash,
    read_events,
    read_json,
    resolve_run,
    split_line,
    verify_log,
    write_json,
)

REPO = Path(__file__).resolve().parents[1]


def sample_events(n_used: int = 5) -> list[Event]:
    """A small, complete run: RunStarted, a few MunitionUsed, RunEnded."""
    events: list[Event] = [
        RunStarted(t=0.0, scenario="test", seed=7, start="2024-07-11T00:00:00Z", horizon=720.0)
    ]
    for i in range(n_used):
        events.append(MunitionUsed(t=1.5 * i, usage=f"U{i}", munition="KN-23", sector="Kharkiv"))
    events.append(RunEnded(t=720.0, reason="horizon"))
    return events


def write_log(path: Path, events: list[Event], flush_every: int = 1000) -> str:
    with EventLogWriter(path, flush_every=flush_every) as writer:
        for event in events:
            writer.append(event)
    return writer.last_hash


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    write_log(path, sample_events())
    return path


# --- writer, chain and reader ------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    originals = sample_events()
    with EventLogWriter(path, flush_every=2) as writer:
        written = [writer.append(event) for event in originals]
    assert [e.seq for e in written] == list(range(7))
    # events are immutable: the log numbers a copy on the way out
    assert all(e.seq == -1 for e in originals)
    assert [replace(e, seq=-1) for e in written] == originals
    assert list(read_events(path)) == written
    assert list(read_events(path, check_hash=True)) == written


def test_the_writer_keeps_an_event_numbered_in_its_place_and_refuses_another(
    tmp_path: Path,
) -> None:
    with EventLogWriter(tmp_path / "events.jsonl") as writer:
        first = numbered(RunStarted(t=0.0, scenario="s", seed=1, start="x", horizon=1.0), 0)
        assert writer.append(first) is first
        with pytest.raises(LogError, match="seq 5 cannot be appended as seq 1"):
            writer.append(numbered(RunEnded(t=1.0, reason="horizon"), 5))


def test_line_format_is_body_plus_hash_last(log: Path) -> None:
    prev = GENESIS
    for seq, raw in enumerate(lines_of(log)):
        assert raw.endswith(b'"}\n')
        assert raw.startswith(b'{"type":')
        body, digest = split_line(raw)
        assert raw == body[:-1] + b',"hash":"' + digest + b'"}\n'
        assert digest == next_hash(prev, body)
        assert f'"seq":{seq},'.encode() in body
        prev = digest


def test_writer_reports_count_and_last_hash(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventLogWriter(path) as writer:
        assert writer.last_hash == GENESIS.decode()
        event = writer.append(RunStarted(t=0.0, scenario="s", seed=1, start="x", horizon=1.0))
        assert event.seq == 0
        assert writer.count == 1
    body, digest = split_line(path.read_bytes())
    assert writer.last_hash == digest.decode() == next_hash(GENESIS, body).decode()
    assert body == encode(event)


def test_writer_never_overwrites(log: Path) -> None:
    before = log.read_bytes()
    with pytest.raises(LogError, match="never overwritten"):
        EventLogWriter(log)
    assert log.read_bytes() == before


def test_writer_refuses_time_going_back_and_closed_log(tmp_path: Path) -> None:
    writer = EventLogWriter(tmp_path / "events.jsonl")
    writer.append(MunitionUsed(t=5.0, usage="U1", munition="KN-23", sector="K"))
    with pytest.raises(LogError, match="earlier"):
        writer.append(MunitionUsed(t=4.0, usage="U2", munition="KN-23", sector="K"))
    writer.close()
    with pytest.raises(LogError, match="closed"):
        writer.append(RunEnded(t=6.0, reason="horizon"))
    assert len(list(read_events(tmp_path / "events.jsonl"))) == 1


def test_split_line_rejects_malformed() -> None:
    for bad in (b"", b"{}", b'{"type":"RunEnded","seq":0}', b"x" * 200):
        with pytest.raises(ValueError):
            split_line(bad)
    with pytest.raises(ValueError, match="hex"):
        split_line(b'{"type":"RunEnded","seq":0,"hash":"' + b"Z" * 64 + b'"}')


def test_reader_names_file_and_line(log: Path) -> None:
    lines = lines_of(log)
    lines[2] = lines[2].replace(b'"MunitionUsed"', b'"MunitionUzed"')
    log.write_bytes(b"".join(lines))
    with pytest.raises(LogError, match=r"events\.jsonl:3: not a valid event line"):
        list(read_events(log))


def test_reader_stops_at_seq_fault_and_hash_fault(log: Path, tmp_path: Path) -> None:
    lines = lines_of(log)
    del lines[3]
    log.write_bytes(b"".join(lines))
    with pytest.raises(LogError, match=r":4: seq 4 where seq 3 was expected"):
        list(read_events(log))
    edited = tmp_path / "edited.jsonl"
    write_log(edited, sample_events())
    lines = lines_of(edited)
    lines[1] = lines[1].replace(b'"Kharkiv"', b'"Donetsk"')
    edited.write_bytes(b"".join(lines))
    assert len(list(read_events(edited))) == 7  # the hash is checked only on request
    with pytest.raises(LogError, match="hash chain broken at seq 1"):
        list(read_events(edited, check_hash=True))


def test_reader_missing_file_is_log_error(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no such event log"):
        list(read_events(tmp_path / "nope.jsonl"))
    with pytest.raises(LogError, match="directory"):
        list(iter_lines(tmp_path))


# --- verify ----------------------------------------------------------------------


def test_verify_ok(log: Path) -> None:
    final = lines_of(log)[-1][-67:-3].decode()
    verdict = verify_log(log, expected_final_hash=final)
    assert verdict.ok, verdict.problems
    assert verdict.count == 7
    assert verdict.ended and not verdict.truncated
    assert verdict.first_bad_seq is None
    assert verdict.problems == []
    assert verdict.final_hash == final


def test_verify_catches_edited_line_at_its_seq(log: Path) -> None:
    lines = lines_of(log)
    lines[3] = lines[3].replace(b'"U2"', b'"U9"')
    log.write_bytes(b"".join(lines))
    verdict = verify_log(log)
    assert not verdict.ok
    assert verdict.first_bad_seq == 3
    assert len(verdict.problems) == 1
    assert "seq 3" in verdict.problems[0] and "hash chain" in verdict.problems[0]
    assert verdict.ended and verdict.count == 7


def test_verify_catches_dropped_line(log: Path) -> None:
    lines = lines_of(log)
    del lines[2]
    log.write_bytes(b"".join(lines))
    verdict = verify_log(log)
    assert not verdict.ok
    assert verdict.first_bad_seq == 2
    assert verdict.problems == [
        "line 3: seq 3 where seq 2 was expected (a line is missing or out of order)"
    ]


def test_verify_catches_swapped_lines(log: Path) -> None:
    lines = lines_of(log)
    lines[2], lines[3] = lines[3], lines[2]
    log.write_bytes(b"".join(lines))
    verdict = verify_log(log)
    assert not verdict.ok
    assert verdict.first_bad_seq == 2
    assert verdict.problems == [
        "line 3: seq 3 where seq 2 was expected (a line is missing or out of order)",
        "line 4: seq 2 out of order or repeated (after seq 3)",
    ]


def test_verify_catches_recomputed_chain_with_expected_final_hash(tmp_path: Path) -> None:
    # Rewriting the whole log consistently passes the chain; only an anchor catches it.
    honest, forged = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    anchor = write_log(honest, sample_events())
    events = sample_events()
    events[2] = MunitionUsed(t=events[2].t, usage="FAKE", munition="KN-23", sector="Kharkiv")
    write_log(forged, events)
    assert verify_log(forged).ok
    verdict = verify_log(forged, expected_final_hash=anchor)
    assert not verdict.ok and "rewritten" in verdict.problems[-1]


def test_verify_truncated_file_still_checks_earlier_lines(log: Path) -> None:
    data = log.read_bytes()
    cut = data.rindex(b"\n", 0, len(data) - 1) + 20  # 20 bytes into the last line
    lines = data[:cut].splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"U0"', b'"U7"')
    log.write_bytes(b"".join(lines))
    verdict = verify_log(log)
    assert verdict.truncated and not verdict.ended and not verdict.ok
    assert verdict.count == 6
    assert verdict.first_bad_seq == 1  # the edit comes before the cut
    assert any("log ends mid-line after seq 5" in p for p in verdict.problems)
    assert any("seq 1" in p and "hash chain" in p for p in verdict.problems)
    assert [e.seq for e in read_events(log)] == list(range(6))


def test_verify_missing_run_ended(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_log(path, sample_events()[:-1])
    verdict = verify_log(path)
    assert not verdict.ok and not verdict.ended and not verdict.truncated
    assert verdict.count == 6
    assert verdict.problems == [
        "log does not end with RunEnded (last is seq 5 MunitionUsed): the run did not finish"
    ]


def test_verify_empty_log_and_lone_partial_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.touch()
    verdict = verify_log(path)
    assert not verdict.ok and verdict.count == 0 and verdict.problems == ["log is empty"]
    path.write_bytes(b'{"type":"RunStarted","seq":0,"t":0.0,"sce')
    verdict = verify_log(path)
    assert verdict.truncated and verdict.count == 0 and verdict.first_bad_seq == 0
    assert verdict.problems == [
        "log ends mid-line before any complete event (line 1: the run was cut off)",
        "log does not end with RunEnded (no complete event): the run did not finish",
    ]
    assert list(read_events(path)) == []


def _chained(events: list[Event]) -> bytes:
    """Lines with a valid chain but content the writer would refuse (seq set by hand)."""
    prev, out = GENESIS, []
    for event in events:
        body = encode(event)
        digest = next_hash(prev, body)
        out.append(body[:-1] + b',"hash":"' + digest + b'"}\n')
        prev = digest
    return b"".join(out)


def test_verify_time_going_back_unknown_type_and_event_after_end(tmp_path: Path) -> None:
    events = [numbered(event, seq) for seq, event in enumerate(sample_events(3))]
    events[3] = replace(events[3], t=1.0)  # earlier than seq 2 at t=1.5
    extra = RunEnded(seq=5, t=800.0, reason="again")
    data = _chained([*events, extra])
    bogus = b'{"type":"MunitionVanished","seq":6,"t":900.0}'
    prev = split_line(data.splitlines()[-1])[1]
    data += bogus[:-1] + b',"hash":"' + next_hash(prev, bogus) + b'"}\n'
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    verdict = verify_log(path)
    assert verdict.first_bad_seq == 3
    assert verdict.problems[0] == "seq 3: t=1.0 is earlier than the previous t=1.5"
    assert verdict.problems[1] == "seq 5: RunEnded after RunEnded (seq 4)"
    assert verdict.problems[2].startswith("line 7 (seq 6 expected): not a valid event")
    assert "MunitionVanished" in verdict.problems[2]
    assert not verdict.ended and not verdict.ok


def test_verify_runs_extra_checks_and_caps_problems(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_log(path, sample_events(40))

    def no_kharkiv(event: Event) -> str | None:
        if isinstance(event, MunitionUsed) and event.sector == "Kharkiv":
            return f"usage {event.usage} in Kharkiv"
        return None

    verdict = verify_log(path, [no_kharkiv])
    assert not verdict.ok and verdict.first_bad_seq == 1
    assert verdict.problems[0] == "seq 1: usage U0 in Kharkiv"
    assert len(verdict.problems) == 21
    assert verdict.more_problems == 20
    assert verdict.problems[-1] == "… and 20 more problems"


# --- crash safety -------------------------------------------------------------------

_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sim.events import MunitionUsed, RunStarted
    from sim.store import EventLogWriter

    writer = EventLogWriter(Path(sys.argv[1]), flush_every=int(sys.argv[2]))
    writer.append(RunStarted(t=0.0, scenario="kill", seed=1, start="x", horizon=1e9))
    i = 0
    while True:
        i += 1
        writer.append(MunitionUsed(t=i * 0.25, usage=f"U{i}", munition="KN-23", sector="S"))
    """
)


@pytest.mark.parametrize("flush_every", [1, 997])
def test_sigkill_leaves_whole_lines_and_at_most_one_partial(
    tmp_path: Path, flush_every: int
) -> None:
    path = tmp_path / "events.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path), str(flush_every)], env=env, cwd=REPO
    )
    try:
        deadline = time.monotonic() + 60
        # Wait for a few thousand events on disk, then kill it mid-stride.
        while not path.exists() or path.read_bytes().count(b"\n") < 3000:
            assert proc.poll() is None, "the writer process died on its own"
            assert time.monotonic() < deadline, "the writer process wrote too slowly"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    seqs = [event.seq for event in read_events(path, check_hash=True)]
    assert len(seqs) >= 3000
    assert seqs == list(range(len(seqs)))
    verdict = verify_log(path)
    assert verdict.count == len(seqs)
    assert not verdict.ended and not verdict.ok
    assert verdict.first_bad_seq in (None, len(seqs))  # only the cut, nothing earlier
    assert len(verdict.problems) == (2 if verdict.truncated else 1)
    assert verdict.problems[-1].startswith("log does not end with RunEnded")


# --- run directories ----------------------------------------------------------------


def test_run_ids_never_collide(tmp_path: Path) -> None:
    runs = [new_run_dir(tmp_path, "teaching minimal/v2") for _ in range(200)]
    assert len({r.name for r in runs}) == 200
    assert all(r.is_dir() and r.parent == tmp_path for r in runs)
    name = runs[0].name
    assert name.startswith("teaching-minimal-v2-")
    stamp, suffix = name.rsplit("-", 2)[1:]
    assert len(stamp) == 15 and stamp[8] == "T" and len(suffix) == 6
    int(suffix, 16)


def test_run_id_collision_draws_a_new_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.store.rundir as rundir

    class FrozenClock:
        @staticmethod
        def now(tz: object) -> datetime:
            return datetime(2024, 7, 11, 12, 0, 0, tzinfo=UTC)

    suffixes = iter(["aaaaaa", "aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(rundir, "datetime", FrozenClock)
    monkeypatch.setattr(rundir.secrets, "token_hex", lambda n: next(suffixes))
    first = new_run_dir(tmp_path, "x")
    (first / "events.jsonl").write_bytes(b"keep")
    second = new_run_dir(tmp_path, "x")
    assert first.name == "x-20240711T120000-aaaaaa"
    assert second.name == "x-20240711T120000-bbbbbb"
    assert (first / "events.jsonl").read_bytes() == b"keep"


def test_resolve_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "logs"
    older, newer = new_run_dir(out, "a"), new_run_dir(out, "b")
    new_run_dir(out, "empty")  # no events.jsonl: never "latest"
    for run, mtime in ((older, 1_000_000), (newer, 2_000_000)):
        (run / "events.jsonl").touch()
        os.utime(run / "events.jsonl", (mtime, mtime))
    (older / "snapshots").mkdir()  # verify (or an export) writing into an old run
    assert resolve_run("latest", out) == newer
    assert resolve_run(older.name, out) == out / older.name
    assert resolve_run(str(older)) == older
    assert resolve_run(str(older / "events.jsonl")) == older
    monkeypatch.chdir(tmp_path)
    assert resolve_run("latest") == Path("logs") / newer.name
    with pytest.raises(LogError, match=rf"no run '{older.name[:-1]}'.*did you mean `{older.name}`"):
        resolve_run(older.name[:-1], out)
    with pytest.raises(LogError, match=r"no run 'nope'.*nor \"latest\"$"):
        resolve_run("nope", out)
    with pytest.raises(LogError, match="no runs under"):
        resolve_run("latest", tmp_path / "elsewhere")


def test_json_files(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    obj = {"zeta": 1, "alpha": {"b": [1.5, None], "a": Path("x/y")}, "tags": {"b", "a"}}
    write_json(path, obj)
    text = path.read_text()
    assert text.index('"alpha"') < text.index('"zeta"') and text.endswith("}\n")
    assert "\n  " in text
    assert read_json(path) == {
        "alpha": {"a": "x/y", "b": [1.5, None]},
        "tags": ["a", "b"],
        "zeta": 1,
    }
    assert list(tmp_path.iterdir()) == [path]
    path.write_text("{nope")
    with pytest.raises(LogError, match="not valid JSON"):
        read_json(path)
    with pytest.raises(LogError, match="no such file"):
        read_json(tmp_path / "missing.json")
