"""What an experiment tells whoever watches it while it works: warnings, notes, progress.

An experiment (replications, a comparison, a sweep) runs for a while and returns its
result at the end; meanwhile it has things to say. It says them to a `Watch`, which the
command line implements with a console and a progress bar (`sim.report.whatif_view`)
and tests leave silent. The experiment never renders anything itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Tally(Protocol):
    """One task's progress: how many are done, out of how many."""

    def advance(self, done: int) -> None:
        """`done` more items finished."""

    def retotal(self, total: int) -> None:
        """The task now aims at `total` items (a precision target added some)."""


class Watch(Protocol):
    """Whoever hears an experiment while it works."""

    def warn(self, message: str) -> None:
        """A warning about the input (the run goes on)."""

    def note(self, message: str) -> None:
        """A line saying what is about to happen."""

    def progress(
        self, description: str, total: int, done: int = 0
    ) -> AbstractContextManager[Tally]:
        """A task of `total` items, `done` of them already, followed while the block runs."""


class _Count:
    """A tally that only counts."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def advance(self, done: int) -> None:
        self.done += done

    def retotal(self, total: int) -> None:
        self.total = total


class Silent:
    """A watch that keeps everything to itself (tests, library use); warnings are kept."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def progress(
        self, description: str, total: int, done: int = 0
    ) -> AbstractContextManager[Tally]:
        return _counting(total, done)


@contextmanager
def _counting(total: int, done: int) -> Iterator[Tally]:
    tally = _Count()
    tally.total, tally.done = total, done
    yield tally
