"""Crash cuts: a run's log cut at every byte offset is named incomplete at the right seq.

A killed run leaves whole lines plus at most one partial line. Cut the teaching
scenario's log at every byte offset: `verify`'s log check and the reading verbs' checked
reading must each name the first incomplete seq (the number of whole lines before the
cut) and never raise. A big run is cut at random offsets the same way, and the
commands are run on a few cuts for their exit codes and words.
"""

from __future__ import annotations

import bisect
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.events import decode
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_json, verify_log
from sim.store import verify as store_verify
from sim.store.chain import GENESIS, split_line
from sim.store.reading import LogIntegrityError, LogReading, Resume
from sim.store.verify import PARALLEL_BYTES
from tests.conftest import Forks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("teaching")
    # the small teaching scenario of one fusion node (teaching-minimal's log is twice as
    # long since the ROK's node: twice the offsets, for no new way of cutting a line)
    loaded = load_scenario(ROOT / "tests" / "fixtures" / "one-fusion-node.yaml", [])
    outcome = run_to_directory(loaded, out)
    assert outcome.run_dir is not None
    return outcome.run_dir


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("big")
    loaded = load_scenario(ROOT / "bench" / "queue-50k.yaml", ["duration=1000h"])
    outcome = run_to_directory(loaded, out)
    assert outcome.run_dir is not None and outcome.events > 40_000
    return outcome.run_dir


def _whole_lines(data: bytes, offset: int) -> int:
    """The first seq a cut at `offset` loses: the whole lines before it."""
    return data.count(b"\n", 0, offset)


def _resume_points(data: bytes) -> list[Resume]:
    """Where each line starts, with the hash and time of the line before it."""
    points, offset, prev, t = [], 0, GENESIS, float("-inf")
    for seq, line in enumerate(data.split(b"\n")[:-1]):
        points.append(Resume(offset, seq, prev, t))
        offset += len(line) + 1
        prev, t = split_line(line)[1], decode(line).t
    return points


def _check_cut(log: Path, offset: int, lost: int, manifest: dict, start: Resume | None) -> None:
    """Both readers name `lost` as the first incomplete seq of `log` cut at `offset`."""
    verdict = verify_log(log, start=start)
    assert not verdict.ok, offset
    assert verdict.first_bad_seq == lost, (offset, verdict.problems)
    reading = LogReading(log, manifest)
    for _ in reading.events(resume=start):
        pass
    assert reading.fault is not None and reading.fault.kind == "incomplete", offset
    assert reading.fault.seq in (lost, None), (offset, reading.fault)
    assert reading.count + (start.seq if start else 0) == lost


def _cut_and_check(log: Path, data: bytes, offsets: list[int], manifest: dict) -> int:
    """Cut `log` at each offset (largest first, truncating one file) and check both readers.

    The whole log is read from the top at every line boundary and at a few offsets per
    line; at every other offset, from the last whole line before the cut (the lines
    before it are the same bytes, already read whole at the boundary after them).
    """
    points = _resume_points(data)
    ends = [p.offset for p in points[1:]] + [len(data)]  # offset just past each line
    rng = random.Random(len(data))
    with log.open("r+b") as handle:
        for offset in sorted(offsets, reverse=True):
            handle.truncate(offset)
            lost = bisect.bisect_right(ends, offset)
            boundary = offset == 0 or data[offset - 1 : offset] == b"\n"
            from_top = boundary or rng.random() < 0.002
            start = None if from_top else points[max(lost - 1, 0)]
            _check_cut(log, offset, lost, manifest, start)
    return len(offsets)


@pytest.mark.slow
def test_teaching_log_cut_at_every_byte_offset(teaching: Path, tmp_path: Path) -> None:
    data = (teaching / "events.jsonl").read_bytes()
    log = tmp_path / "events.jsonl"
    log.write_bytes(data)
    manifest = read_json(teaching / "manifest.json")
    assert verify_log(log).ok
    cuts = _cut_and_check(log, data, list(range(len(data))), manifest)
    assert cuts == len(data) > 30_000


def test_big_log_cut_at_random_offsets(big: Path, tmp_path: Path) -> None:
    data = (big / "events.jsonl").read_bytes()
    log = tmp_path / "events.jsonl"
    log.write_bytes(data)
    rng = random.Random(12)
    offsets = [rng.randrange(len(data)) for _ in range(6)] + [len(data) - 1, 1]
    assert _cut_and_check(log, data, offsets, read_json(big / "manifest.json")) == 8


def _cut_run(run: Path, tmp_path: Path, offset: int) -> Path:
    cut = tmp_path / f"cut-{offset}"
    shutil.copytree(run, cut)
    os.truncate(cut / "events.jsonl", offset)
    return cut


runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["timeline", "{run}", "--plain"],
        ["timeline", "{run}", "--as", "NATO-JISD"],
        ["metrics", "{run}"],
        ["replay", "{run}"],
        ["replay", "{run}", "--at", "29d"],
        ["explain", "{run}", "R1"],
        ["branch", "{run}", "--at", "5d", "--set", "nodes.NATO-JISD.analysts=8"],
    ],
)
@pytest.mark.parametrize("where", ["mid-line", "boundary", "empty"])
def test_reading_verbs_say_the_run_is_incomplete(
    teaching: Path, tmp_path: Path, args: list[str], where: str
) -> None:
    data = (teaching / "events.jsonl").read_bytes()
    boundary = data.index(b"\n", len(data) // 2) + 1
    offset = {"mid-line": boundary + 40, "boundary": boundary, "empty": 0}[where]
    cut = _cut_run(teaching, tmp_path, offset)
    argv = [a.replace("{run}", str(cut)) for a in args] + ["--out", str(tmp_path / "out")]
    result = runner.invoke(app, argv)
    assert isinstance(result.exception, LogIntegrityError), (result.output, result.exception)
    assert result.exception.exit_code == 1
    assert "the run is incomplete" in str(result.exception)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_commands_on_cut_logs_exit_1_and_name_the_seq(teaching: Path, tmp_path: Path) -> None:
    data = (teaching / "events.jsonl").read_bytes()
    offset = data.index(b"\n", len(data) // 3) + 25
    lost = _whole_lines(data, offset)
    cut = _cut_run(teaching, tmp_path, offset)
    for verb in (["verify"], ["replay", "--at", "29d"], ["timeline"]):
        done = subprocess.run(
            [sys.executable, "-m", "sim", verb[0], str(cut), *verb[1:]],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, (verb, done.stderr)
        assert "Traceback" not in done.stderr
        assert f"seq {lost - 1}" in done.stderr or f"seq {lost}" in done.stderr, done.stderr
    assert "incomplete" in done.stderr


def test_a_big_log_has_its_chain_checked_on_the_side(
    big: Path, tmp_path: Path, children_of: Forks
) -> None:
    children = children_of(store_verify)
    data = (big / "events.jsonl").read_bytes()
    assert len(data) >= PARALLEL_BYTES  # so verify checks the chain in a child process
    log = tmp_path / "events.jsonl"
    log.write_bytes(data)
    assert verify_log(log).ok
    lines = data.splitlines(keepends=True)
    n = len(lines) // 2
    lines[n] = lines[n].replace(b'"t":', b'"t": ')  # still a valid event; its hash is stale
    log.write_bytes(b"".join(lines))
    verdict = verify_log(log)
    assert not verdict.ok and verdict.first_bad_seq == n
    assert len(children) == 2 and None not in children  # each chain checked on the side
