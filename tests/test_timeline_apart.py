"""A timeline told on two cores is the timeline told on one: hearing a log remembers what
telling it remembers, the two parts joined say the same text, and a broken log the same
fault at the same seq; a reader that leaves, or a stop signal, leaves no process behind."""

from __future__ import annotations

import dataclasses
import fcntl
import io
import itertools
import os
import shlex
import signal
import subprocess
import sys
import termios
import time
from array import array
from pathlib import Path
from typing import IO, Any

import orjson
import pytest
from rich.console import Console

from sim import events as ev
from sim.analysis import timeline_apart
from sim.analysis.timeline import Narrator, heard_decoder, teller, timeline_text, told_text
from sim.analysis.timeline_apart import text_apart
from sim.report.timeline_view import show_timeline
from sim.scenario.models import Scenario
from sim.store import forked
from sim.store.reading import LogReading
from tests.runs import BREAKS, Run, copy_to_break, write_lines
from tests.signals import INTERRUPTED_LINE, _lingering, session_members

ROOT = Path(__file__).resolve().parent.parent
CACHES = {"_day", "_day_text", "_minute", "_minute_text", "_lo", "_hi", "_claims", "say"}
LONG = ["--set", "duration=2000h"]


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


def test_the_logs_here_hold_every_type_that_is_heard(teaching_run: Run, baseline_run: Run) -> None:
    """(else the next test would not hold every hearing to its telling)"""
    narrator = Narrator(teaching_run.scenario)
    heard = {cls for cls, hear in narrator.hearing().items() if hear is not None}
    assert len(heard) >= 15
    present = {type(e) for e in teaching_run.events + baseline_run.events}
    assert heard <= present, heard - present


@pytest.mark.parametrize("which", ["teaching", "baseline"])
def test_hearing_a_log_remembers_what_telling_it_remembers(
    which: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(f"{which}_run")
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
    run: Run = request.getfixturevalue(f"{which}_run")
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
    baseline_run: Run, cut: float
) -> None:
    events = baseline_run.events
    seam = int(len(events) * cut)
    for node in (None, "NATO-JISD", "UKR-HUR"):
        whole = "".join(timeline_text(baseline_run.scenario, events, as_node=node))
        first = teller(baseline_run.scenario, node)
        head = "".join(told_text(first, events[:seam], as_node=node))
        rest = teller(baseline_run.scenario, node)
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
def test_told_apart_is_told_whole(baseline_run: Run, joins: list[int], sealed: bool) -> None:
    manifest = baseline_run.manifest
    if not sealed:
        manifest.pop("seal")
    for node in baseline_run.nodes[:4]:
        text, reading = serial(baseline_run.dir, manifest, baseline_run.scenario, node)
        assert reading.ok
        for share in (0.3, 0.67):
            told, joined, split = apart(
                baseline_run.dir, manifest, baseline_run.scenario, node, share, joins
            )
            assert split, "the child told no part"
            assert told == text
            same_reading(joined, reading)


def test_a_small_unsealed_log_cut_anywhere(teaching_run: Run, joins: list[int]) -> None:
    manifest = teaching_run.manifest
    manifest.pop("seal")
    for node in teaching_run.nodes:
        text, reading = serial(teaching_run.dir, manifest, teaching_run.scenario, node)
        for share in (0.01, 0.2, 0.5, 0.8, 0.99):
            told, joined, split = apart(
                teaching_run.dir, manifest, teaching_run.scenario, node, share, joins
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
    baseline_run: Run,
    monkeypatch: pytest.MonkeyPatch,
    joins: list[int],
    where: Any,
    name: str,
    stand_in: Any,
) -> None:
    monkeypatch.setattr(where, name, stand_in)
    text, reading = serial(baseline_run.dir, baseline_run.manifest, baseline_run.scenario, None)
    told, joined, split = apart(
        baseline_run.dir, baseline_run.manifest, baseline_run.scenario, None, 0.5, joins
    )
    assert not split and told == text
    same_reading(joined, reading)


@pytest.mark.parametrize("utf8", [True, False])
def test_the_view_writes_the_childs_bytes_as_the_text_would_be(
    baseline_run: Run, joins: list[int], utf8: bool
) -> None:
    """To a UTF-8 stream the child's bytes go as they are; to any other, as text."""
    text, _ = serial(baseline_run.dir, baseline_run.manifest, baseline_run.scenario, "NATO-JISD")
    raw = io.BytesIO()
    encoding = "utf-8" if utf8 else "utf-16"
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    console = Console(file=stream, force_terminal=False)
    reading = LogReading(baseline_run.dir / "events.jsonl", baseline_run.manifest)
    show_timeline(baseline_run.scenario, reading, console, as_node="NATO-JISD", plain=True)
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
    baseline_run: Run, monkeypatch: pytest.MonkeyPatch, joins: list[int]
) -> None:
    monkeypatch.setattr(timeline_apart, "_tell_rest", _resumed_elsewhere)
    for node in (None, baseline_run.nodes[0]):
        text, reading = serial(baseline_run.dir, baseline_run.manifest, baseline_run.scenario, node)
        told, joined, split = apart(
            baseline_run.dir, baseline_run.manifest, baseline_run.scenario, node, 0.5, joins
        )
        assert not split and told == text  # this process told on from the seam itself
        same_reading(joined, reading)


@pytest.mark.parametrize("sealed", [True, False])
@pytest.mark.parametrize("how", sorted(BREAKS))
def test_a_broken_log_says_the_same_up_to_the_same_fault(
    baseline_run: Run, tmp_path: Path, how: str, sealed: bool, joins: list[int]
) -> None:
    broken = tmp_path / "run"
    log, lines, manifest = copy_to_break(baseline_run, broken, sealed=sealed)
    seam = timeline_apart._seam(LogReading(log, manifest), 0, 0.5)
    assert seam is not None
    write_lines(log, BREAKS[how](lines, seam.seq))
    for node in (None, "UKR-HUR"):
        text, whole = serial(broken, manifest, baseline_run.scenario, node)
        assert not whole.ok
        told, joined, _ = apart(broken, manifest, baseline_run.scenario, node, 0.5, joins)
        assert told == text, how
        same_reading(joined, whole)
    if how.endswith("after") or how.endswith("off") or how.startswith("forged after"):
        assert joins, "the child told no part"
    elif (sealed and how.endswith("up to it")) or how.startswith("RunEnded"):
        # a block before the seam unsealed (one reading then chains every line after it,
        # also the seal's blocks), RunEnded before the seam: this process tells on alone
        assert not joins, "one reading goes on otherwise than one resumed at the seam"


def test_a_log_cut_mid_line(baseline_run: Run, tmp_path: Path, joins: list[int]) -> None:
    broken = tmp_path / "run"
    log, _, _ = copy_to_break(baseline_run, broken, sealed=True)
    data = log.read_bytes()
    log.write_bytes(data[: len(data) * 9 // 10])
    text, whole = serial(broken, baseline_run.manifest, baseline_run.scenario, None)
    told, joined, split = apart(
        broken, baseline_run.manifest, baseline_run.scenario, None, 0.5, joins
    )
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


def _pipe_full(pipe: IO[bytes]) -> bool:
    """Whether the pipe we read holds as much as it can: its writer waits on it."""
    waiting = array("i", [0])
    fcntl.ioctl(pipe.fileno(), termios.FIONREAD, waiting)
    return waiting[0] >= fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_while_told_apart_leaves_nothing_behind(big: Path, signum: int) -> None:
    """Stdout is not read until the signal: this process waits on the pipe, the child
    tells on; the signal comes once both are seen (the pipe full: this process wrote
    what it told after the fork, and waits; not while it is still forking the child)."""
    proc = subprocess.Popen(
        intelsim("timeline", str(big), "--plain"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while not (_pipe_full(proc.stdout) and len(session_members(proc.pid)) >= 2):
        assert proc.poll() is None
        assert time.monotonic() < deadline, "no child seen, or the pipe never filled"
        time.sleep(0.002)
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
