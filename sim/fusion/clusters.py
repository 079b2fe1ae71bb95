"""Clusters: the evidence a node holds about one munition in one sector over one period.

A node's clusters live in a :class:`ClusterIndex` keyed by (munition, sector, period
start), so finding the cluster of a piece of evidence is one dict lookup, whatever the
length of the run: nothing ever scans the clusters opened before.

A cluster is plain mutable data, changed only by ``sim.state.evolve`` (as every part of
the state); what it means (confidence, sources, what is set aside) is computed from it by
the pure :func:`sim.fusion.arithmetic.weigh`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sim.events import EvidenceLine
from sim.fusion.evidence import SUPPORTS, PartnerAssessment, ReportEvidence, evidence_llr
from sim.fusion.policy import period_of

# every counted line as (polarity, source, counts as, llr): an assessment is published
# again (a new version) whenever this changes, so what partners hold is what it weighs
Signature = tuple[tuple[str, str, str, float], ...]


def signature_of(lines: Iterable[EvidenceLine]) -> Signature:
    """The signature of published lines (``evolve`` reads it back from the event)."""
    return tuple(sorted((x.polarity, x.source, x.counts_as, x.llr) for x in lines))


@dataclass(slots=True)
class Filing:
    """The reports one collector filed under one source key, their grades, and the best."""

    grade: str
    reports: list[str]
    grades: list[str] = field(default_factory=list)  # of each report, in order


@dataclass(slots=True)
class Cluster:
    """Evidence of one munition's use in one sector during ``[start, end)``.

    ``direct``: (source key, polarity) -> collector -> its filing, for the reports this
    node analysed itself. ``partners``: assessment id -> the latest version received.
    ``seen``: report ids already added (the same report arriving by a second route
    changes nothing). ``withdrawn``: reports superseded by a re-reading of their material
    (technical exploitation): taken out, and kept out if they arrive later.
    ``assessment``, ``version`` and ``signature`` describe what the node has published
    from this cluster, if anything.
    """

    munition: str
    sector: str
    start: float
    end: float
    direct: dict[tuple[str, str], dict[str, Filing]] = field(default_factory=dict)
    partners: dict[str, PartnerAssessment] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    withdrawn: set[str] = field(default_factory=set)
    assessment: str | None = None
    version: int = 0
    signature: Signature | None = None

    def add_report(self, evidence: ReportEvidence) -> bool:
        """Add an analysed report; False (and no change) if it was already here."""
        if evidence.report in self.seen or evidence.report in self.withdrawn:
            return False
        self.seen.add(evidence.report)
        by_collector = self.direct.setdefault((evidence.key, evidence.polarity), {})
        filing = by_collector.get(evidence.collector)
        if filing is None:
            by_collector[evidence.collector] = Filing(
                evidence.grade, [evidence.report], [evidence.grade]
            )
            return True
        filing.reports.append(evidence.report)
        filing.grades.append(evidence.grade)
        if _stronger(evidence.grade, filing.grade, evidence.polarity):
            filing.grade = evidence.grade
        return True

    def withdraw(self, report: str) -> bool:
        """Take out a report whose material was read anew (it is superseded); keep it out.

        Its filing's grade becomes the best of the reports left; a filing, or a source,
        with none left goes. True if the report was here.
        """
        self.withdrawn.add(report)
        if report not in self.seen:
            return False
        self.seen.discard(report)
        for source, by_collector in list(self.direct.items()):
            for collector, filing in list(by_collector.items()):
                if report not in filing.reports:
                    continue
                i = filing.reports.index(report)
                del filing.reports[i], filing.grades[i]
                if not filing.reports:
                    del by_collector[collector]
                    if not by_collector:
                        del self.direct[source]
                    return True
                best = filing.grades[0]
                for grade in filing.grades[1:]:
                    if _stronger(grade, best, source[1]):
                        best = grade
                filing.grade = best
                return True
        return True

    def add_partner(self, partner: PartnerAssessment) -> bool:
        """Hold a received assessment; a later version replaces an earlier one."""
        held = self.partners.get(partner.assessment)
        if held is not None and held.version >= partner.version:
            return False
        self.partners[partner.assessment] = partner
        return True

    def mark(self, assessment: str, version: int, signature: Signature) -> None:
        """Record that ``assessment`` was published from this cluster as ``version``."""
        self.assessment, self.version, self.signature = assessment, version, signature


def _stronger(grade: str, than: str, polarity: str) -> bool:
    """Whether ``grade`` is stronger evidence of ``polarity`` than ``than`` (ties: A1 first)."""
    a, b = (
        strength(evidence_llr(grade, polarity), polarity),
        strength(evidence_llr(than, polarity), polarity),
    )
    return a > b or (a == b and grade < than)


def strength(llr: float, polarity: str) -> float:
    """How strongly evidence with ``llr`` speaks for its polarity (for picking the strongest)."""
    return llr if polarity == SUPPORTS else -llr


ClusterKey = tuple[str, str, float]


class ClusterIndex:
    """One node's clusters by (munition, sector, period start): one lookup per evidence."""

    __slots__ = ("_clusters",)

    def __init__(self) -> None:
        self._clusters: dict[ClusterKey, Cluster] = {}

    def cluster_for(self, munition: str, sector: str, used_at: float, window: float) -> Cluster:
        """The cluster of a claimed use at ``used_at`` (opened if new)."""
        start, end = period_of(used_at, window)
        key = (munition, sector, start)
        cluster = self._clusters.get(key)
        if cluster is None:
            cluster = self._clusters[key] = Cluster(munition, sector, start, end)
        return cluster

    def get(self, munition: str, sector: str, start: float) -> Cluster | None:
        """The cluster opened for this period, if any."""
        return self._clusters.get((munition, sector, start))

    def __len__(self) -> int:
        return len(self._clusters)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClusterIndex):
            return NotImplemented
        return self._clusters == other._clusters

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self._clusters.values())
