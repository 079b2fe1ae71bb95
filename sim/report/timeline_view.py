"""Print a timeline to the terminal: coloured by kind of fact, ground truth dimmed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from rich.console import Console
from rich.text import Text

from sim.analysis.timeline import Line

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


def print_timeline(lines: Iterable[Line], console: Console, *, plain: bool = False) -> int:
    """Print lines as they come (streaming) and return how many were printed.

    Colours only on a terminal; to a file or a pipe the lines are plain text, written
    a block at a time (rich's per-line rendering would cost more than the rest).
    """
    if plain or not console.is_terminal:
        return _write_plain(lines, console.file)
    count = 0
    for line in lines:
        console.print(styled(line), soft_wrap=True)
        count += 1
    return count


def _write_plain(lines: Iterable[Line], out: IO[str], block: int = 2048) -> int:
    count = 0
    pending: list[str] = []
    for line in lines:
        pending.append(f"{line.when}  {line.text}\n")
        if len(pending) >= block:
            out.write("".join(pending))
            out.flush()
            count += len(pending)
            pending.clear()
    out.write("".join(pending))
    return count + len(pending)
