"""Provenance for the page: what ``explain`` prints for every assessment, stored compactly.

``explain`` tells an assessment's reports and their every step; the steps are timeline
lines ("when  text", indented), and one report's block recurs in every assessment that
weighs it. So the page's provenance is three tables and, per item, indices into them:

- ``lines``: each distinct line once, either its text or, for a timeline line, a
  reference to it (the page has the timeline): ``-1 - ((line * 8 + depth) * 2 + truth)``,
  the line told at ``depth`` indents, with its ground truth (truth 1) or as a node
  tells it (truth 0);
- an item's lines as runs of consecutive table indices ``[start, count, ...]``: a block
  met before is one run;
- ``nodes`` and ``edges`` of the graphs, each distinct box and arrow once.

Every item is decoded again here, exactly as the page decodes it, and compared with
what ``explain`` said: a line the page would tell differently fails the build.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sim.analysis.provenance import INDENT, Explanation
from sim.report.html.states import ReportError
from sim.report.html.story import Story

MAX_DEPTH = 7  # indents a reference can carry (explain goes 4 deep)


class _Interned:
    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[Hashable, int] = {}

    def add(self, key: Hashable, value: Any) -> int:
        ix = self._index.get(key)
        if ix is None:
            ix = self._index[key] = len(self.values)
            self.values.append(value)
        return ix


def _runs(indices: list[int]) -> list[int]:
    """``[start, count, ...]``: runs of consecutive indices."""
    out: list[int] = []
    for ix in indices:
        if out and out[-2] + out[-1] == ix:
            out[-1] += 1
        else:
            out += [ix, 1]
    return out


def unruns(runs: list[int]) -> list[int]:
    """The indices that :func:`_runs` encoded."""
    return [ix for k in range(0, len(runs), 2) for ix in range(runs[k], runs[k] + runs[k + 1])]


def reference(line: str, story: Story, truth: bool) -> int | None:
    """The code of `line` if it is a timeline line (indented), else None."""
    text = line.lstrip(" ")
    depth, rest = divmod(len(line) - len(text), len(INDENT))
    if rest or depth > MAX_DEPTH:
        return None
    told = story.said[truth].get(text)
    if told is None:
        return None
    return -1 - ((told * (MAX_DEPTH + 1) + depth) * 2 + int(truth))


def told(entry: str | int, story: Story) -> str:
    """A table entry as the page shows it."""
    if isinstance(entry, str):
        return entry
    code = -1 - entry
    truth, code = code % 2, code // 2
    line, depth = divmod(code, MAX_DEPTH + 1)
    return INDENT * depth + story.told(line, bool(truth))


class ProvenanceTables:
    """Collects explanations (one view's items at a time) into the page's tables."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.lines = _Interned()
        self.nodes = _Interned()
        self.edges = _Interned()

    def add(self, explanation: Explanation, truth: bool) -> list[list[int]]:
        """One item: ``[line runs, node indices, edge indices]`` (checked against `explanation`)."""
        codes: list[int] = []
        for line in explanation.lines:
            ref = reference(line, self.story, truth)
            entry: str | int = line if ref is None else ref
            codes.append(self.lines.add(entry, entry))
        graph = explanation.graph
        nodes = [self.nodes.add(n, [n.id, n.kind, n.label, n.layer]) for n in graph.nodes]
        edges = [self.edges.add(e, [e.source, e.target, e.label, e.count]) for e in graph.edges]
        item = [_runs(codes), nodes, edges]
        if self.lines_of(item) != explanation.lines:
            msg = f"internal: the report would tell {explanation.lines[0][:40]!r} differently"
            raise ReportError(msg)
        return item

    def lines_of(self, item: list[list[int]]) -> list[str]:
        """An item's lines, decoded as the page decodes them."""
        return [told(self.lines.values[ix], self.story) for ix in unruns(item[0])]

    def tables(self) -> dict[str, Any]:
        return {"lines": self.lines.values, "nodes": self.nodes.values, "edges": self.edges.values}
