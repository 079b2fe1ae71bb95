"""A timeline told on two cores is the timeline told on one: hearing a log remembers what
telling it remembers, the two parts joined say the same text, and a broken log the same
fault at the same seq; a reader that leaves, or a stop signal, leaves no process behind."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import itertools
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from sim import events as ev
from sim.analysis import timeline_apart
from sim.analysis.timeline import Narrator, heard_decoder, teller, timeline_text, told_text
from sim.analysis.timeline_apart import text_apart
from sim.experiments.run import run_to_directory
from sim.report.timeline_view import show_timeline
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.store import forked, read_events
from sim.store.reading import LogReading
from tests.signals import INTERRUPTED_LINE, _lingering, session_members

ROOT = Path(__file__).resolve().parent.parent
CACHES = {"_day", "_day_text", "_minute", "_minute_text", "_lo", "_hi", "_claims", "say"}
LONG = ["--set", "duration=2000h"]
HASH_TAIL = len(b',"hash":"') + 66  # a line's hash field and closing brace


class Run:
    """A run directory, its scenario, its events and its nodes."""

    def __init__(self, scenario_file: str, out: Path, overrides: list[str] | None = None) -> None:
        loaded = load_scenario(ROOT / "scenarios" / scenario_file, overrides or [])
        run_dir = run_to_directory(loaded, out).run_dir
        assert run_dir is not None
        self.dir = run_dir
        self.scenario: Scenario = loaded.scenario
        self.events = list(read_events(run_dir / "events.jsonl"))
        self.nodes: list[str | None] = [None, *sorted(loaded.scenario.nodes)]

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(orjson.loads((self.dir / "manifest.json").read_bytes()))


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run("teaching-minimal.yaml", tmp_path_factory.mktemp("teaching"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run("baseline-2024.yaml", tmp_path_factory.mktemp("baseline"))


def memory(narrator: Narrator) -> dict[str, Any]:
    """What a narrator remembers of the events it heard (its caches aside), as plain data."""
    return {k: _plain(v) for k, v in vars(narrator).items() if k not in CACHES}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__name__, _plain(vars(value)))  # the books and what they hold
    return value


# --- hearing is telling, without the sentences -----------------------------------------


def test_the_logs_here_hold_every_type_that_is_heard(teaching: Run, baseline: Run) -> None:
    """(else the next test would not hold every hearing to its telling)"""
    narrator = Narrator(teaching.scenario)
    heard = {cls for cls, hear in narrator.hearing().items() if hear is not None}
    assert len(heard) >= 15
    present = {type(e) for e in teaching.events + baseline.events}
    assert heard <= present, heard - present


@pytest.mark.parametrize("which", ["teaching", "baseline"])
def test_hearing_a_log_remembers_what_telling_it_remembers(
    which: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(which)
    events = run.events
    checks = set(range(0, len(events), max(1, len(events) // 40))) | {1, len(events) - 1}
    for node in run.nodes:
        told, heard = teller(run.scenario, node), teller(run.scenario, node)
        say = told[1]
        hearing = heard[0].hearing()
        for i, event in enumerate(events):
            say[type(event)](event)
            hear = hearing[type(event)]
            if hear is not None:
                hear(event)
            if i in checks:
                assert memory(heard[0]) == memory(told[0]), (node, i, type(event).__name__)
        assert memory(heard[0]) == memory(told[0])


@pytest.mark.parametrize("which", ["teaching", "baseline"])
def test_hearing_stand_ins_remembers_what_hearing_events_remembers(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The lines decoded for hearing only (HEARD's fields) leave the same memory."""
    run: Run = request.getfixturevalue(which)
    lines = (run.dir / "events.jsonl").read_bytes().splitlines(keepends=True)
    decoder, stand_ins = heard_decoder()
    cuts = [0, 1, len(lines) // 3, len(lines) // 2, len(lines) - 1, len(lines)]
    for node in run.nodes:
        told, heard = teller(run.scenario, node), teller(run.scenario, node)
        for start, end in itertools.pairwise(cuts):
            told[0].remember(run.events[start:end])
            decoded = decoder.decode_lines(b"".join(lines[start:end]))
            assert [type(e) for e in decoded] == [stand_ins[type(e)] for e in run.events[start:end]]
            heard[0].remember(decoded)
            assert memory(heard[0]) == memory(told[0]), (node, end)


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_a_narrator_that_heard_the_start_tells_the_rest_as_one_that_told_it(
    baseline: Run, cut: float
) -> None:
    events = baseline.events
    seam = int(len(events) * cut)
    for node in (None, "NATO-JISD", "UKR-HUR"):
        whole = "".join(timeline_text(baseline.scenario, events, as_node=node))
        first = teller(baseline.scenario, node)
        head = "".join(told_text(first, events[:seam], as_node=node))
        rest = teller(baseline.scenario, node)
        rest[0].remember(events[:seam])
        assert head + "".join(told_text(rest, events[seam:], as_node=node)) == whole


# --- told apart, joined: the same text, the same reading ----------------------------------


def serial(run_dir: Path, manifest: dict[str, Any], scenario: Scenario, node: str | None) -> Any:
    reading = LogReading(run_dir / "events.jsonl", manifest)
    text = "".join(timeline_text(scenario, reading.events(), as_node=node))
    return text, reading


def apart(
    run_dir: Path,
    manifest: dict[str, Any],
    scenario: Scenario,
    node: str | None,
    share: float,
    joined: list[int],
) -> Any:
    reading = LogReading(run_dir / "events.jsonl", manifest)
    before = len(joined)
    blocks = text_apart(scenario, reading, as_node=node, apart_bytes=0, share=share)
    text = "".join(b.decode() if isinstance(b, bytes) else b for b in blocks)
    return text, reading, len(joined) > before


@pytest.fixture
def joins(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times a child's part was joined and its text written (the two cores told
    it, not one), on a machine however busy."""
    monkeypatch.setattr(timeline_apart, "spare_core", lambda: True)
    # other tests of the session may leave a thread running: the child uses none of them
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    seen: list[int] = []
    spilled = timeline_apart._spilled

    def counted(*args: Any) -> Any:
        seen.append(1)
        return spilled(*args)

    monkeypatch.setattr(timeline_apart, "_spilled", counted)
    return seen


def same_reading(a: LogReading, b: LogReading) -> None:
    assert (a.fault, a.count, a.last, a.last_hash) == (b.fault, b.count, b.last, b.last_hash)


@pytest.mark.parametrize("sealed", [True, False])
def test_told_apart_is_told_whole(baseline: Run, joins: list[int], sealed: bool) -> None:
    manifest = baseline.manifest
    if not sealed:
        manifest.pop("seal")
    for node in baseline.nodes[:4]:
        text, reading = serial(baseline.dir, manifest, baseline.scenario, node)
        assert reading.ok
        for share in (0.3, 0.67):
            told, joined, split = apart(
                baseline.dir, manifest, baseline.scenario, node, share, joins
            )
            assert split, "the child told no part"
            assert told == text
            same_reading(joined, reading)


def test_a_small_unsealed_log_cut_anywhere(teaching: Run, joins: list[int]) -> None:
    manifest = teaching.manifest
    manifest.pop("seal")
    for node in teaching.nodes:
        text, reading = serial(teaching.dir, manifest, teaching.scenario, node)
        for share in (0.01, 0.2, 0.5, 0.8, 0.99):
            told, joined, split = apart(
                teaching.dir, manifest, teaching.scenario, node, share, joins
            )
            assert split and told == text
            same_reading(joined, reading)


def _failing(*args: Any) -> None:
    raise RuntimeError("a child that fails")


def _no_room() -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize(
    "where,name,stand_in",
    [
        (timeline_apart, "_tell_rest", _failing),  # a child that fails
        (timeline_apart.tempfile, "TemporaryFile", _no_room),  # no room for its text
        (timeline_apart, "spare_core", lambda: False),  # no core to spare
    ],
    ids=["a failing child", "no room for its text", "no core to spare"],
)
def test_without_a_child_this_process_tells_it_all(
    baseline: Run,
    monkeypatch: pytest.MonkeyPatch,
    joins: list[int],
    where: Any,
    name: str,
    stand_in: Any,
) -> None:
    monkeypatch.setattr(where, name, stand_in)
    text, reading = serial(baseline.dir, baseline.manifest, baseline.scenario, None)
    told, joined, split = apart(
        baseline.dir, baseline.manifest, baseline.scenario, None, 0.5, joins
    )
    assert not split and told == text
    same_reading(joined, reading)


@pytest.mark.parametrize("utf8", [True, False])
def test_the_view_writes_the_childs_bytes_as_the_text_would_be(
    baseline: Run, joins: list[int], utf8: bool
) -> None:
    """To a UTF-8 stream the child's bytes go as they are; to any other, as text."""
    text, _ = serial(baseline.dir, baseline.manifest, baseline.scenario, "NATO-JISD")
    raw = io.BytesIO()
    encoding = "utf-8" if utf8 else "utf-16"
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    console = Console(file=stream, force_terminal=False)
    reading = LogReading(baseline.dir / "events.jsonl", baseline.manifest)
    show_timeline(baseline.scenario, reading, console, as_node="NATO-JISD", plain=True)
    stream.flush()
    assert joins, "the child told no part"
    assert raw.getvalue() == text.encode(encoding)
    assert reading.ok


# --- a broken log: the same text up to the break, the same fault --------------------------


TELL_REST = timeline_apart._tell_rest


def _resumed_elsewhere(*args: Any) -> Any:
    """A child whose reading resumed after a line other than the one this process read
    last (as if the file changed between the two readings)."""
    rest = TELL_REST(*args)
    assert rest is not None
    return rest._replace(at=dataclasses.replace(rest.at, prev_hash=b"0" * 64))


def test_a_child_that_read_other_lines_is_not_joined(
    baseline: Run, monkeypatch: pytest.MonkeyPatch, joins: list[int]
) -> None:
    monkeypatch.setattr(timeline_apart, "_tell_rest", _resumed_elsewhere)
    for node in (None, baseline.nodes[0]):
        text, reading = serial(baseline.dir, baseline.manifest, baseline.scenario, node)
        told, joined, split = apart(
            baseline.dir, baseline.manifest, baseline.scenario, node, 0.5, joins
        )
        assert not split and told == text  # this process told on from the seam itself
        same_reading(joined, reading)


def rechained(lines: list[bytes], start: int, end: int) -> list[bytes]:
    """Lines `start` to `end` re-hashed after a change (a forger's log)."""
    prev = lines[start - 1][-66:-2]
    out = lines[:start]
    for line in lines[start:end]:
        body = line[:-HASH_TAIL] + b"}"
        prev = hashlib.sha256(prev + body).hexdigest().encode()
        out.append(body[:-1] + b',"hash":"' + prev + b'"}')
    return out + lines[end:]


def _flip(lines: list[bytes], i: int) -> list[bytes]:
    line = bytearray(lines[i])
    at = line.index(b'"t":') + 5
    line[at] = ord("8") if line[at] == ord("9") else ord("9")
    return [*lines[:i], bytes(line), *lines[i + 1 :]]


def _forged(lines: list[bytes], i: int, end: int) -> list[bytes]:
    """A sector renamed in a line from `i` (its length kept: every line stays where the
    seal says), and the chain re-hashed from there up to `end`."""
    j = next(k for k in range(i, end) if b'"sector":"' in lines[k])
    at = lines[j].index(b'"sector":"') + len(b'"sector":"')
    letter = b"Y" if lines[j][at : at + 1] == b"X" else b"X"
    changed = lines[j][:at] + letter + lines[j][at + 1 :]
    return rechained([*lines[:j], changed, *lines[j + 1 :]], j, end)


def _ended_at(lines: list[bytes], i: int) -> list[bytes]:
    """A RunEnded numbered `i`, at the time of line `i`, in its place (padded to its length:
    every line stays where it was), the chain re-hashed from there."""
    was = orjson.loads(lines[i])
    body = b'{"type":"RunEnded","seq":%d,"t":%s,"reason":"horizon"' % (i, orjson.dumps(was["t"]))
    pad = len(lines[i]) - HASH_TAIL - len(body)
    assert pad >= 0, "line i is shorter than a RunEnded"
    ended = body + b" " * pad + b',"hash":"' + b"0" * 64 + b'"}'
    return rechained([*lines[:i], ended, *lines[i + 1 :]], i, len(lines))


BREAKS = {
    "a byte before the seam": lambda ls, s: _flip(ls, s // 3),
    "the line before the seam": lambda ls, s: _flip(ls, s - 1),
    "the seam's line": lambda ls, s: _flip(ls, s),
    "a byte after the seam": lambda ls, s: _flip(ls, s + (len(ls) - s) // 2),
    "the last line": lambda ls, s: _flip(ls, len(ls) - 1),
    "two lines swapped after": lambda ls, s: [*ls[: s + 9], ls[s + 10], ls[s + 9], *ls[s + 11 :]],
    "two lines swapped at": lambda ls, s: [*ls[: s - 1], ls[s], ls[s - 1], *ls[s + 1 :]],
    "a line dropped after": lambda ls, s: [*ls[: s + 5], *ls[s + 6 :]],
    "a line dropped at": lambda ls, s: [*ls[:s], *ls[s + 1 :]],
    "not a line at all after": lambda ls, s: [*ls[: s + 7], b"nonsense", *ls[s + 8 :]],
    "the end cut off": lambda ls, s: ls[: s + 20],
    "cut before the seam": lambda ls, s: ls[: s - 20],
    "RunEnded before the seam": lambda ls, s: _ended_at(ls, s - 1),
    "forged before the seam, up to it": lambda ls, s: _forged(ls, s - 50, s),
    "forged after the seam, within a block": lambda ls, s: _forged(ls, s + 10, s + 8192),
    "forged from the start to the end": lambda ls, s: _forged(ls, 1, len(ls)),
}


@pytest.mark.parametrize("sealed", [True, False])
@pytest.mark.parametrize("how", sorted(BREAKS))
def test_a_broken_log_says_the_same_up_to_the_same_fault(
    baseline: Run, tmp_path: Path, how: str, sealed: bool, joins: list[int]
) -> None:
    broken = tmp_path / "run"
    shutil.copytree(baseline.dir, broken)
    log = broken / "events.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    manifest = baseline.manifest
    if not sealed:
        manifest.pop("seal")
    seam = timeline_apart._seam(LogReading(log, manifest), 0, 0.5)
    assert seam is not None
    log.write_bytes(b"\n".join(BREAKS[how](lines, seam.seq)) + b"\n")
    for node in (None, "UKR-HUR"):
        text, whole = serial(broken, manifest, baseline.scenario, node)
        assert not whole.ok
        told, joined, _ = apart(broken, manifest, baseline.scenario, node, 0.5, joins)
        assert told == text, how
        same_reading(joined, whole)
    if how.endswith("after") or how.endswith("off") or how.startswith("forged after"):
        assert joins, "the child told no part"
    elif (sealed and how.endswith("up to it")) or how.startswith("RunEnded"):
        # a block before the seam unsealed (one reading then chains every line after it,
        # also the seal's blocks), RunEnded before the seam: this process tells on alone
        assert not joins, "one reading goes on otherwise than one resumed at the seam"


def test_a_log_cut_mid_line(baseline: Run, tmp_path: Path, joins: list[int]) -> None:
    broken = tmp_path / "run"
    shutil.copytree(baseline.dir, broken)
    log = broken / "events.jsonl"
    data = log.read_bytes()
    log.write_bytes(data[: len(data) * 9 // 10])
    text, whole = serial(broken, baseline.manifest, baseline.scenario, None)
    told, joined, split = apart(broken, baseline.manifest, baseline.scenario, None, 0.5, joins)
    assert whole.partial and split and told == text
    same_reading(joined, whole)


# --- the command: a reader that leaves, a stop signal ------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run big enough for the command to tell apart (queue-50k for 2000 h, ~20 MB)."""
    out = tmp_path_factory.mktemp("big")
    subprocess.run(
        [sys.executable, "-m", "sim", "run", "bench/queue-50k.yaml", "--out", str(out), *LONG],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    run_dir = next(out.glob("*/events.jsonl")).parent
    assert (run_dir / "events.jsonl").stat().st_size > 2 * timeline_apart.APART_BYTES
    return run_dir


SPARE = "import sim.analysis.timeline_apart as a; a.spare_core = lambda: True; import sim.__main__"
"""`python -m sim`, telling apart on a machine however busy."""


def intelsim(*args: str) -> list[str]:
    return [sys.executable, "-c", SPARE, *args]


def test_a_reader_that_leaves_at_once_leaves_nothing_behind(big: Path) -> None:
    command = shlex.join(intelsim("timeline", str(big), "--plain")) + " | head -3"
    done = subprocess.Popen(
        ["bash", "-o", "pipefail", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
    )
    stdout, stderr = done.communicate(timeout=60)
    assert done.returncode == 0, stderr
    assert stderr == b""
    assert len(stdout.splitlines()) == 3
    assert not _lingering(done.pid)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_told_apart_leaves_nothing_behind(big: Path, signum: int) -> None:
    """Stdout is not read until the signal: this process waits on the pipe, the child
    tells on; the signal comes once both are seen."""
    proc = subprocess.Popen(
        intelsim("timeline", str(big), "--plain"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + 60
    while len(session_members(proc.pid)) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None
        time.sleep(0.002)
    assert len(session_members(proc.pid)) >= 2, "no child seen"
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # a terminal's Ctrl-C: the whole foreground group
    else:
        os.kill(proc.pid, signum)
    _, stderr = proc.communicate(timeout=60)
    assert not _lingering(proc.pid)
    said = [line for line in stderr.decode().splitlines() if line.strip()]
    assert proc.returncode == 128 + signum, said
    assert len(said) == 1 and INTERRUPTED_LINE.match(said[0]), said


def test_the_command_tells_a_big_run_as_one_reading_would(big: Path) -> None:
    manifest = dict(orjson.loads((big / "manifest.json").read_bytes()))
    scenario = Scenario.model_validate(manifest["resolved"])
    for node in (None, "UKR-HUR"):
        text, _ = serial(big, manifest, scenario, node)
        args = [] if node is None else ["--as", node]
        out = subprocess.run(
            intelsim("timeline", str(big), "--plain", *args),
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        assert out.stdout.decode() == text


def test_every_event_is_told_or_heard_by_type() -> None:
    """Every type a narrator tells has a hearing entry (None where telling keeps nothing)."""
    narrator = Narrator(Scenario.model_validate(_minimal()))
    assert set(narrator.hearing()) == set(narrator.say) == set(ev.EVENT_TYPES.values())


def _minimal() -> dict[str, Any]:
    from tests.builders import design_example

    return design_example()
