"""A harness that stops a real `intelsim` process with a real signal and inspects what is left.

Generic over commands: give the command line, the signal and when to send it (seconds
after the command's first manifest appears, i.e. once it has started working). The
child runs in a session of its own; SIGINT goes to its whole process group, as a
terminal's Ctrl-C does, and SIGTERM to the process alone, as `kill` does. Every
process of the session is watched, so one left behind is found whoever started it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from sim.store import verify_log

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
INTERRUPTED_LINE = re.compile(r"^interrupted by (SIGINT|SIGTERM)\b")


@dataclass
class Outcome:
    """What an interrupted command did and left."""

    argv: list[str]
    signum: int
    code: int
    stdout: str
    stderr: str
    out: Path
    at_signal: list[int] = field(default_factory=list)  # the session's processes then
    survivors: list[int] = field(default_factory=list)  # the session's processes after exit
    finished_first: bool = False  # the command ended before the signal was sent

    @property
    def manifests(self) -> dict[Path, dict]:
        """Every manifest under the output directory, by path."""
        return {p: orjson.loads(p.read_bytes()) for p in sorted(self.out.rglob("manifest.json"))}

    def top_manifest(self) -> tuple[Path, dict]:
        """The command's own manifest (the shallowest one)."""
        path = min(self.out.rglob("manifest.json"), key=lambda p: len(p.parts))
        return path.parent, orjson.loads(path.read_bytes())


EXIT_GRACE = 3.0  # s: a worker that got the signal may still be on its way out


def _lingering(sid: int) -> list[int]:
    """The session's processes still alive EXIT_GRACE s after the command ended: a worker
    finishing its exit under load is no orphan; one that stays is (issue 11 saw them
    alive for minutes)."""
    deadline = time.monotonic() + EXIT_GRACE
    while (members := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


def session_members(sid: int) -> list[int]:
    """Live (not zombie) processes of session `sid`, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == sid and state != "Z":
            members.append(int(entry))
    return members


def working(out: Path) -> bool:
    """The default moment to aim from: the command wrote its first manifest."""
    return any(out.rglob("manifest.json"))


def _wait(
    ready: Callable[[Path], bool], out: Path, proc: subprocess.Popen[bytes], timeout: float
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready(out):
            return True
        time.sleep(0.01)
    msg = f"{out}: not ready after {timeout}s"
    raise AssertionError(msg)


def interrupt(
    argv: list[str],
    out: Path,
    signum: int,
    delay: float,
    *,
    ready: Callable[[Path], bool] | None = None,
    timeout: float = 120.0,
) -> Outcome:
    """Run `intelsim ARGV --out OUT`; send `signum` `delay` s after `ready(OUT)` holds.

    By default `ready` is: the command wrote its first manifest (it started working).
    """
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("INTELSIM_DEBUG", None)
    command = [sys.executable, "-m", "sim", *argv, "--out", str(out)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=ROOT,
        env=env,
    )
    at_signal: list[int] = []
    started = _wait(ready or working, out, proc, timeout)
    finished_first = True
    if started:
        time.sleep(delay)
        at_signal = session_members(proc.pid)
        if proc.poll() is None:
            finished_first = False
            if signum == signal.SIGINT:
                os.killpg(proc.pid, signum)  # a terminal's Ctrl-C: the whole foreground group
            else:
                os.kill(proc.pid, signum)  # `kill PID`
    stdout, stderr = proc.communicate(timeout=timeout)
    survivors = _lingering(proc.pid)
    return Outcome(
        argv,
        signum,
        proc.returncode,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
        out,
        at_signal,
        survivors,
        finished_first,
    )


def check_stopped(outcome: Outcome) -> None:
    """What every interrupted command owes: exit 128+N, one plain line, no process left."""
    assert not outcome.survivors, f"processes left behind: {outcome.survivors}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    if outcome.finished_first:
        assert outcome.code == 0, outcome.stderr
        return
    assert outcome.code == 128 + outcome.signum, (outcome.code, outcome.stderr)
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    said = [line for line in lines if INTERRUPTED_LINE.match(line)]
    assert len(said) == 1, outcome.stderr
    assert said[0].startswith(f"interrupted by {signal.Signals(outcome.signum).name}")
    assert lines[-1] == said[0], f"the last line should say it was interrupted: {lines[-1]!r}"
    assert not [line for line in lines if "error" in line.lower()], outcome.stderr
    for path, manifest in outcome.manifests.items():
        assert manifest["status"] in ("interrupted", "complete"), (path, manifest["status"])


def check_log(run_dir: Path, manifest: dict) -> int:
    """The log holds whole lines only, the chain holds, and the manifest counts them all."""
    path = run_dir / "events.jsonl"
    data = path.read_bytes()
    if not data:  # the signal came before the run's first event: its manifest must say so
        assert manifest["status"] == "interrupted" and not manifest.get("events"), manifest
        return 0
    assert data.endswith(b"\n"), "a partial last line"
    verdict = verify_log(path)
    assert not verdict.truncated, verdict.problems
    # whole and chained to its last line: at most, the next seq is missing (a clean cut)
    assert verdict.first_bad_seq in (None, verdict.count), verdict.problems
    assert all("the run did not finish" in p for p in verdict.problems), verdict.problems
    assert verdict.count == manifest["events"] == data.count(b"\n")
    if verdict.count:
        assert verdict.final_hash == manifest["final_hash"]
    if manifest["status"] == "complete":
        assert verdict.ended
    return verdict.count
