"""Provenance for the page: what ``explain`` prints for every assessment, stored compactly.

``explain`` tells an assessment's reports and their every step; the steps are timeline
lines ("when  text", indented), and one report's block recurs in every assessment that
weighs it. So the page's provenance is tables and, per item, indices into them:

- the distinct lines, each once, in order of first use: either the next of ``texts``
  (templates and numbers, :mod:`sim.report.html.texts`) or a timeline line (the page
  has the timeline), told at some depth of indent, with its ground truth or as a node
  tells it. ``how`` says which: 0 for a text, else ``1 + depth * 2 + truth``; ``line``
  holds each referenced timeline line as the difference from the one before;
- an item's lines as runs of consecutive line numbers, ``[start, count, ...]``, each
  start counted from the end of the run before (in the same list): a report's block
  met before is one run;
- ``nodes`` and ``edges`` of the graphs, each distinct box and arrow once.

``items`` lists the assessments as ground truth tells them, ``as`` per node as that
node does, in the order of the page's ``assessments``. The build decodes everything
with the page's rule and compares it with what ``explain`` said, so a line the page
would tell differently fails the build.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sim.analysis.provenance import INDENT, Explanation
from sim.report.html.states import ReportError
from sim.report.html.story import Story
from sim.report.html.texts import decode_texts, encode_texts

Entry = tuple[int, int, int]  # (-1, text, 0) or (timeline line, depth, truth)


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


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive indices: ``(start, count)``."""
    out: list[tuple[int, int]] = []
    start = count = 0
    for ix in indices:
        if count and start + count == ix:
            count += 1
            continue
        if count:
            out.append((start, count))
        start, count = ix, 1
    if count:
        out.append((start, count))
    return out


def _entry(line: str, story: Story, truth: bool, texts: _Interned) -> Entry:
    """A timeline line (indented) by reference; any other line as a text."""
    text = line.lstrip(" ")
    depth, rest = divmod(len(line) - len(text), len(INDENT))
    told = None if rest else story.said[truth].get(text)
    if told is None:
        return (-1, texts.add(line, line), 0)
    return (told, depth, int(truth))


class ProvenanceTables:
    """Collects explanations, view by view, into the page's tables."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.entries = _Interned()
        self.texts = _Interned()
        self.nodes = _Interned()
        self.edges = _Interned()

    def _item(self, explanation: Explanation, truth: bool) -> list[Any]:
        lines = [
            self.entries.add(entry, entry)
            for entry in (_entry(line, self.story, truth, self.texts) for line in explanation.lines)
        ]
        graph = explanation.graph
        nodes = [self.nodes.add(n, [n.id, n.kind, n.label, n.layer]) for n in graph.nodes]
        edges = [self.edges.add(e, [e.source, e.target, e.label, e.count]) for e in graph.edges]
        return [_runs(lines), nodes, edges]

    def encode(self, explained: Mapping[str | None, Mapping[str, Explanation]]) -> dict[str, Any]:
        """The page's provenance of every view's items (checked: see the module docstring)."""
        lists = {
            view: [self._item(e, view is None) for e in items.values()]
            for view, items in explained.items()
        }
        how, line, previous = [], [], 0
        for told, depth, truth in self.entries.values:
            how.append(0 if told < 0 else 1 + depth * 2 + truth)
            if told >= 0:
                line.append(told - previous)
                previous = told
        relative = {view: _relative(items) for view, items in lists.items()}
        encoded: dict[str, Any] = {
            "items": relative.pop(None, []),
            "as": relative,
            "how": how,
            "line": line,
            "texts": encode_texts(self.texts.values),
            "nodes": self.nodes.values,
            "edges": self.edges.values,
        }
        table = _table(encoded, self.story)
        for view, items in explained.items():
            said = [e.lines for e in items.values()]
            told = encoded["items"] if view is None else relative[view]
            if _items(table, told) != said:
                msg = f"internal: the report would tell the provenance as {view} differently"
                raise ReportError(msg)
        return encoded


def _relative(items: list[list[Any]]) -> list[list[Any]]:
    end, out = 0, []
    for runs, nodes, edges in items:
        flat = []
        for start, count in runs:
            flat += [start - end, count]
            end = start + count
        out.append([flat, nodes, edges])
    return out


def _table(encoded: dict[str, Any], story: Story) -> list[str]:
    texts = iter(decode_texts(encoded["texts"]))
    references = iter(encoded["line"])
    table, line = [], 0
    for how in encoded["how"]:
        if how == 0:
            table.append(next(texts))
            continue
        line += next(references)
        depth, truth = divmod(how - 1, 2)
        table.append(INDENT * depth + story.told(line, bool(truth)))
    return table


def _items(table: list[str], items: list[list[Any]]) -> list[list[str]]:
    out, end = [], 0
    for runs, _, _ in items:
        lines = []
        for k in range(0, len(runs), 2):
            start = end + runs[k]
            end = start + runs[k + 1]
            lines += table[start:end]
        out.append(lines)
    return out
