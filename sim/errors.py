"""The errors intelsim raises on purpose; the CLI turns each into one clear line."""

from __future__ import annotations

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
