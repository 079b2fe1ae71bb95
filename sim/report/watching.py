"""The terminal's watch over a run or an experiment: warnings in yellow, notes, progress,
and for a run told live, the story as it happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from rich.console import Console
from rich.progress import Progress, TaskID

from sim.experiments.run import RunHooks
from sim.experiments.watch import Tally
from sim.report.live import live_listener
from sim.report.progress import RunProgress, progress_bar
from sim.scenario.models import Scenario


class _BarTally:
    """One task of a rich progress bar."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def advance(self, done: int) -> None:
        self.progress.update(self.task, advance=done, refresh=True)

    def retotal(self, total: int) -> None:
        self.progress.update(self.task, total=total, refresh=True)


class ConsoleWatch:
    """Warnings to `err`, notes to `out`, progress as a bar on `err` (done of total, rate,
    ETA), as a run's progress is."""

    def __init__(self, out: Console, err: Console) -> None:
        self.out = out
        self.err = err

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]{message}[/]", highlight=False, soft_wrap=True)

    def note(self, message: str) -> None:
        self.out.print(message, highlight=False)

    def progress(
        self, description: str, total: int, done: int = 0
    ) -> AbstractContextManager[Tally]:
        return _bar(self.err, description, total, done)


@contextmanager
def _bar(console: Console, description: str, total: int, done: int) -> Iterator[Tally]:
    progress = progress_bar(console)
    task = progress.add_task(description, total=total)
    if done:
        progress.update(task, completed=done)
    with progress:
        yield _BarTally(progress, task)


class RunConsoleWatch(ConsoleWatch):
    """A run's watch: warnings to `err`; told live on `out` (paced at `speed` simulated
    hours a second, 0: no pacing), or with progress on `err` once it lasts a while."""

    def __init__(
        self, out: Console, err: Console, *, live: bool = False, speed: float = 0.0
    ) -> None:
        super().__init__(out, err)
        self.live = live
        self.speed = speed

    def following(
        self, scenario: Scenario, expected_events: float
    ) -> AbstractContextManager[RunHooks]:
        return self._hooks(scenario, expected_events)

    @contextmanager
    def _hooks(self, scenario: Scenario, expected_events: float) -> Iterator[RunHooks]:
        with RunProgress(self.err, scenario.duration, expected_events) as progress:
            if self.live:
                yield RunHooks([live_listener(scenario, self.out, self.speed)])
            else:
                yield RunHooks(on_flush=progress)
