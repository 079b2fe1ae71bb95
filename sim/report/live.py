"""`intelsim run --live`: tell the story while the run goes, optionally paced in wall time."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console

from sim.analysis.timeline import Narrator
from sim.events import Event
from sim.report.timeline_view import styled
from sim.scenario.models import Scenario


def live_listener(
    scenario: Scenario,
    console: Console,
    speed: float = 0.0,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[Event], None]:
    """A recorder listener printing each event as a timeline line.

    With `speed` > 0, simulated hours advance at `speed` hours per wall second, so a
    class can watch a 30-day scenario unfold in a few minutes; 0 prints as fast as it runs.
    """
    narrator = Narrator(scenario)
    began = clock()

    def listen(event: Event) -> None:
        line = narrator.narrate(event)
        if line is None:
            return
        if speed > 0:
            due = began + event.t / speed
            wait = due - clock()
            if wait > 0:
                sleep(wait)
        console.print(styled(line), soft_wrap=True)

    return listen
