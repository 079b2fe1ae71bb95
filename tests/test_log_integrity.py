"""Reading verbs distrust broken logs; verify catches a re-hashed forgery by what it says."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from sim.analysis.verify import verify_run
from sim.cli import app
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_json, write_json
from sim.store.chain import GENESIS, make_line, split_line
from sim.store.reading import LogIntegrityError, LogReading

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("teaching"))
    assert outcome.run_dir is not None
    return outcome.run_dir


def _copy(run: Path, tmp_path: Path, edit: Callable[[list[bytes]], list[bytes]]) -> Path:
    """A copy of the run whose log lines (with newline) went through `edit`."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    log = copy / "events.jsonl"
    log.write_bytes(b"".join(edit(log.read_bytes().splitlines(keepends=True))))
    return copy


def _rehash(lines: list[bytes]) -> list[bytes]:
    """Re-chain every line: what a forger does after editing one."""
    out, prev = [], GENESIS
    for line in lines:
        body, _ = split_line(line)
        new, prev = make_line(prev, body)
        out.append(new)
    return out


def _read(run: Path) -> LogReading:
    reading = LogReading(run / "events.jsonl", read_json(run / "manifest.json"))
    for _ in reading.events():
        pass
    return reading


def _first(lines: list[bytes], kind: bytes) -> int:
    return next(i for i, line in enumerate(lines) if b'"type":"' + kind + b'"' in line)


EDITS: dict[str, tuple[Callable[[list[bytes]], list[bytes]], str, str]] = {
    "changed": (
        lambda ls: [*ls[:40], ls[40].replace(b'"t":', b'"t": '), *ls[41:]],
        "altered",
        "seq 40: hash chain broken",
    ),
    "dropped": (lambda ls: ls[:30] + ls[31:], "altered", "seq 30: hash chain broken"),
    "swapped": (
        lambda ls: [*ls[:30], ls[31], ls[30], *ls[32:]],
        "altered",
        "seq 30: hash chain broken",
    ),
    "garbage": (lambda ls: [*ls[:5], b"not json\n", *ls[5:]], "altered", "seq 5: the line"),
    "rewritten": (
        lambda ls: _rehash([*ls[:50], ls[50].replace(b'"t":', b'"t": '), *ls[51:]]),
        "altered",
        "the manifest recorded (the log was rewritten)",
    ),
    "after the end": (lambda ls: [*ls, ls[-1]], "altered", "hash chain broken"),
    "cut": (lambda ls: ls[:100], "incomplete", "ends at seq 99"),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_the_reading_names_what_is_wrong(teaching: Path, tmp_path: Path, name: str) -> None:
    edit, kind, words = EDITS[name]
    reading = _read(_copy(teaching, tmp_path, edit))
    assert reading.fault is not None and reading.fault.kind == kind
    assert words in reading.describe()
    with pytest.raises(LogIntegrityError):
        reading.raise_if_broken()


def test_an_intact_log_reads_whole(teaching: Path) -> None:
    reading = _read(teaching)
    assert reading.ok and reading.count == read_json(teaching / "manifest.json")["events"]


def test_a_rehashed_forgery_fails_verify_by_what_it_says(teaching: Path, tmp_path: Path) -> None:
    def forge(lines: list[bytes]) -> list[bytes]:
        i = _first(lines, b"AssessmentIssued")
        event = orjson.loads(split_line(lines[i])[0])
        assert event["band"] != "almost certain"
        lines[i] = lines[i].replace(b'"band":"' + event["band"].encode(), b'"band":"almost certain')
        return _rehash(lines)

    forged = _copy(teaching, tmp_path, forge)
    manifest = read_json(forged / "manifest.json")
    del manifest["seal"]  # a careful forger drops the seal that would give the edit away
    (forged / "events.seal").unlink()
    manifest["final_hash"] = split_line(
        forged.joinpath("events.jsonl").read_bytes().splitlines()[-1]
    )[1].decode()
    write_json(forged / "manifest.json", manifest)
    assert _read(forged).ok  # the chain and the manifest agree: only the content can tell
    verdict = verify_run(forged)
    assert not verdict.ok
    assert any("is said to be 'almost certain'" in p for p in verdict.log.problems)


def test_replay_past_the_end_says_when_the_run_ended(teaching: Path) -> None:
    result = runner.invoke(app, ["replay", str(teaching), "--at", "40d", "--json"])
    assert result.exit_code == 0
    assert "the run ended at t=720 h" in result.output


def test_metrics_that_differ_from_metrics_json_fail(teaching: Path, tmp_path: Path) -> None:
    copy = _copy(teaching, tmp_path, lambda ls: ls)
    recorded = read_json(copy / "metrics.json")
    recorded["run"]["usages"] += 1
    write_json(copy / "metrics.json", recorded)
    result = runner.invoke(app, ["metrics", str(copy)])
    assert isinstance(result.exception, LogIntegrityError)
    assert "differ from metrics.json in 1 value" in str(result.exception)


def test_the_seal_gives_away_a_log_rehashed_after_the_run(teaching: Path, tmp_path: Path) -> None:
    edit = lambda ls: _rehash([*ls[:50], ls[50].replace(b'"t":', b'"t": '), *ls[51:]])  # noqa: E731
    forged = _copy(teaching, tmp_path, edit)
    manifest = read_json(forged / "manifest.json")
    last = forged.joinpath("events.jsonl").read_bytes().splitlines()[-1]
    manifest["final_hash"] = split_line(last)[1].decode()
    write_json(forged / "manifest.json", manifest)
    reading = _read(forged)
    assert reading.fault is not None and reading.fault.kind == "altered"
    assert "not what the run wrote and sealed" in reading.describe()
    assert any("do not match events.seal" in p for p in verify_run(forged).problems)
