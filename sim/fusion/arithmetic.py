"""The log-odds arithmetic of a cluster, with its structured breakdown.

Confidence that the claimed use is real is ``logistic(logit(prior) + Σ llr)`` over the
evidence *lines* of the cluster, each an independent source counted once:

1. **Sources.** A source is a collector, or an artefact group: every collector that
   declares the same ``evidence`` (the physical evidence it examines) counts as one
   source within a cluster (:attr:`sim.fusion.evidence.ReportEvidence.key`). Support
   and contradiction from one source are separate lines.
2. **Routes.** A node can hold a source by several routes: directly (reports it
   analysed, one route per collector) and through partners' assessments (each line of
   a received assessment, discounted by the originator's reliability weight, and by
   the weights of the partners it came through before). A route through the node's
   own assessment is *circular* and set aside.
3. **Counted once, at its strongest.** Each source counts through its strongest route
   (support: highest llr; contradiction: most negative); ties go to the direct route,
   then to the route through fewer partners. Every other route is set aside: another
   examination of the same physical evidence (*same-artefact*), or a source the node
   already holds by a stronger route (*already-held*: circular reporting, e.g. our
   own shared report inside a partner's assessment).
4. **What counts toward ``min_sources``.** A supporting line with llr > 0 counts as its
   source if the node holds that source directly, else as the partner node whose
   assessment brought it: a partner's assessment counts as one source, and only for
   what the node does not already hold.

Everything is a function of the cluster's *set* of evidence (never of arrival order).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass

from sim.events import EvidenceLine, SetAside
from sim.fusion.clusters import Cluster, Signature, signature_of, strength
from sim.fusion.evidence import SUPPORTS, evidence_llr
from sim.grading import MAX_LOG_ODDS, Scale, band

DIGITS = 6  # llr and weights as written in the log (sums are taken of the written values)

CIRCULAR = "circular"
ALREADY_HELD = "already-held"
SAME_ARTEFACT = "same-artefact"
REASONS = {
    CIRCULAR: "comes back through this node's own assessment",
    ALREADY_HELD: "the node holds this source by a stronger route",
    SAME_ARTEFACT: "another examination of the same physical evidence counts instead",
}


@dataclass(frozen=True, slots=True)
class Breakdown:
    """What a cluster's evidence adds up to, line by line (``explain`` renders it)."""

    prior: float
    lines: tuple[EvidenceLine, ...]
    set_aside: tuple[SetAside, ...]
    log_odds: float
    confidence: float
    band: str
    sources: tuple[str, ...]  # supporting sources toward min_sources, sorted
    against: tuple[str, ...]  # contradicting sources with weight, sorted
    reports: tuple[str, ...]  # the supporting reports the counted lines rest on
    contradicting: tuple[str, ...]  # the reports of the contradicting lines

    @property
    def signature(self) -> Signature:
        """What, when it changes, makes a published assessment a new version."""
        return signature_of(self.lines)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What judging needs of a cluster: confidence, band, sources and the signature of its
    lines (no reports, no set-asides)."""

    confidence: float
    band: str
    sources: tuple[str, ...]
    against: tuple[str, ...]
    signature: Signature


@dataclass(frozen=True, slots=True)
class _Route:
    llr: float
    weight: float
    grade: str
    reports: Sequence[str]  # the cluster's own list: copied only into a breakdown
    via: tuple[str, ...]
    partner: str | None  # the node whose assessment brought it; None: direct
    collector: str = ""  # for a direct route: who filed it (ties between examinations)

    def rank(self, polarity: str) -> tuple[float, int, tuple[str, ...], str, str]:
        """Smaller is preferred: strongest, then direct, then fewer hops, then names."""
        return (-strength(self.llr, polarity), len(self.via), self.via, self.grade, self.collector)


def logit(p: float) -> float:
    """Log-odds of a probability strictly between 0 and 1."""
    if not 0.0 < p < 1.0:
        msg = f"prior must be strictly between 0 and 1, got {p!r}"
        raise ValueError(msg)
    return math.log(p / (1.0 - p))


def logistic(z: float) -> float:
    """The probability of log-odds ``z``, clamped to ±MAX_LOG_ODDS (never exactly 0 or 1)."""
    z = max(-MAX_LOG_ODDS, min(MAX_LOG_ODDS, z))
    return 1.0 / (1.0 + math.exp(-z))


Routes = dict[tuple[str, str], list[_Route]]


def _routes(cluster: Cluster, own: Container[str]) -> tuple[Routes, list[_Route], list[str]]:
    """Every route by (source, polarity); circular routes apart, with their sources."""
    routes: Routes = {}
    circular: list[_Route] = []
    circular_keys: list[str] = []
    for (key, polarity), filings in cluster.direct.items():
        bucket = routes[(key, polarity)] = []
        for collector, filing in filings.items():
            llr = evidence_llr(filing.grade, polarity)
            bucket.append(_Route(llr, 1.0, filing.grade, filing.reports, (), None, collector))
    if not cluster.partners:
        return routes, circular, circular_keys
    partners = sorted(cluster.partners.values(), key=lambda p: (p.node, p.assessment))
    for partner in partners:
        w = partner.weight
        for line in partner.lines:
            via = (partner.assessment, *line.via)
            route = _Route(
                line.llr * w, line.weight * w, line.grade, line.reports, via, partner.node
            )
            if any(a in own for a in via):
                circular.append(route)
                circular_keys.append(f"{line.source}\x00{line.polarity}")
                continue
            routes.setdefault((line.source, line.polarity), []).append(route)
    return routes, circular, circular_keys


def _best(candidates: list[_Route], polarity: str) -> _Route:
    if len(candidates) == 1:
        return candidates[0]
    return min(candidates, key=lambda r: r.rank(polarity))


def assess(
    cluster: Cluster, prior: float, *, own: Container[str] = (), scale: Scale | None = None
) -> Verdict:
    """Confidence, band and sources of ``cluster``: :func:`weigh` without the lines (cheap)."""
    routes, _, _ = _routes(cluster, own)
    terms = [logit(prior)]
    sources: set[str] = set()
    against: set[str] = set()
    signature: list[tuple[str, str, str, float]] = []
    for (key, polarity), candidates in routes.items():
        best = _best(candidates, polarity)
        llr = round(best.llr, DIGITS)
        terms.append(llr)
        held = any(r.partner is None for r in candidates)
        counts_as = key if held or best.partner is None else best.partner
        signature.append((polarity, key, counts_as, llr))
        if polarity == SUPPORTS:
            if llr > 0:
                sources.add(counts_as)
        elif llr < 0:
            against.add(counts_as)
    p = logistic(math.fsum(terms))
    signature.sort()
    return Verdict(
        p, band(p, scale), tuple(sorted(sources)), tuple(sorted(against)), tuple(signature)
    )


def _aside(
    source: str,
    polarity: str,
    grade: str,
    reports: Iterable[str],
    via: Iterable[str],
    reason: str = CIRCULAR,
) -> SetAside:
    return SetAside(
        source=source,
        polarity=polarity,
        grade=grade,
        reports=list(reports),
        via=list(via),
        reason=reason,
    )


def weigh(
    cluster: Cluster, prior: float, *, own: Container[str] = (), scale: Scale | None = None
) -> Breakdown:
    """The breakdown of ``cluster`` at a node whose own assessments are ``own``."""
    base = logit(prior)
    routes, circular, keys = _routes(cluster, own)
    aside = [
        _aside(k.partition("\x00")[0], k.partition("\x00")[2], r.grade, r.reports, r.via)
        for r, k in zip(circular, keys, strict=True)
    ]
    lines: list[EvidenceLine] = []
    # supporting lines first, then contradicting; direct before partners; then by source
    for key, polarity in sorted(routes, key=lambda k: (k[1] != SUPPORTS, k[0])):
        candidates = sorted(routes[(key, polarity)], key=lambda r: r.rank(polarity))
        best = candidates[0]
        held = any(r.partner is None for r in candidates)
        lines.append(
            EvidenceLine(
                source=key,
                polarity=polarity,
                grade=best.grade,
                llr=round(best.llr, DIGITS),
                weight=round(best.weight, DIGITS),
                counts_as=key if held or best.partner is None else best.partner,
                reports=list(best.reports),
                via=list(best.via),
            )
        )
        for other in candidates[1:]:
            direct = other.partner is None and best.partner is None
            reason = SAME_ARTEFACT if direct else ALREADY_HELD
            aside.append(_aside(key, polarity, other.grade, other.reports, other.via, reason))
    lines.sort(key=lambda line: (line.polarity != SUPPORTS, len(line.via) > 0, line.source))
    return _breakdown(prior, base, lines, aside, scale)


def _breakdown(
    prior: float,
    base: float,
    lines: list[EvidenceLine],
    aside: list[SetAside],
    scale: Scale | None,
) -> Breakdown:
    z = math.fsum([base, *(line.llr for line in lines)])
    p = logistic(z)
    support = [line for line in lines if line.polarity == SUPPORTS]
    contra = [line for line in lines if line.polarity != SUPPORTS]
    return Breakdown(
        prior=prior,
        lines=tuple(lines),
        set_aside=tuple(aside),
        log_odds=z,
        confidence=p,
        band=band(p, scale),
        sources=tuple(sorted({line.counts_as for line in support if line.llr > 0})),
        against=tuple(sorted({line.counts_as for line in contra if line.llr < 0})),
        reports=_unique(r for line in support for r in line.reports),
        contradicting=_unique(r for line in contra for r in line.reports),
    )


def _unique(reports: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reports))


def tally(
    lines: Iterable[EvidenceLine], prior: float, keep: Callable[[EvidenceLine], bool]
) -> tuple[float, int]:
    """Confidence and supporting sources of published ``lines`` with only the support ``keep``
    accepts (every contradiction stays): would the assessment stand on that evidence alone?
    """
    kept = [line for line in lines if line.polarity != SUPPORTS or keep(line)]
    z = math.fsum([logit(prior), *(line.llr for line in kept)])
    sources = {line.counts_as for line in kept if line.polarity == SUPPORTS and line.llr > 0}
    return logistic(z), len(sources)
