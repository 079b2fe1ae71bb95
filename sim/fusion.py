"""Pure fusion rules: correlate analysed reports into clusters and judge when to assess.

A node with a fusion policy keeps a tuple of :class:`Cluster`; each analysed report
goes through :func:`add_report`, then :func:`judge` says whether the touched cluster
should now be issued as an assessment or have its assessment updated. Everything here
is a pure function of plain, immutable values (no simpy, no clock, no randomness), so
``evolve`` can replay it. Grades, confidence and the PHIA words live in
:mod:`sim.grading` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Literal, overload

from sim.grading import (
    Grade,
    GradeError,
    Scale,
    band,
    better_grade,
    confidence,
    is_valid_grade,
    load_scale,
    parse_grade,
)

__all__ = [
    "DEFAULT_PRIOR",
    "Cluster",
    "FusionPolicy",
    "Grade",
    "GradeError",
    "Judgement",
    "ReportFacts",
    "ReportIds",
    "Scale",
    "add_report",
    "assess",
    "band",
    "confidence",
    "is_valid_grade",
    "judge",
    "load_scale",
    "mark_band",
    "mark_issued",
    "parse_grade",
    "replace_cluster",
]

# Base rate that a claimed munition use in a sector is real before any report is
# weighed [A]: low, so that one usually-reliable source is not enough on its own.
DEFAULT_PRIOR = 0.2


@dataclass(frozen=True, slots=True)
class FusionPolicy:
    """A node's fusion rule: correlation window (hours) and the bar for an assessment."""

    window: float
    min_sources: int
    min_confidence: float
    prior: float = DEFAULT_PRIOR

    def __post_init__(self) -> None:
        if not self.window >= 0:
            msg = f"fusion window must be >= 0 hours, got {self.window!r}"
            raise ValueError(msg)
        if isinstance(self.min_sources, bool) or not isinstance(self.min_sources, int):
            msg = f"min_sources must be an integer, got {self.min_sources!r}"
            raise ValueError(msg)
        if self.min_sources < 1:
            msg = f"min_sources must be >= 1, got {self.min_sources}"
            raise ValueError(msg)
        if not 0.0 <= self.min_confidence <= 1.0:
            msg = f"min_confidence must be between 0 and 1, got {self.min_confidence!r}"
            raise ValueError(msg)
        if not 0.0 < self.prior < 1.0:
            msg = f"prior must be strictly between 0 and 1, got {self.prior!r}"
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What fusion needs of one analysed report. ``source`` is the collector (or campaign)."""

    report: str
    source: str
    munition: str
    sector: str
    grade: str
    t: float

    def __post_init__(self) -> None:
        if not is_valid_grade(self.grade):
            parse_grade(self.grade)  # raises GradeError with the reason


class _IdLog:
    """Append-only report ids of one lineage of clusters, with each id's first position."""

    __slots__ = ("ids", "pos")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}

    def append(self, rid: str) -> None:
        self.pos.setdefault(rid, len(self.ids))
        self.ids.append(rid)


class ReportIds(Sequence[str]):
    """An immutable sequence of report ids with O(1) append and O(1) membership.

    A busy sector can keep one cluster open for tens of thousands of reports; copying
    a tuple and scanning it for duplicates on every report would be quadratic. Each
    ``ReportIds`` is a prefix view (first ``len`` entries) of a shared append-only log:
    appending to the newest view extends the log in place, appending to an older view
    (a branched history) copies it first, so no view ever changes. It compares equal
    to a tuple with the same ids.
    """

    __slots__ = ("_log", "_n")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._log = _IdLog()
        for rid in ids:
            self._log.append(rid)
        self._n = len(self._log.ids)

    def appended(self, rid: str) -> ReportIds:
        """A new sequence: these ids followed by ``rid``."""
        log = self._log
        if self._n != len(log.ids):
            log = _IdLog()
            for old in islice(self._log.ids, self._n):
                log.append(old)
        log.append(rid)
        new = ReportIds.__new__(ReportIds)
        new._log, new._n = log, self._n + 1
        return new

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        if isinstance(index, slice):
            return tuple(self._log.ids[: self._n][index])
        if not -self._n <= index < self._n:
            msg = f"report index {index} out of range"
            raise IndexError(msg)
        return self._log.ids[index % self._n]

    def __iter__(self) -> Iterator[str]:
        return islice(self._log.ids, self._n)

    def __contains__(self, rid: object) -> bool:
        p = self._log.pos.get(rid) if isinstance(rid, str) else None
        return p is not None and p < self._n

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReportIds):
            if other._n != self._n:
                return False
            return other._log is self._log or self._log.ids[: self._n] == other._log.ids[: self._n]
        if isinstance(other, tuple):
            return len(other) == self._n and tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True, slots=True)
class Cluster:
    """Reports believed to describe one episode of one munition's use in one sector.

    ``reports`` are the ids of its reports in arrival order. ``sources`` maps each
    independent collector to its best grade in the cluster (do not mutate it; the
    functions here build a new mapping). ``first``/``last`` are the earliest and
    latest report times; ``assessment`` is None until one is issued and
    ``band`` is the PHIA band last issued or updated.
    """

    munition: str
    sector: str
    reports: ReportIds
    sources: Mapping[str, str]
    first: float
    last: float
    assessment: str | None = None
    band: str | None = None

    def covers(self, t: float, window: float) -> bool:
        """True when a report at ``t`` is within ``window`` hours of this cluster's reports."""
        return self.first - window <= t <= self.last + window


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a node should emit for a cluster now: issue a new assessment or update one."""

    action: Literal["issue", "update"]
    confidence: float
    band: str
    sources: int


def add_report(
    clusters: tuple[Cluster, ...], report: ReportFacts, window: float
) -> tuple[tuple[Cluster, ...], int]:
    """Put ``report`` in its cluster; return the new clusters and the touched index.

    The report joins the most recent cluster for its (munition, sector) that it is
    within ``window`` hours of (reports may arrive out of time order, so either end of
    the cluster counts), or starts a new cluster at the end. A report id already in a
    cluster (circular reporting: the same report by two routes) changes nothing and
    returns that cluster's index. A second report from a known source only improves
    that source's grade if it is better; it never adds a source.
    """
    if not window >= 0:
        msg = f"fusion window must be >= 0 hours, got {window!r}"
        raise ValueError(msg)
    match: int | None = None
    for i in range(len(clusters) - 1, -1, -1):
        c = clusters[i]
        if c.munition != report.munition or c.sector != report.sector:
            continue
        if report.report in c.reports:
            return clusters, i
        if match is None and c.covers(report.t, window):
            match = i
    if match is None:
        new = Cluster(
            munition=report.munition,
            sector=report.sector,
            reports=ReportIds((report.report,)),
            sources={report.source: report.grade},
            first=report.t,
            last=report.t,
        )
        return (*clusters, new), len(clusters)
    old = clusters[match]
    sources = old.sources
    known = sources.get(report.source)
    if known is None or better_grade(known, report.grade) != known:
        sources = {**sources, report.source: report.grade}
    updated = replace(
        old,
        reports=old.reports.appended(report.report),
        sources=sources,
        first=min(old.first, report.t),
        last=max(old.last, report.t),
    )
    return replace_cluster(clusters, match, updated), match


def assess(cluster: Cluster, policy: FusionPolicy, scale: Scale | None = None) -> tuple[float, str]:
    """The cluster's confidence under ``policy`` and its band on ``scale`` (default PHIA)."""
    p = confidence(cluster.sources, policy.prior)
    return p, band(p, scale)


def judge(cluster: Cluster, policy: FusionPolicy, scale: Scale | None = None) -> Judgement | None:
    """What to emit for ``cluster`` now, or None.

    "issue" when no assessment exists yet, the cluster has at least ``min_sources``
    independent sources and confidence reaches ``min_confidence``; "update" when an
    assessment exists and its band has changed; otherwise None.
    """
    p, words = assess(cluster, policy, scale)
    n = len(cluster.sources)
    if cluster.assessment is None:
        if n >= policy.min_sources and p >= policy.min_confidence:
            return Judgement("issue", p, words, n)
        return None
    if words != cluster.band:
        return Judgement("update", p, words, n)
    return None


def mark_issued(cluster: Cluster, assessment_id: str, band: str) -> Cluster:
    """The cluster once assessment ``assessment_id`` has been issued at ``band``."""
    return replace(cluster, assessment=assessment_id, band=band)


def mark_band(cluster: Cluster, band: str) -> Cluster:
    """The cluster once its assessment has been updated to ``band``."""
    return replace(cluster, band=band)


def replace_cluster(
    clusters: tuple[Cluster, ...], index: int, cluster: Cluster
) -> tuple[Cluster, ...]:
    """``clusters`` with the one at ``index`` replaced (e.g. by :func:`mark_issued`)."""
    return (*clusters[:index], cluster, *clusters[index + 1 :])
