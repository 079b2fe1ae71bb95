"""The errors intelsim raises on purpose; the CLI turns each into one clear line."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


class IntelsimError(Exception):
    """Base of every error intelsim raises for bad input or a bad log."""


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario file: where it is and what was expected."""

    file: str
    path: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        tag = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {tag}{self.message}"


class ScenarioError(IntelsimError):
    """A scenario that cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LogError(IntelsimError):
    """A run directory or event log that cannot be read."""


def suggest(word: str, choices: Sequence[str], *, most: int = 1) -> str:
    """ "; did you mean `x`?" naming the closest of `choices` (up to `most`), or "".

    A choice equal to `word` but for case wins outright; otherwise difflib's closest
    matches. Every "did you mean" intelsim prints comes from here, so they read alike.
    """
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f"; did you mean `{lowered[word.lower()]}`?"
    close = difflib.get_close_matches(word, list(choices), n=most, cutoff=0.6)
    return f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
