"""What an export may show: the reports, assessments and markings of a run, as one reader knew them.

:func:`collect` folds a run's checked events into an :class:`ExportView`. Without a
node it is the exercise-control view (every report and assessment, with every marking
it was shared under); with ``as_node`` it is what that node could see and knew: the
reports that reached it, the assessments it issued or received (at the band and
confidence it received them), and only the markings it received them under. Ground
truth (real usages, fabricated reports and the campaigns behind them) is added only
when asked, and never to a node's view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sim import events as ev
from sim.analysis.ledger import claim_text
from sim.analysis.perspective import QueryError, check_node, endpoints
from sim.scenario.models import Scenario


@dataclass(slots=True)
class ReportItem:
    """A report as filed, and when the reader learned of it."""

    report: str
    collector: str
    node: str
    munition: str
    sector: str
    grade: str
    discipline: str
    t: float  # when filed
    known_at: float  # when the reader learned of it
    usage: str | None = None  # ground truth, kept only when the view reveals it
    campaign: str | None = None  # ground truth: the campaign that fabricated it
    polarity: str = "supports"  # or "contradicts": a denial

    @property
    def claim(self) -> str:
        """What it claims: ``police (FORENSIC, C3) reports a KN-23`` or ``… denies a KN-23``."""
        return claim_text(self.collector, self.discipline, self.grade, self.polarity, self.munition)


@dataclass(slots=True)
class AssessmentVersion:
    """One statement of an assessment: issued, updated, or received at a band."""

    t: float
    confidence: float
    band: str
    reports: list[str]
    sources: list[str]
    received_via: str | None = None


@dataclass(slots=True)
class AssessmentItem:
    """An assessment and every version of it the reader knew."""

    assessment: str
    node: str
    munition: str
    sector: str
    versions: list[AssessmentVersion] = field(default_factory=list)


@dataclass(slots=True)
class UsageItem:
    """Ground truth: one use of a munition."""

    usage: str
    munition: str
    sector: str
    t: float


@dataclass
class ExportView:
    """Everything one export shows, in the order it happened."""

    scenario: Scenario
    as_node: str | None
    ground_truth: bool
    reports: dict[str, ReportItem] = field(default_factory=dict)
    assessments: dict[str, AssessmentItem] = field(default_factory=dict)
    markings: dict[str, list[ev.Marking]] = field(default_factory=dict)  # item -> markings
    usages: list[UsageItem] = field(default_factory=list)
    campaigns: dict[str, str] = field(default_factory=dict)  # campaign -> node it targets
    t_end: float = 0.0

    def when(self, t: float) -> datetime:
        """The UTC moment of simulation time `t`."""
        return self.scenario.start + timedelta(hours=t)

    def reader(self) -> str:
        """Who this view belongs to, in words."""
        return self.as_node if self.as_node is not None else "exercise control (all nodes)"


class ExportError(QueryError):
    """An export that cannot be made as asked (exit 2)."""


def check_reader(scenario: Scenario, as_node: str | None, ground_truth: bool) -> None:
    """ExportError unless the reader is everyone or a node of the run without ground truth."""
    if as_node is not None:
        check_node(scenario, as_node)
        if ground_truth:
            msg = "a node's view holds no ground truth: use --ground-truth without --as"
            raise ExportError(msg)


def collect(
    scenario: Scenario,
    events: Iterable[ev.Event],
    *,
    as_node: str | None = None,
    ground_truth: bool = False,
) -> ExportView:
    """Fold the events into what the reader (a node, or everyone) may see and knew."""
    check_reader(scenario, as_node, ground_truth)
    view = ExportView(scenario, as_node, ground_truth)
    filed: dict[str, ReportItem] = {}  # every report, to tell it when it reaches the reader
    headers: dict[str, tuple[str, str, str]] = {}  # assessment -> node, munition, sector
    for event in events:
        view.t_end = event.t
        match event:
            case ev.SightingReported():
                item = ReportItem(
                    event.report, event.collector, event.node, event.munition, event.sector,
                    event.grade, event.discipline, event.t, event.t,
                    event.usage if ground_truth else None, polarity=event.polarity,
                )  # fmt: skip
                filed[event.report] = item
                if as_node is None:
                    view.reports[event.report] = item
            case ev.ReportExploited(derived=str(derived)):
                # an exploitation's re-reading is a report too, filed at the examining node
                item = ReportItem(
                    derived, event.collector, event.node, event.munition_after, event.sector,
                    event.grade_after, event.discipline, event.t, event.t,
                    event.usage if ground_truth else None, polarity=event.polarity,
                )  # fmt: skip
                filed[derived] = item
                if as_node is None or as_node == event.node:
                    view.reports[derived] = item
            case ev.ReportReceived() if as_node is not None and event.node == as_node:
                known = filed.get(event.report)
                if known is not None and event.report not in view.reports:
                    known.known_at = event.t
                    view.reports[event.report] = known
            case ev.AssessmentIssued() | ev.AssessmentUpdated():
                headers[event.assessment] = (event.node, event.munition, event.sector)
                if as_node is None or event.node == as_node:
                    _version(view, event, headers, None)
            case ev.AssessmentReceived() if as_node is not None and event.node == as_node:
                _version(view, event, headers, event.via)
            case ev.MessageSent() if as_node is None:
                _mark(view, event.item, event.marking)
            case ev.MessageDelivered() if as_node is not None:
                if endpoints(event.link)[1] == as_node:
                    _mark(view, event.item, event.marking)
            case ev.MunitionUsed() if ground_truth:
                view.usages.append(UsageItem(event.usage, event.munition, event.sector, event.t))
            case ev.DisinformationInjected() if ground_truth:
                view.campaigns.setdefault(event.campaign, event.node)
                fabricated = filed.get(event.report)
                if fabricated is not None:
                    fabricated.campaign = event.campaign
                else:  # the sighting follows: remember the campaign for it
                    view.campaigns.setdefault(f"report:{event.report}", event.campaign)
    if ground_truth:
        _late_campaigns(view)
    return view


def _version(
    view: ExportView,
    event: ev.AssessmentIssued | ev.AssessmentUpdated | ev.AssessmentReceived,
    headers: dict[str, tuple[str, str, str]],
    via: str | None,
) -> None:
    header = headers.get(event.assessment)
    if header is None:
        return  # received an assessment never issued in this log: nothing to say about it
    item = view.assessments.get(event.assessment)
    if item is None:
        item = view.assessments[event.assessment] = AssessmentItem(event.assessment, *header)
    if isinstance(event, ev.AssessmentReceived):  # the band and confidence as received
        version = AssessmentVersion(event.t, event.confidence, event.band, [], [], via)
    else:
        version = AssessmentVersion(
            event.t, event.confidence, event.band, list(event.reports), list(event.sources)
        )
    item.versions.append(version)


def _mark(view: ExportView, item: str, marking: ev.Marking) -> None:
    known = view.markings.setdefault(item, [])
    if marking not in known:
        known.append(marking)


def _late_campaigns(view: ExportView) -> None:
    """Attach campaigns recorded before their fabricated report's sighting."""
    for key in [k for k in view.campaigns if k.startswith("report:")]:
        campaign = view.campaigns.pop(key)
        report = view.reports.get(key.removeprefix("report:"))
        if report is not None:
            report.campaign = campaign
