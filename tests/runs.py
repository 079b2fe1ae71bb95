"""Runs made once for the tests of the readers (the timeline told apart, a reading joined),
and the ways their logs are broken.

A :class:`Run` is made once per test process (tests/conftest.py: ``teaching_run``,
``baseline_run``) and only read; a test that breaks a log breaks a copy of it
(:func:`copy_to_break`).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import orjson

from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.store import read_events

ROOT = Path(__file__).resolve().parent.parent
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


def copy_to_break(run: Run, to: Path, *, sealed: bool) -> tuple[Path, list[bytes], dict[str, Any]]:
    """A copy of `run`'s directory at `to`, to break: (its log, the log's lines without
    their newlines, the run's manifest, without its seal unless `sealed`)."""
    shutil.copytree(run.dir, to)
    log = to / "events.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    manifest = run.manifest
    if not sealed:
        manifest.pop("seal")
    return log, lines, manifest


def write_lines(log: Path, lines: list[bytes]) -> None:
    """Write `lines` as the whole log, each ended by a newline."""
    log.write_bytes(b"\n".join(lines) + b"\n")


# --- the ways a log is broken: (its lines, the seam's line) -> the broken lines ----------


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
