"""Intelligence nodes: analyse reports in arrival order, fuse them, share under markings."""

from __future__ import annotations

from sim import fusion
from sim.engine.streams import stream
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

MarkingPair = tuple[str, list[str]]


class NodeAgent:
    """One node: a FIFO queue served by `analysts`, then fusion and sharing."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.rng = stream(world.seed, f"node:{name}")
        self.state = world.state.nodes[name]
        # who handed us each item and under what marking: re-sharing never loosens it
        # (a report's entries go once it is shared: a node analyses a report only once)
        self.sender: dict[str, str | None] = {}
        self.marking: dict[str, MarkingPair] = {}
        # assessments offered: (assessment, band, destination); a report is shared once
        # per node anyway, so reports are not recorded here (memory stays flat)
        self.sent: set[tuple[str, str, str]] = set()
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
            world.after(self.analysis_time(self.rng.random()), self.complete, report)

    def complete(self, report: str) -> None:
        """An analysis ends: fuse, share, and take the next report."""
        world = self.world
        world.emit(AnalysisCompleted(t=world.env.now, node=self.name, report=report))
        if self.state.fusion is not None:
            self.fuse(report)
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

    def fuse(self, report: str) -> None:
        """Judge the cluster the report joined; issue or update its assessment."""
        state, world = self.state, self.world
        policy = state.fusion
        assert policy is not None  # checked by the caller
        index = _cluster_of(state.clusters, report)
        if index is None:
            return
        cluster = state.clusters[index]
        judgement = fusion.judge(cluster, policy)
        if judgement is None:
            return
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
                confidence=round(judgement.confidence, 6),
                band=judgement.band,
                reports=list(cluster.reports),
                sources=sorted(cluster.sources),
            )
        )
        self.share_assessment(assessment)

    def receive_assessment(
        self,
        assessment: str,
        band: str,
        confidence: float,
        *,
        via: str,
        sender: str,
        marking: MarkingPair,
    ) -> None:
        """Another node's assessment arrives; pass it on by this node's rules."""
        if self.state.known_assessments.get(assessment) == band:
            return
        self.sender[assessment] = sender
        self.marking[assessment] = marking
        self.world.emit(
            AssessmentReceived(
                t=self.world.env.now,
                node=self.name,
                assessment=assessment,
                band=band,
                confidence=confidence,
                via=via,
            )
        )
        self.share_assessment(assessment, band, confidence)

    def share_assessment(
        self, assessment: str, band: str | None = None, confidence: float | None = None
    ) -> None:
        """Disseminate an assessment (at its current band) by this node's rules."""
        record = self.world.state.assessments[assessment]
        band = record.band if band is None else band
        confidence = record.confidence if confidence is None else confidence
        for rule in self.assessment_rules:
            if rule.threshold is not None and confidence < rule.threshold:
                continue
            for dest in rule.to:
                if dest in (record.node, self.sender.get(assessment), self.name):
                    continue
                self._send(
                    assessment,
                    "assessment",
                    band,
                    dest,
                    (rule.marking.classification, rule.marking.rel_to),
                    confidence,
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
    ) -> None:
        if kind != "report":
            key = (item, band, dest)
            if key in self.sent:
                return
            self.sent.add(key)
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
        link.send(item, kind, marking, band=band, confidence=confidence, held=held)


def _cluster_of(clusters: tuple[fusion.Cluster, ...], report: str) -> int | None:
    for index in range(len(clusters) - 1, -1, -1):
        if report in clusters[index].reports:
            return index
    return None
