"""Intelligence nodes: analyse reports in arrival order, fuse them, share under markings."""

from __future__ import annotations

from typing import Any

from sim import fusion
from sim.engine.consent import PENDING, ConsentLedger
from sim.engine.exploitation import ExploitationDesk
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
from sim.scenario.models import Node, Scenario, SharingRule
from sim.state.model import Assessment, Report

MarkingPair = tuple[str, list[str]]
# reading a partner's finding on a report the node holds, against a full analysis [A]:
# the claim, the source and its context are known; only the reading is new (hours, not a day)
FINDING_SHARE = 0.1


class NodeAgent:
    """One node: a FIFO queue served by `analysts`, then fusion and sharing."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.draw = KeyedDraws(world.seed, f"node:{name}")
        self.state = world.state.nodes[name]
        # who handed us each item (a report's entry goes once it is shared: a node analyses
        # a report only once); under what marking, and what its originator consented to,
        # is the consent ledger's: re-sharing never loosens it
        self.sender: dict[str, str | None] = {}
        self.consent = ConsentLedger(world, name, self._resend)
        self.deferred: dict[tuple[str, str], tuple[Any, ...]] = {}  # (item, dest) -> _send args
        # assessment versions offered: (assessment, version, destination), and to whom each
        # assessment has gone; a report is shared once per node anyway, so reports are not
        # recorded here (memory stays flat)
        self.sent: set[tuple[str, int, str]] = set()
        self.told: set[tuple[str, str]] = set()
        self.exploitation = ExploitationDesk(world, name, self.refiled)
        self.configure(world.scenario)

    def configure(self, scenario: Scenario) -> None:
        """Read this node's parameters (at start and after an intervention)."""
        self.spec: Node = scenario.nodes[self.name]
        self.analysis_time = self.spec.analysis_time.sampler()
        if self.spec.finding_time is not None:
            self.finding_time = self.spec.finding_time.sampler()
        else:
            full = self.analysis_time
            self.finding_time = lambda u: FINDING_SHARE * full(u)
        self.report_rules = self.world.rules_from(self.name, "reports")
        self.finding_rules = self.world.rules_from(self.name, "findings")
        self.assessment_rules = self.world.rules_from(self.name, "assessments")
        self.exploitation.configure(scenario)

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
            record = self.world.state.reports[report]
            self.consent.hold(report, record.node, marking, report_key(record))
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
            record = world.state.reports[report]
            u = self.draw(report_key(record))
            reading = self.finding_time if self.holds_original(record) else self.analysis_time
            world.after(reading(u), self.complete, report)

    def holds_original(self, r: Report) -> bool:
        """Whether `r` is a partner's re-reading of a report this node has already filed:
        the claim is known here, the analyst reads only what the finding changes."""
        policy = self.state.fusion
        if r.supersedes is None or r.was is None or policy is None:
            return False
        cluster = self.state.clusters.get(r.was, r.sector, policy.period(r.used_at, r.sector)[0])
        return cluster is not None and (
            r.supersedes in cluster.seen or r.supersedes in cluster.withdrawn
        )

    def complete(self, report: str) -> None:
        """An analysis ends: fuse, share, and take the next report."""
        world = self.world
        world.emit(AnalysisCompleted(t=world.env.now, node=self.name, report=report))
        r = world.state.reports[report]
        self.fuse_report(r)
        self.share_report(report)
        self.sender.pop(report, None)
        examining = self.exploitation.examine(r)  # a reading of it is held as it was
        if self.state.fusion is None and not examining:  # elsewhere it may rest under ours
            self.consent.forget(report)
        self.dispatch()

    def fuse_report(self, r: Report) -> None:
        """Weigh the clusters a report just filed here changed (evolve has filed it): its
        own, and for a re-reading of another report, the one that report was taken out of."""
        policy = self.state.fusion
        if policy is None:
            return
        clusters = self.state.clusters
        window = policy.window_for(r.sector)
        if r.supersedes is not None and r.was is not None and r.was != r.munition:
            self.fuse(clusters.cluster_for(r.was, r.sector, r.used_at, window))
        self.fuse(clusters.cluster_for(r.munition, r.sector, r.used_at, window))

    def refiled(self, examined: str, report: str | None) -> None:
        """This node's exploitation examined a report; if it filed a new reading of it
        (`report`), weigh it and share it.

        The reading is the examined report's material read anew: it is held under that
        report's marking (and its originator's consents), never as this node's own."""
        held = self.consent.material.get(examined)
        if report is not None:
            r = self.world.state.reports[report]
            if held is not None:
                marking = self.consent.marking_of(examined) or held.marking
                self.consent.hold(report, held.originator, marking, report_key(r))
            self.fuse_report(r)
            self.share_report(report, self.finding_rules)
        if self.state.fusion is None:  # as `complete` would have, had it not been examined
            self.consent.forget(examined)
            if report is not None:
                self.consent.forget(report)

    def share_report(self, report: str, rules: list[SharingRule] | None = None) -> None:
        """Forward an analysed report by this node's sharing rules for reports (or `rules`)."""
        rules = self.report_rules if rules is None else rules
        if not rules:
            return
        origin = self.world.state.reports[report].node
        # the first rule naming a destination decides its marking (as `sent` did before)
        offered: set[str] = {origin, self.name}
        sender = self.sender.get(report)
        if sender is not None:
            offered.add(sender)
        record = self.world.state.reports[report]
        discipline, outcome = record.discipline, record.outcome
        for rule in rules:
            if rule.disciplines is not None and discipline not in rule.disciplines:
                continue
            if rule.outcomes is not None and outcome not in rule.outcomes:
                continue
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
        min_sources, min_confidence = policy.bar(cluster.sector)
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
                min_sources=min_sources,
                min_confidence=min_confidence,
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
        self.consent.hold(assessment, record.node, marking, assessment_key(record, 0))
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
                record.munition, record.sector, middle, policy.window_for(record.sector)
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
        world = self.world
        if kind != "report" and (item, version, dest) in self.sent:
            return
        record = world.state.assessments.get(item) if kind != "report" else None
        own = record is not None and record.node == self.name
        if record is not None and own:
            material = self.consent.material_of(record, version)  # our own: what it rests on
        else:
            material = [item]  # another node's item (or our own report): it is the material
        nation = world.scenario.nodes[dest].nation
        name = f"{self.name}->{dest}"
        link = world.links.get(name)
        # a link that refuses whatever the marking: ask no one
        ask = None if link is None or not link.state.enabled else (item, dest)
        marking, held, blocked = self.consent.clear(material, rule_marking, nation, ask, own=own)
        if blocked == PENDING:  # offered again when the originator answers
            self.deferred[(item, dest)] = (
                item,
                kind,
                band,
                dest,
                rule_marking,
                confidence,
                version,
            )
            return
        self.deferred.pop((item, dest), None)  # a later version goes: the deferred one is stale
        if kind != "report":
            self.sent.add((item, version, dest))
            self.told.add((item, dest))
        if link is None or blocked is not None:
            # validation warns of a rule with no link; at run time it is a refused message
            world.emit(
                MessageDropped(
                    t=world.env.now,
                    message=world.ids.message(),
                    link=name,
                    item=item,
                    reason="no-link" if link is None else blocked or "",
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

    def _resend(self, send: tuple[str, str]) -> None:
        """The originator answered: offer a deferred (item, destination) again."""
        args = self.deferred.pop(send, None)
        if args is not None:
            self._send(*args)


def report_key(report: Report) -> str:
    """What a report is, whatever its id: its source and the use it reports (or, for a
    fake, when it was made; for an exploitation's re-reading, also the node that read it):
    the key of its analysis and latency draws."""
    if report.usage is not None:
        key = f"{report.collector}|{report.usage}"
    elif report.shipment is not None:
        key = f"{report.collector}|{report.shipment}"
    else:
        key = f"{report.collector}|{report.t!r}|{report.sector}"
    return key if report.supersedes is None else f"{key}|read by {report.node}"


def assessment_key(record: Assessment, version: int) -> str:
    """What a version of an assessment is, whatever its id: node, claim, period, version
    (version 0: the assessment whatever its version)."""
    key = f"{record.node}|{record.munition}|{record.sector}|{record.period[0]!r}"
    return key if version == 0 else f"{key}|v{version}"
