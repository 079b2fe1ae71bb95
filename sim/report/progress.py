"""Progress of one long run: simulated time, events so far, events per second, time left.

Shown only once a run has lasted a few seconds, so short runs print nothing extra. It
hears the log writer's batches (every few thousand events, never per event), so it
costs nothing measurable. On a terminal it is one line redrawn in place and erased at
the end; elsewhere (a pipe, a CI log) a plain line every PLAIN_EVERY seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

AFTER = 2.0  # seconds of run before the first progress line
REDRAW_EVERY = 0.5  # seconds between redraws on a terminal
PLAIN_EVERY = 15.0  # seconds between plain lines elsewhere


class RunProgress:
    """The log writer's flush hook (`on_flush`), drawing progress on `console`."""

    def __init__(
        self,
        console: Console,
        horizon: float,
        expected_events: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.horizon = horizon
        self.expected = expected_events
        self.clock = clock
        self.began = clock()
        self.shown_at: float | None = None
        self.lines = 0
        self.every = REDRAW_EVERY if console.is_terminal else PLAIN_EVERY

    def __call__(self, count: int, last_body: bytes) -> None:
        now = self.clock()
        elapsed = now - self.began
        if elapsed < AFTER or (self.shown_at is not None and now - self.shown_at < self.every):
            return
        self.shown_at = now
        t = float(orjson.loads(last_body).get("t", 0.0)) if last_body else 0.0
        line = self.line(t, count, elapsed)
        self.lines += 1
        if self.console.is_terminal:
            self.console.file.write("\r\x1b[2K" + line)
            self.console.file.flush()
        else:
            self.console.print(line, highlight=False, soft_wrap=True)

    def line(self, t: float, count: int, elapsed: float) -> str:
        """One progress line."""
        rate = count / elapsed if elapsed > 0 else 0.0
        share = min(t / self.horizon, 1.0) if self.horizon > 0 else 1.0
        left = elapsed * (1 - share) / share if share > 0 else None
        eta = f", about {_duration(left)} left" if left is not None else ""
        return (
            f"day {t / 24:,.1f} of {self.horizon / 24:,.1f} ({share:.0%}): {count:,} events "
            f"of ~{self.expected:,.0f} expected, {rate:,.0f} events/s{eta}"
        )

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.lines and self.console.is_terminal:
            self.console.file.write("\r\x1b[2K")
            self.console.file.flush()


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class RateColumn(ProgressColumn):
    """Replications per second so far."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f} rep/s", style="cyan")


def progress_bar(console: Console) -> Progress:
    """A progress bar on `console`: done of total, rate, elapsed and ETA, redrawn by
    whoever advances it.

    No refresh thread (``auto_refresh=False``): a replication run in this process
    (``--workers 1``) forks its log's sidecar only while this process runs one thread,
    and with a thread it would spawn a fresh interpreter for each (~0.3 s). The bar is
    redrawn as replications finish (:class:`sim.report.watching.ConsoleWatch`).
    """
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        auto_refresh=False,
    )
