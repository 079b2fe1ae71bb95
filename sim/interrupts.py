"""Stopping on request: SIGINT (Ctrl-C) and SIGTERM become one exception, handled by the parent.

The command line installs one handler for both signals (`install`). It raises
:class:`Interrupted` in the main thread, so every layer can keep what it finished
(`except Interrupted`), add what it kept to the message (`kept`), and re-raise; the
command line prints one line and exits 128 + the signal's number (130, 143).

Steps that must not be cut half way (handing a batch of events to the log sidecar,
appending a row to a sweep's journal, writing the final tables and the manifest) run
inside `deferred()`: a signal arriving there is held and raised when the step ends.

Child processes never receive the terminal's Ctrl-C: the log sidecar and pool workers
run in process groups of their own, and they start with both signals blocked
(`blocked()` around starting them), so not even a signal landing while a child starts
can reach it. The parent decides: it drains, flushes and reaps them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The user (SIGINT) or the system (SIGTERM) asked the program to stop."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum
        self.detail = ""  # what was kept, and how to go on: filled in by the layer that knows

    @property
    def name(self) -> str:
        """The signal's name, e.g. SIGINT."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """128 + the signal's number: what a shell expects of a command stopped by it."""
        return 128 + self.signum

    def kept(self, detail: str) -> Interrupted:
        """Say what was kept (and how to resume); the first layer to say it wins."""
        if not self.detail:
            self.detail = detail
        return self


def as_interrupted(exc: KeyboardInterrupt) -> Interrupted:
    """A KeyboardInterrupt raised before `install` (or by Python itself) as an Interrupted."""
    return exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)


class _Guard:
    """The handler's state: who installed it, how deep in deferred steps, what is held;
    in a pool worker, whether it is running a task."""

    owner = 0
    depth = 0
    held: int | None = None
    worker = False
    busy = False


def _handler(signum: int, _frame: FrameType | None) -> None:
    if os.getpid() != _Guard.owner:
        return  # a forked child inherited this handler; only the parent decides
    if _Guard.worker and not _Guard.busy:
        os._exit(128 + signum)  # an idle worker has nothing to close
    if _Guard.depth:
        _Guard.held = _Guard.held or signum
        return
    raise Interrupted(signum)


def install() -> None:
    """Turn SIGINT and SIGTERM into Interrupted in this (the main) process."""
    _Guard.owner = os.getpid()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _handler)


class Held:
    """A stop signal held by `deferred(hold=True)`, for the caller to raise where it fits."""

    signal: int | None = None

    def check(self) -> None:
        """Raise the held signal (once), if one arrived."""
        held, self.signal = self.signal, None
        if held is not None:
            raise Interrupted(held)


@contextmanager
def deferred(*, hold: bool = False) -> Iterator[Held]:
    """Run a step that must not be cut; a stop signal arriving meanwhile is raised after it.

    With `hold`, it is not raised but kept in the yielded `Held`, for the caller to
    raise (`check()`) where it can record the interruption. When the step itself
    fails, its error goes on (the signal is dropped: the program is stopping anyway).
    """
    held = Held()
    _Guard.depth += 1
    failed = True
    try:
        yield held
        failed = False
    finally:
        _Guard.depth -= 1
        if _Guard.depth == 0:  # only the outermost deferred step raises what was held
            held.signal, _Guard.held = _Guard.held, None
        if not hold and not failed:
            held.check()


class Stop:
    """What `caught()` caught: the Interrupted that stopped the block, or None."""

    signal: Interrupted | None = None


@contextmanager
def caught() -> Iterator[Stop]:
    """Catch a stop signal raised in the block, so the caller can keep what it finished.

    Put it first in a `with` of several managers: the others (an executor, a progress
    bar) then see the interruption and clean up before it is caught here.
    """
    stop = Stop()
    try:
        yield stop
    except KeyboardInterrupt as exc:
        stop.signal = as_interrupted(exc)


@contextmanager
def blocked() -> Iterator[None]:
    """Block the stop signals in this thread while starting children: they inherit the mask.

    A child started meanwhile begins with SIGINT and SIGTERM blocked and unblocks them
    once it has chosen what to do with them (`detach_child`). A signal sent to
    this process meanwhile is not lost: it is delivered when the block ends, or handled
    by another thread's delivery.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def detach_child(*, stop_on_term: bool) -> None:
    """In a child process: leave the terminal's process group and ignore SIGINT.

    A pool worker (`stop_on_term`) stops on SIGTERM, which is how the parent stops a
    running task: Interrupted is raised in the task, which closes what it opened (a
    replication's log) and ends the worker (`sim.experiments.executors`). Linux also
    sends it SIGTERM when the parent dies, so it never outlives a parent killed with
    SIGKILL. The log sidecar ignores SIGTERM too: it stops when its input ends, after
    writing every whole line it received, whoever stopped its parent.
    """
    with suppress(OSError):  # already a group leader (started with process_group=0)
        os.setpgid(0, 0)
    _Guard.owner, _Guard.depth, _Guard.held = os.getpid(), 0, None  # a fork copies them
    _Guard.worker, _Guard.busy = stop_on_term, False
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _handler if stop_on_term else signal.SIG_IGN)
    if stop_on_term:
        _die_with_parent()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


@contextmanager
def worker_task() -> Iterator[None]:
    """In a pool worker, a task: a SIGTERM raises Interrupted inside it (so it can close
    what it opened); between tasks, a SIGTERM ends the worker at once."""
    _Guard.busy = True
    try:
        yield
    finally:
        _Guard.busy = False


def _die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGTERM) where Linux offers it; elsewhere nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextmanager
def finished_in(directory: object, what: str) -> Iterator[None]:
    """Once the work is done (writing its last files, rendering its results), a stop
    signal says the results are complete in `directory` instead of cutting them short."""
    try:
        yield
    except KeyboardInterrupt as exc:
        done = f"{what} had finished: its results are complete in {directory}"
        raise as_interrupted(exc).kept(done) from None
