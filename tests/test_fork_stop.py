"""A stop signal that arrives while a reading command forks its child is not lost.

CPython runs a signal's handler wherever the main thread next checks, and an exception
raised in one of ``os.fork``'s after-fork hooks is printed and ignored: a Ctrl-C there
was swallowed and the command ran on to exit 0 (the timeline's child, once in a few
dozen stops under load). The stop is sent here from such a hook, deterministically.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

SCRIPT = """
import os, signal, sys, time
from sim.interrupts import Interrupted, install
from sim.store.forked import fork

install()
sent = []

def stop_now() -> None:  # in the parent, right after the fork, once
    if not sent:
        sent.append(1)
        os.kill(os.getpid(), int(sys.argv[1]))

os.register_at_fork(after_in_parent=stop_now)
try:
    child = fork(time.sleep, 10)
except Interrupted as stop:
    said = f"stopped {stop.signum}"
else:
    said = "ran on" if child is not None else "no fork"
try:
    os.waitpid(-1, os.WNOHANG)
    left = "a child left"
except ChildProcessError:
    left = "no child left"
print(said, "|", left)
"""


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_during_the_fork_stops_the_command_and_its_child(stop: signal.Signals) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(stop))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == f"stopped {int(stop)} | no child left", done.stderr
    assert "Exception ignored" not in done.stderr
