"""Intelligence nodes: analyse reports in arrival order, fuse them, share under markings."""

from __future__ import annotations

from sim import fusion
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.events import (
    AnalysisCompleted,
    AnalysisStarted,
    AssessmentFacts,
    AssessmentIssued,
    AssessmentReceived,
    AssessmentUpdated,
    MessageDropped,
    ReportReceived,
)
from sim.scenario.markings import combine
from sim.scenario.models import Node, Scenario
from sim.state.model import Assessment, Report

MarkingPair = tuple[str, list[str]]


class NodeAgent:
    """One node: a FIFO queue served by `analysts`, then fusion and sharing."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.draw = KeyedDraws(world.seed, f"node:{name}")
        self.state = world.state.nodes[name]
        # who handed us each item and under what marking: re-sharing never loosens it
        # (a report's entries go once it is shared: a node analyses a report only once)
        self.sender: dict[str, str | None] = {}
        self.marking: dict[str, MarkingPair] = {}
        # assessment versions offered: (assessment, version, destination), and to whom each
        # assessment has gone; a report is shared once per node anyway, so reports are not
        # recorded here (memory stays flat)
        self.sent: set[tuple[str, int, str]] = set()
        self.told: set[tuple[str, str]] = set()
        self.configure(world.scenario)

    def configure(self, scenario: Scenario) -> None:
        """Read this node's parameters (at start and after an intervention)."""
        self.spec: Node = scenario.nodes[self.name]
        self.analysis_time = self.spec.analysis_time.sampler()
        self.communities = scenario.communities
        self.ladder = scenario.classifications
        self.report_rules = self.world.rules_from(self.name, "reports")
        self.assessment_rules = self.world.rules_from(self.name, "assessments")

    # --- reports -------------------------------------------------------------------

    def receive(
        self, report: str, *, via: str | None, sender: str | None, marking: MarkingPair | None
    ) -> None:
        """A report arrives (from a collector or a link); a repeat arrival is not re-analysed."""
        if report in self.state.received:
            return
        if sender is not None:  # reports from collectors (most of them) have none
            self.sender[report] = sender
        if marking is not None:
            self.marking[report] = marking
        self.world.emit(
            ReportReceived(t=self.world.env.now, node=self.name, report=report, via=via)
        )
        self.dispatch()

    def dispatch(self) -> None:
        """Start analyses while an analyst is free and reports wait."""
        state, world = self.state, self.world
        while state.queue and len(state.busy) < state.analysts:
            report = state.queue[0]
            world.emit(AnalysisStarted(t=world.env.now, node=self.name, report=report))
            u = self.draw(report_key(world.state.reports[report]))
            world.after(self.analysis_time(u), self.complete, report)

    def complete(self, report: str) -> None:
        """An analysis ends: fuse, share, and take the next report."""
        world = self.world
        world.emit(AnalysisCompleted(t=world.env.now, node=self.name, report=report))
        policy = self.state.fusion
        if policy is not None:  # evolve has put the report in its cluster
            r = world.state.reports[report]
            self.fuse(
                self.state.clusters.cluster_for(r.munition, r.sector, r.used_at, policy.window)
            )
        self.share_report(report)
        self.sender.pop(report, None)
        self.marking.pop(report, None)
        self.dispatch()

    def share_report(self, report: str) -> None:
        """Forward an analysed report by this node's sharing rules."""
        if not self.report_rules:
            return
        origin = self.world.state.reports[report].node
        # the first rule naming a destination decides its marking (as `sent` did before)
        offered: set[str] = {origin, self.name}
        sender = self.sender.get(report)
        if sender is not None:
            offered.add(sender)
        for rule in self.report_rules:
            for dest in rule.to:
                if dest in offered:
                    continue
                offered.add(dest)
                self._send(
                    report, "report", "", dest, (rule.marking.classification, rule.marking.rel_to)
                )

    # --- assessments ---------------------------------------------------------------

    def fuse(self, cluster: fusion.Cluster) -> None:
        """Weigh the cluster evidence joined; issue its assessment or publish a new version."""
        state, world = self.state, self.world
        policy = state.fusion
        assert policy is not None  # checked by the caller
        verdict = fusion.assess(cluster, policy.prior, own=state.assessments)
        judgement = fusion.judge(cluster, verdict, policy)
        if judgement is None:
            return
        breakdown = fusion.weigh(cluster, policy.prior, own=state.assessments)
        if judgement.action == "issue":
            kind: type[AssessmentFacts] = AssessmentIssued
            assessment = f"A-{self.name}-{len(state.assessments) + 1}"
        else:
            kind, assessment = AssessmentUpdated, str(cluster.assessment)
        world.emit(
            kind(
                t=world.env.now,
                assessment=assessment,
                node=self.name,
                munition=cluster.munition,
                sector=cluster.sector,
                confidence=round(breakdown.confidence, 6),
                band=breakdown.band,
                reports=list(breakdown.reports),
                sources=list(breakdown.sources),
                version=cluster.version + 1,
                period_start=cluster.start,
                period_end=cluster.end,
                contradicting=list(breakdown.contradicting),
                against=list(breakdown.against),
                prior=policy.prior,
                min_sources=policy.min_sources,
                min_confidence=policy.min_confidence,
                evidence=list(breakdown.lines),
                set_aside=list(breakdown.set_aside),
            )
        )
        self.share_assessment(assessment)

    def receive_assessment(
        self,
        assessment: str,
        band: str,
        confidence: float,
        *,
        version: int,
        via: str,
        sender: str,
        marking: MarkingPair,
    ) -> None:
        """Another node's assessment arrives: evidence for fusion here, then passed on."""
        if self.state.known_versions.get(assessment, 0) >= version:
            return  # this version (or a later one) came by another route
        world = self.world
        record = world.state.assessments[assessment]
        self.sender[assessment] = sender
        self.marking[assessment] = marking
        world.emit(
            AssessmentReceived(
                t=world.env.now,
                node=self.name,
                assessment=assessment,
                band=band,
                confidence=confidence,
                via=via,
                version=version,
                reliability=world.scenario.nodes[record.node].reliability,
            )
        )
        policy = self.state.fusion
        if policy is not None:  # evolve has put it in its cluster
            middle = (record.period[0] + record.period[1]) / 2.0
            cluster = self.state.clusters.cluster_for(
                record.munition, record.sector, middle, policy.window
            )
            self.fuse(cluster)
        self.share_assessment(assessment, band, confidence, version)

    def share_assessment(
        self,
        assessment: str,
        band: str | None = None,
        confidence: float | None = None,
        version: int | None = None,
    ) -> None:
        """Disseminate an assessment (its latest version, or the one received) by the rules."""
        record = self.world.state.assessments[assessment]
        band = record.band if band is None else band
        confidence = record.confidence if confidence is None else confidence
        version = len(record.versions) if version is None else version
        for rule in self.assessment_rules:
            below = rule.threshold is not None and confidence < rule.threshold
            for dest in rule.to:
                if dest in (record.node, self.sender.get(assessment), self.name):
                    continue
                # a threshold gates the first sending only: whoever holds an assessment
                # gets every later version, downgrades too (never left with a stale one)
                if below and (assessment, dest) not in self.told:
                    continue
                self._send(
                    assessment,
                    "assessment",
                    band,
                    dest,
                    (rule.marking.classification, rule.marking.rel_to),
                    confidence,
                    version,
                )

    # --- both ------------------------------------------------------------------------

    def _send(
        self,
        item: str,
        kind: str,
        band: str,
        dest: str,
        rule_marking: MarkingPair,
        confidence: float = 0.0,
        version: int = 0,
    ) -> None:
        if kind != "report":
            key = (item, version, dest)
            if key in self.sent:
                return
            self.sent.add(key)
            self.told.add((item, dest))
        held = self.marking.get(item)
        marking = (
            rule_marking
            if held is None
            else combine(held, rule_marking, self.communities, self.ladder)
        )
        name = f"{self.name}->{dest}"
        link = self.world.links.get(name)
        if link is None:
            # validation warns of a rule with no link; at run time it is a refused message
            world = self.world
            world.emit(
                MessageDropped(
                    t=world.env.now,
                    message=world.ids.message(),
                    link=name,
                    item=item,
                    reason="no-link",
                )
            )
            return
        draw_key = (
            report_key(self.world.state.reports[item])
            if kind == "report"
            else assessment_key(self.world.state.assessments[item], version)
        )
        link.send(
            item,
            kind,
            marking,
            band=band,
            confidence=confidence,
            held=held,
            version=version,
            key=draw_key,
        )


def report_key(report: Report) -> str:
    """What a report is, whatever its id: its source and the use it reports (or, for a
    fake, when it was made): the key of its analysis and latency draws."""
    if report.usage is not None:
        return f"{report.collector}|{report.usage}"
    return f"{report.collector}|{report.t!r}|{report.sector}"


def assessment_key(record: Assessment, version: int) -> str:
    """What a version of an assessment is, whatever its id: node, claim, period, version."""
    return f"{record.node}|{record.munition}|{record.sector}|{record.period[0]!r}|v{version}"
