"""How soon other nodes benefit from a partner's material (the ROK's, by default).

The partner is ``metrics.partner`` (a nation, default KOR). Its *material* is what its
nodes produce for others: the assessments they issue and the findings of their
technical exploitation (a re-reading filed at a partner node). Node N (of another
nation) **benefits** from an item from the first time it holds it or rests on it:

- it receives the item itself (an assessment over a link, a finding in its queue), or
- it holds a version of an assessment, its own or received, whose counted lines rest on
  it (a line through the partner's assessment, or counting the finding).

Time to benefit is counted from the item's creation; an item N never benefits from by
the end is censored there (Kaplan–Meier), so a node that gets fewer items never looks
faster. Consent friction shows here: NATO's assessments resting on ROK material reach
Ukraine only once the ROK consents.
"""

from __future__ import annotations

from typing import Any

from sim import events as ev
from sim.analysis.survival import kaplan_meier
from sim.scenario.models import Scenario

DAY = 24.0
WITHIN_DAYS = (2, 7, 30)


class PartnerMaterial:
    """Incremental: feed assessments, findings and receipts in order, then ask per node."""

    def __init__(self, scenario: Scenario) -> None:
        self.partner = scenario.metrics.partner
        self.nation = {name: node.nation for name, node in scenario.nodes.items()}
        self.created: dict[str, float] = {}  # partner item -> when it was made
        # assessment -> version -> the partner items it rests on (itself excluded)
        self.rests: dict[str, list[frozenset[str]]] = {}
        self.benefit: dict[str, dict[str, float]] = {}  # node -> item -> first benefit

    def _ours(self, node: str) -> bool:
        return self.nation.get(node) == self.partner

    def published(self, e: ev.AssessmentFacts) -> None:
        """An assessment issued or updated: note what partner material it rests on."""
        if isinstance(e, ev.AssessmentIssued) and self._ours(e.node):
            self.created.setdefault(e.assessment, e.t)
        items: set[str] = set()
        for line in e.evidence:
            items.update(r for r in line.reports if r in self.created)
            items.update(a for a in line.via if a in self.created)
        items.discard(e.assessment)
        self.rests.setdefault(e.assessment, []).append(frozenset(items))
        self._benefit(e.node, items, e.t)

    def received(self, e: ev.AssessmentReceived) -> None:
        """A node received a version of an assessment."""
        versions = self.rests.get(e.assessment)
        items: set[str] = set()
        if versions is not None and 1 <= e.version <= len(versions):
            items.update(versions[e.version - 1])
        if e.assessment in self.created:
            items.add(e.assessment)
        self._benefit(e.node, items, e.t)

    def exploited(self, e: ev.ReportExploited) -> None:
        """A finding filed: partner material if the node that made it is the partner's."""
        if e.derived is not None and self._ours(e.node):
            self.created.setdefault(e.derived, e.t)

    def report_received(self, e: ev.ReportReceived) -> None:
        """A report entered a node's queue: a partner finding reaching it benefits it."""
        if e.report in self.created:
            self._benefit(e.node, (e.report,), e.t)

    def _benefit(self, node: str, items: Any, t: float) -> None:
        if not items or self._ours(node):
            return
        firsts = self.benefit.setdefault(node, {})
        for item in items:
            firsts.setdefault(item, t)

    def node_result(self, node: str, horizon: float) -> dict[str, Any]:
        """Kaplan–Meier time from a partner item's creation to `node` benefiting from it."""
        keys = [
            "partner_material_median_h",
            *(f"partner_material_within_{d}d" for d in WITHIN_DAYS),
        ]
        if self._ours(node) or not self.created:
            return dict.fromkeys(keys)
        firsts = self.benefit.get(node, {})
        import numpy as np  # here, not at import: every command's start-up would pay for it

        made = np.fromiter(self.created.values(), dtype=float)
        got = np.fromiter((firsts.get(i, np.nan) for i in self.created), dtype=float)
        observed = ~np.isnan(got)
        durations = np.where(observed, got, horizon) - made
        km = kaplan_meier(np.maximum(durations, 0.0), observed)
        median = km.median()
        result: dict[str, Any] = {keys[0]: None if median is None else round(median, 6)}
        for d, key in zip(WITHIN_DAYS, keys[1:], strict=True):
            share = km.share_by(d * DAY)
            result[key] = None if share is None else round(share, 6)
        return result
