"""Print a timeline to the terminal: coloured by kind of fact, ground truth dimmed."""

from __future__ import annotations

from collections.abc import Iterable

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
    """Print lines as they come (streaming) and return how many were printed."""
    count = 0
    for line in lines:
        if plain:
            console.file.write(f"{line}\n")
        else:
            console.print(styled(line), soft_wrap=True)
        count += 1
    return count
