"""The run's story for the page: every timeline line, who could see it, and its ground truth.

Two narrators tell the same events, as ``intelsim timeline`` tells them (with the
ground truth) and as ``intelsim timeline --as NODE`` does (without it). A line's text
is stored once, as a node tells it, plus what the ground-truth view appends (or the
whole ground-truth text where it is not a plain suffix). Who could see an event is
:func:`sim.analysis.perspective.visible_to`, asked per node; the distinct sets of
viewers are interned, so a line carries one small number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sim.analysis.perspective import visible_to
from sim.analysis.provenance import Told
from sim.analysis.timeline import Line, Narrator
from sim.events import Event
from sim.report.html.texts import encode_texts
from sim.scenario.models import Scenario


class Story:
    """Columns of timeline lines, filled one event at a time."""

    def __init__(self, scenario: Scenario) -> None:
        self.nodes = list(scenario.nodes)
        self.truth_narrator = Narrator(scenario, reveal_truth=True)
        self.node_narrator = Narrator(scenario, reveal_truth=False)
        self.kinds: list[str] = []
        self._kind_ix: dict[str, int] = {}
        self.viewer_sets: list[list[int]] = []
        self._viewers_ix: dict[tuple[int, ...], int] = {}
        self.event: list[int] = []  # event index of each line
        self.kind: list[int] = []
        self.truth: list[int] = []  # 1 for a ground-truth fact (shown only in that view)
        self.text: list[str] = []  # as a node tells it
        self.extra: list[str | list[str]] = []  # "" / suffix / [whole ground-truth text]
        self.viewers: list[int] = []
        self.minute: list[int] = []  # the UTC minute the CLI prints, from the start's minute
        self.start = scenario.start
        self.start_minute = epoch_minute(scenario.start)
        # each told line as the CLI prints it ("when  text") -> its index: explain's
        # lines that are timeline lines are stored as references to them
        self.said: dict[bool, dict[str, int]] = {True: {}, False: {}}
        self._minutes: dict[int, str] = {}  # minute -> "%Y-%m-%d %H:%M"
        self.said_lines: list[tuple[Line | None, Line | None]] = []  # per event: (truth, plain)

    def _intern_kind(self, kind: str) -> int:
        ix = self._kind_ix.get(kind)
        if ix is None:
            ix = self._kind_ix[kind] = len(self.kinds)
            self.kinds.append(kind)
        return ix

    def _intern_viewers(self, event: Event) -> int:
        key = tuple(i for i, node in enumerate(self.nodes) if visible_to(node, event))
        ix = self._viewers_ix.get(key)
        if ix is None:
            ix = self._viewers_ix[key] = len(self.viewer_sets)
            self.viewer_sets.append(list(key))
        return ix

    def add(self, index: int, event: Event) -> int | None:
        """Tell event number `index` (both narrators hear every event, in order).

        Returns the interned set of nodes that saw it, for a told event (None otherwise).
        """
        full = self.truth_narrator.narrate(event)
        plain = self.node_narrator.narrate(event)
        self.said_lines.append((full, plain))
        if full is None:
            return None
        text = plain.text if plain is not None else full.text
        line = len(self.text)
        self.said[True].setdefault(str(full), line)
        if plain is not None:
            self.said[False].setdefault(str(plain), line)
        self.event.append(index)
        self.kind.append(self._intern_kind(full.kind))
        self.truth.append(int(full.ground_truth))
        self.text.append(text)
        if full.text == text:
            self.extra.append("")
        elif full.text.startswith(text):
            self.extra.append(full.text[len(text) :])
        else:
            self.extra.append([full.text])
        viewers = self._intern_viewers(event)
        self.viewers.append(viewers)
        when = self.start + timedelta(hours=event.t)  # exactly as format_when computes it
        self.minute.append(epoch_minute(when) - self.start_minute)
        return viewers

    def narrated(self) -> Told:
        """The log as this story's narrators told it (for provenance, not to tell it again)."""
        return Told(self.truth_narrator, self.node_narrator, self.said_lines)

    def told(self, line: int, truth: bool) -> str:
        """Line number `line` as the CLI prints it, built as the page builds it."""
        text = self.text[line]
        if truth:
            extra = self.extra[line]
            text = text + extra if isinstance(extra, str) else extra[0]
        minute = self.start_minute + self.minute[line]
        when = self._minutes.get(minute)
        if when is None:
            when = datetime.fromtimestamp(minute * 60, tz=UTC).strftime("%Y-%m-%d %H:%M")
            self._minutes[minute] = when
        return f"{when}  {text}"

    def columns(self) -> dict[str, Any]:
        """The page's ``lines`` table."""
        return {
            "kinds": self.kinds,
            "viewer_sets": self.viewer_sets,
            "event": delta_encode(self.event),
            "kind": self.kind,
            "truth": self.truth,
            "text": encode_texts(self.text),
            "extra": self.extra,
            "viewers": self.viewers,
            "minute": delta_encode(self.minute),
        }


def delta_encode(values: list[int]) -> list[int]:
    """Differences of consecutive values (the first from 0): small numbers compress well."""
    out, previous = [], 0
    for value in values:
        out.append(value - previous)
        previous = value
    return out


def epoch_minute(when: datetime) -> int:
    """The UTC minute of `when`, counted from 1970 (what ``%Y-%m-%d %H:%M`` shows)."""
    return int(when.timestamp() // 60)
