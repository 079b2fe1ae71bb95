"""Print a timeline to the terminal: coloured by kind of fact, ground truth dimmed."""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from typing import IO

from rich.console import Console
from rich.text import Text

from sim.analysis.timeline import Line, timeline, timeline_text
from sim.analysis.timeline_apart import text_apart
from sim.events import Event
from sim.scenario.models import Scenario
from sim.store.reading import LogReading

STYLES: dict[str, str] = {
    "truth": "dim",
    "report": "cyan",
    "analysis": "blue",
    "assessment": "bold green",
    "message": "default",
    "drop": "red",
    "link": "yellow",
    "intervention": "magenta",
    "run": "bold",
}


def styled(line: Line) -> Text:
    """One timeline line as rich text: the time dimmed, the sentence in its kind's style."""
    text = Text(f"{line.when}  ", style="dim")
    style = "dim" if line.ground_truth else STYLES.get(line.kind, "default")
    sentence, marker, rest = line.text.partition(" — ")
    text.append(sentence, style=style)
    if marker:
        # a sighting's ground-truth annotation is dimmed like other ground truth
        truth = "[ground truth]" in rest
        text.append(marker + rest, style="dim" if truth or line.ground_truth else style)
    return text


def show_timeline(
    scenario: Scenario,
    events: Iterable[Event] | LogReading,
    console: Console,
    *,
    as_node: str | None = None,
    until: float | None = None,
    plain: bool = False,
) -> int:
    """Tell a run's events on `console` as they come (streaming); how many lines were told.

    Colours only on a terminal; to a file or a pipe the lines are plain text, written
    a block at a time (rich's per-line rendering would cost more than the rest), and
    the events of a reading of a big log told on two cores
    (:mod:`sim.analysis.timeline_apart`).
    """
    if plain or not console.is_terminal:
        if isinstance(events, LogReading):
            blocks = text_apart(scenario, events, as_node=as_node, until=until)
        else:
            blocks = timeline_text(scenario, events, as_node=as_node, until=until)
        try:
            return _write_plain(blocks, console.file)
        finally:
            blocks.close()  # a reader that left (`| head`) leaves no child behind
    if isinstance(events, LogReading):
        events = events.events(until_t=until)
    return _print_styled(timeline(scenario, events, as_node=as_node, until=until), console)


def _print_styled(lines: Iterable[Line], console: Console) -> int:
    """Print lines in colour as they come (streaming) and return how many were printed."""
    count = 0
    for line in lines:
        console.print(styled(line), soft_wrap=True)
        count += 1
    return count


def _write_plain(blocks: Iterable[str | bytes], out: IO[str]) -> int:
    """Write text as it comes (lines, or blocks of lines; bytes are UTF-8 text), flushed:
    how many lines."""
    count = 0
    raw = _utf8_buffer(out)
    for block in blocks:
        if isinstance(block, bytes):
            if raw is None:
                out.write(block.decode())
            else:  # the same bytes as writing the text would make, without making it
                out.flush()
                raw.write(block)
                raw.flush()
            count += block.count(b"\n")
            continue
        out.write(block)
        out.flush()  # a reader downstream sees the story as it is told
        count += block.count("\n")
    return count


def _utf8_buffer(out: IO[str]) -> IO[bytes] | None:
    """The binary stream under `out`, if `out` writes text to it as UTF-8 unchanged."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is None or not isinstance(encoding, str):
        return None
    try:
        utf8 = codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return None
    return buffer if utf8 and os.linesep == "\n" else None  # (no newline to translate)
