"""The sidecar writer writes exactly the lines the in-process writer writes, and survives a kill."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import LogError
from sim.events import MunitionUsed, RunEnded, RunStarted
from sim.store import EventLogWriter, iter_lines, read_events, verify_log
from sim.store import piped as piped_module
from sim.store.piped import PipedEventLogWriter


def _events(n: int) -> list:
    out: list = [RunStarted(t=0.0, scenario="s", seed=1, start="2024-07-11T00:00:00Z", horizon=9.0)]
    out += [
        MunitionUsed(t=i / 10, usage=f"U{i}", munition="KN-23", sector="Kharkiv") for i in range(n)
    ]
    out.append(RunEnded(t=n / 10, reason="horizon"))
    return out


@pytest.mark.parametrize("forks", [True, False], ids=["forked", "spawned"])
def test_sidecar_lines_are_byte_identical_to_the_in_process_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: bool
) -> None:
    """Either sidecar (a fork; `python -m sim.store.sidecar` where no fork is safe), chosen
    here, whatever threads other tests left in this process."""
    monkeypatch.setattr(piped_module, "_forks", lambda: forks)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    with EventLogWriter(a) as direct:
        for event in _events(5000):
            direct.append(event)
    with PipedEventLogWriter(b, flush_every=333) as piped:
        for event in _events(5000):
            piped.append(event)
    assert a.read_bytes() == b.read_bytes()
    assert piped.last_hash == direct.last_hash
    assert piped.count == direct.count == 5002
    assert verify_log(b).ok


def test_sidecar_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("x\n")
    with pytest.raises(LogError, match="never overwritten"):
        PipedEventLogWriter(path)


SCRIPT = """
import sys, time
from sim.events import MunitionUsed, RunStarted
from sim.store import piped as piped_module
from sim.store.piped import PipedEventLogWriter
w = PipedEventLogWriter(__import__("pathlib").Path(sys.argv[1]), flush_every=100)
w.append(RunStarted(t=0.0, scenario="s", seed=1, start="2024-07-11T00:00:00Z", horizon=1e9))
i = 0
while True:
    i += 1
    w.append(MunitionUsed(t=float(i), usage=f"U{i}", munition="KN-23", sector="Kharkiv"))
    if i == 5000:
        print("ready", flush=True)
"""


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: works for any process, not only ours)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # the command name is in parentheses and may hold spaces: fields follow the last ")"
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def test_a_killed_run_leaves_whole_lines_that_read_back(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    (sidecar,) = _children(proc.pid)
    # a handle on the sidecar that outlives its parent: readable once the sidecar exits
    exited = os.pidfd_open(sidecar)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # the sidecar sees end of input, finishes the whole lines it received and exits
        ready, _, _ = select.select([exited], [], [], 60)
        assert ready, "the sidecar did not finish within 60 s of its run being killed"
    finally:
        os.close(exited)
    lines = list(iter_lines(path))
    assert all(raw.endswith(b"\n") for _, raw in lines)
    seqs = [event.seq for event in read_events(path, check_hash=True)]
    assert seqs == list(range(len(seqs)))
    assert len(seqs) >= 5000
    verdict = verify_log(path)
    assert not verdict.ok and not verdict.ended and not verdict.truncated
