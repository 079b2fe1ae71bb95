"""Fuzzing the log reader and every reading verb on corrupted logs.

Three kinds of corruption, drawn by hypothesis from a real run's log:

- bytes: flipped, deleted, inserted, duplicated, or the file cut anywhere;
- lines: dropped, repeated, swapped;
- forgeries: one event's field set to another value of its type (or its type renamed),
  then every line re-chained and the manifest's final hash updated, so the chain holds
  and only the domain code reading the events can tell.

Every input must end in exit 0 or a declared error (exit 2, or 1 for a failed check):
never a traceback, never an internal error (exit 70). `INTELSIM_FUZZ_EXAMPLES` sets the
number of examples for a longer run (docs/reliability.md, "Logs", quotes the counts).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.analysis.source import open_run
from sim.cli import app
from sim.errors import IntelsimError
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_json
from sim.store.chain import GENESIS, make_line, split_line
from sim.store.reading import LogReading

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("INTELSIM_FUZZ_EXAMPLES", "0")) or None
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

VERBS: list[list[str]] = [
    ["timeline", "{run}", "--plain"],
    ["timeline", "{run}", "--as", "NATO-JISD"],
    ["metrics", "{run}", "--json"],
    ["replay", "{run}"],
    ["replay", "{run}", "--at", "15d", "--as", "UKR-HUR"],
    ["explain", "{run}", "A-NATO-JISD-1"],
    ["explain", "{run}", "R3"],
    ["verify", "{run}"],
    ["export", "{run}", "--format", "parquet", "--to", "{tmp}/parquet"],
    ["query", "{run}", "select type, count(*) from events group by type"],
    ["diff", "{original}", "{run}"],
    ["branch", "{run}", "--at", "10d", "--set", "nodes.NATO-JISD.analysts=3", "--out", "{tmp}/b"],
]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("fuzz"))
    assert outcome.run_dir is not None
    return outcome.run_dir


# --- corruptions ------------------------------------------------------------------------


@st.composite
def byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    size = len(data)
    at = draw(st.integers(0, size - 1))
    kind = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "cut"]))
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    span = draw(st.integers(1, 300))
    if kind == "delete":
        return data[:at] + data[at + span :]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    if kind == "duplicate":
        return data[: at + span] + data[at : at + span] + data[at + span :]
    return data[:at]


@st.composite
def line_edits(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["drop", "repeat", "swap"]))
    if kind == "drop":
        del lines[i]
    elif kind == "repeat":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["NATO-JISD", "UKR-HUR", "R1", "A-NATO-JISD-1", "U1", "M1", "KN-23"]),
    st.lists(st.text(max_size=6), max_size=3),
)


@st.composite
def forgeries(draw: st.DrawFn, data: bytes) -> bytes:
    """Change one field of one event (keeping JSON well formed) and re-chain every line."""
    lines = data.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    event = orjson.loads(split_line(lines[i])[0])
    field = draw(st.sampled_from(sorted(event)))
    if field == "type":
        event[field] = draw(st.sampled_from(["RunEnded", "LinkDown", "AssessmentIssued", "X"]))
    elif isinstance(event[field], int | float) and not isinstance(event[field], bool):
        event[field] = draw(st.one_of(st.integers(-5, 10**6), st.floats(-1e3, 1e6)))
    else:
        event[field] = draw(JSON_VALUES)
    lines[i] = orjson.dumps(event)
    out, prev = [], GENESIS
    for line in lines:
        body = line if i == len(out) else split_line(line)[0]
        chained, prev = make_line(prev, body)
        out.append(chained)
    return b"".join(out)


def _corrupt(run: Path, tmp: Path, data: bytes) -> Path:
    """`tmp/run`: a copy of the run (made once) whose log is now `data`."""
    copy = tmp / "run"
    if not copy.exists():
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("exports", "snapshots"))
    (copy / "events.jsonl").write_bytes(data)
    lines = data.splitlines()
    manifest = read_json(run / "manifest.json")
    manifest.pop("seal", None)  # a forger drops the seal that would give the edit away
    if lines and len(lines[-1]) > 66:
        manifest["final_hash"] = lines[-1][-66:-2].decode(errors="replace")
    (copy / "manifest.json").write_bytes(orjson.dumps(manifest))
    return copy


# --- the outcome of one command ---------------------------------------------------------

runner = CliRunner()


def _exit_code(args: list[str]) -> int:
    """Run a command in-process; its exit code as `intelsim` would give it, or fail."""
    result = runner.invoke(app, args)
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return result.exit_code
    if isinstance(exc, IntelsimError):
        return int(getattr(exc, "exit_code", 2))
    raise AssertionError(f"{' '.join(args)}: internal error (exit 70)") from exc


def _check_all_verbs(original: Path, run: Path, tmp: Path, verbs: list[list[str]]) -> None:
    for verb in verbs:
        args = [
            a.replace("{run}", str(run)).replace("{original}", str(original))
            .replace("{tmp}", str(tmp))
            for a in verb
        ]  # fmt: skip
        code = _exit_code(args)
        assert code in (0, 1, 2), (args, code)


def _reading_ends_cleanly(run: Path) -> None:
    reading = LogReading(run / "events.jsonl", read_json(run / "manifest.json"))
    for _ in reading.events():
        pass
    if not reading.ok:
        assert reading.fault is not None and reading.fault.kind in ("incomplete", "altered")


Corruption = Callable[[bytes], st.SearchStrategy[bytes]]


@pytest.mark.parametrize("corrupt", [byte_edits, line_edits, forgeries], ids=lambda f: f.__name__)
def test_the_log_reader_on_corrupted_logs(
    original: Path, tmp_path: Path, corrupt: Corruption
) -> None:
    data = (original / "events.jsonl").read_bytes()

    @settings(SETTINGS, max_examples=EXAMPLES or 100)
    @given(corrupt(data))
    def reads(bad: bytes) -> None:
        _reading_ends_cleanly(_corrupt(original, tmp_path, bad))

    reads()


@pytest.mark.parametrize("corrupt", [byte_edits, line_edits, forgeries], ids=lambda f: f.__name__)
def test_every_reading_verb_on_corrupted_logs(
    original: Path, tmp_path: Path, corrupt: Corruption
) -> None:
    data = (original / "events.jsonl").read_bytes()

    @settings(SETTINGS, max_examples=(EXAMPLES or 100) // 8)
    @given(corrupt(data), st.sampled_from(VERBS))
    def commands(bad: bytes, verb: list[str]) -> None:
        run = _corrupt(original, tmp_path, bad)
        _check_all_verbs(original, run, tmp_path, [verb])

    commands()


def test_every_verb_reads_the_intact_run(original: Path, tmp_path: Path) -> None:
    run = _corrupt(original, tmp_path, (original / "events.jsonl").read_bytes())
    assert open_run(run).reading() is not None
    for verb in VERBS:
        args = [
            a.replace("{run}", str(run)).replace("{original}", str(original))
            .replace("{tmp}", str(tmp_path))
            for a in verb
        ]  # fmt: skip
        assert _exit_code(args) == 0, args
