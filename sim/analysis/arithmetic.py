"""The arithmetic of an assessment, from its event: what `explain` (and the HTML report) show.

An ``AssessmentIssued``/``AssessmentUpdated`` event carries the node's arithmetic line by
line (:mod:`sim.fusion.arithmetic`): this module checks that the lines add up to the
published confidence and turns them into a structure (:func:`arithmetic_of`) and into
words (:func:`arithmetic_text`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim import events as ev
from sim.analysis.phrases import sources_text
from sim.fusion import REASONS, logistic, logit

INDENT = "    "


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """One version of an assessment, as a sum of log-likelihood ratios."""

    assessment: str
    node: str
    version: int
    prior: float
    prior_log_odds: float
    lines: tuple[ev.EvidenceLine, ...]
    set_aside: tuple[ev.SetAside, ...]
    log_odds: float
    confidence: float
    band: str
    sources: tuple[str, ...]
    against: tuple[str, ...]
    reports: tuple[str, ...]
    contradicting: tuple[str, ...]
    min_sources: int
    min_confidence: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for reports and exports)."""
        return {
            "assessment": self.assessment,
            "node": self.node,
            "version": self.version,
            "prior": self.prior,
            "prior_log_odds": round(self.prior_log_odds, 6),
            "lines": [_struct(x) for x in self.lines],
            "set_aside": [_struct(x) for x in self.set_aside],
            "log_odds": round(self.log_odds, 6),
            "confidence": self.confidence,
            "band": self.band,
            "sources": list(self.sources),
            "against": list(self.against),
            "reports": list(self.reports),
            "contradicting": list(self.contradicting),
            "bar": {"min_sources": self.min_sources, "min_confidence": self.min_confidence},
        }


def _struct(value: ev.EvidenceLine | ev.SetAside) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__struct_fields__}


def arithmetic_of(e: ev.AssessmentFacts) -> Arithmetic:
    """The arithmetic an assessment event publishes, with its log-odds summed again."""
    base = logit(e.prior)
    z = math.fsum([base, *(x.llr for x in e.evidence)])
    return Arithmetic(
        assessment=e.assessment,
        node=e.node,
        version=e.version,
        prior=e.prior,
        prior_log_odds=base,
        lines=tuple(e.evidence),
        set_aside=tuple(e.set_aside),
        log_odds=z,
        confidence=logistic(z),
        band=e.band,
        sources=tuple(e.sources),
        against=tuple(e.against),
        reports=tuple(e.reports),
        contradicting=tuple(e.contradicting),
        min_sources=e.min_sources,
        min_confidence=e.min_confidence,
    )


Describe = Callable[[str], str]  # a report id -> a few words about it


def arithmetic_text(a: Arithmetic, describe: Describe) -> list[str]:
    """The sum, one line per piece of evidence, then what was set aside and why."""
    out = [f"prior {a.prior:.2f}: log-odds {a.prior_log_odds:+.3f}"]
    for x in a.lines:
        sign = "supports" if x.polarity == "supports" else "contradicts"
        via = ""
        if x.via:
            via = f", via {' <- '.join(x.via)} (weight {x.weight:.2f})"
        counts = "" if x.counts_as == x.source else f"; counts as {x.counts_as}"
        out.append(
            f"{x.llr:+.3f}  {x.source} {x.grade} {sign}{via}{counts}: "
            f"{', '.join(describe(r) for r in x.reports)}"
        )
    bar = f"bar: {a.min_sources} source(s), {a.min_confidence:.2f}"
    out.append(
        f"= log-odds {a.log_odds:+.3f}: {a.confidence:.2f} {a.band}, "
        f"{sources_text(len(a.sources), len(a.reports))}, {len(a.against)} against ({bar})"
    )
    for s in a.set_aside:
        via = f" via {' <- '.join(s.via)}" if s.via else ""
        why = REASONS.get(s.reason, s.reason)
        out.append(
            f"set aside: {s.source} {s.grade}{via} "
            f"({', '.join(describe(r) for r in s.reports)}): {why}"
        )
    return out
