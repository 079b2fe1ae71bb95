"""A function run in a forked child process, its result read back later (or None).

`verify` reads a log once for the fold and, at the same time, on the machine's other
core, checks its hash chain and judges its deliveries. A fork shares the modules this
process has already imported (about a second of start-up a fresh interpreter would
pay again) and the scenario it has loaded. The child sends its result back pickled
through a pipe (it is this program's own child: nothing foreign is unpickled) and
leaves with ``os._exit``, running no cleanup of the parent's.

Where a fork is unsafe or impossible (no ``os.fork``, other threads running whose locks
the child would inherit held) :func:`fork` returns None and the caller does the work
itself; a child that fails gives None from :meth:`Forked.result`, and the same.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.interrupts import STOP_SIGNALS


class Forked:
    """A child process computing one value; :meth:`result` waits for it."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.done = False

    def result(self) -> Any:
        """The child's value, or None if it failed (waits for it; once)."""
        if self.done:
            return None
        chunks = []
        with open(self.fd, "rb", closefd=True) as pipe:
            while chunk := pipe.read(1 << 16):
                chunks.append(chunk)
        self.done = True
        _, status = os.waitpid(self.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None

    def close(self) -> None:
        """Stop the child if its result was never asked for (the caller failed)."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self.fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


LOADAVG = Path("/proc/loadavg")
"""Linux's load figures; its fourth field counts the tasks running this moment (``3/120``)."""


def spare_core() -> bool:
    """Whether another core is idle now: fewer tasks are running this moment (this process
    among them) than this process may use cores. Where that moment cannot be read (no
    ``/proc``), as ``make -l`` asks: the last minute's load average, less the one this
    process adds, leaves a core idle.

    Work that a child would *repeat* (reading the log a second time, hearing what the
    parent tells) pays off only on a core nobody else wants; on a busy machine it only
    adds to what everyone waits for. The moment is asked before the minute's average,
    which still counts work that ended a second ago (another command just run).
    """
    cores = _cores()
    if cores < 2:
        return False
    running = running_now(LOADAVG)
    if running is not None:
        return running < cores
    load = _load_average()
    return load is not None and load - 1 < cores - 1


def running_now(path: Path = LOADAVG) -> int | None:
    """How many tasks are running this moment (the reader among them), from `path` in
    the format of ``/proc/loadavg``; None where it cannot be read."""
    try:
        with open(path, "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    return running if running >= 0 else None


def _cores() -> int:
    """The cores this process may run on (0 where that cannot be asked)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return 0


def _load_average() -> float | None:
    """The last minute's load average, or None where there is none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def fork(work: Callable[..., Any], *args: Any) -> Forked | None:
    """Start ``work(*args)`` in a forked child; None where this process cannot fork safely.

    The stop signals are blocked across the fork: a handler run in ``os.fork``'s
    after-fork hooks has its exception ignored (CPython), so a Ctrl-C arriving then was
    lost and the command ran on to exit 0. Sent meanwhile, the stop is delivered once
    this process holds the child, and stops the child too.
    """
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    read, write = os.pipe()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        return None
    if pid == 0:  # the child: compute, send, leave without the parent's cleanup
        code = 1
        try:
            os.close(read)
            for stop in STOP_SIGNALS:  # the parent reports a stop
                signal.signal(stop, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
            data = pickle.dumps(work(*args), protocol=pickle.HIGHEST_PROTOCOL)
            with open(write, "wb", closefd=True) as pipe:
                pipe.write(data)
            code = 0
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(write)
    child = Forked(pid, read)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a stop sent meanwhile: now
    except BaseException:
        child.close()
        raise
    return child
