"""A run as a STIX 2.1 bundle (docs/exports.md has the mapping).

Nodes and collectors are identities, sectors locations, munition types a new SDO
``x-intelsim-munition`` (declared by an extension definition in the bundle), each
report a sighting of the munition it claims, each assessment a report object (one
version per issue, update or receipt) with its confidence, and each marking a
statement marking (plus TLP 2.0 where a TLP applies). With ground truth: real uses
are sightings by the simulation's ground truth, disinformation campaigns are
campaigns, and every fabricated or misidentified report gets an opinion saying so.
Ids are UUIDs drawn from a hash of the run and the item, so two exports of one run
name things alike.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import stix2

from sim import events as ev
from sim.analysis.exports import Exported, begin, collect_checked, run_key, write_file
from sim.analysis.exports.markings import TLP_EXTENSION, TLP_IDS, marking_text, tlp_level
from sim.analysis.exports.view import AssessmentItem, AssessmentVersion, ExportView, ReportItem
from sim.analysis.phrases import sources_text
from sim.analysis.source import RunSource

MUNITION_TYPE = "x-intelsim-munition"
# STIX 2.1 appendix "Admiralty Credibility" scale: the credibility digit as a confidence
CREDIBILITY_CONFIDENCE = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}
GROUND_TRUTH = "GROUND TRUTH of a simulation: what really happened, which no node knew"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Bundle:
    """Builds the objects of one bundle, each once, with ids stable for the run."""

    def __init__(self, view: ExportView, run_key: str) -> None:
        self.view = view
        self.run_key = run_key
        self.objects: dict[tuple[str, str | None], Any] = {}
        # ids of the objects that are alike each time they are asked for (a node, a
        # sighting): built once, as building a stix2 object costs about a millisecond
        self._made: set[str] = set()
        self.created = _stamp(view.when(0.0))
        self.tool = self.add(
            stix2.Identity(
                id=self.id("identity", "intelsim"),
                name="intelsim",
                identity_class="system",
                description="the simulation that produced this run",
                created=self.created,
                modified=self.created,
            )
        )

    def id(self, kind: str, name: str, *, per_run: bool = True) -> str:
        # UUIDv4-shaped, as STIX asks of domain objects, yet stable: from a hash of the name
        scope = f"{self.run_key}/" if per_run else ""
        digest = hashlib.sha256(f"intelsim/{scope}{kind}/{name}".encode()).digest()
        return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"

    def add(self, obj: Any) -> str:
        key = (obj["id"], obj.get("modified"))
        if key not in self.objects:
            self.objects[key] = obj
        return str(obj["id"])

    def once(self, id_: str, build: Callable[[str], Any]) -> str:
        """`id_`, adding ``build(id_)`` the first time it is asked for (later asks add
        nothing: the first object with an id and modified time is the one kept anyway)."""
        if id_ not in self._made:
            self._made.add(id_)
            self.add(build(id_))
        return id_

    # --- the things a report or assessment refers to ------------------------------

    def node(self, name: str) -> str:
        spec = self.view.scenario.nodes.get(name)
        nation = spec.nation if spec is not None else "unknown"
        return self.once(
            self.id("identity", f"node/{name}"),
            lambda id_: stix2.Identity(
                id=id_,
                name=name,
                identity_class="organization",
                description=f"intelligence node of {nation}",
                created=self.created,
                modified=self.created,
            ),
        )

    def collector(self, report: ReportItem) -> str:
        return self.once(
            self.id("identity", f"collector/{report.collector}"),
            lambda id_: stix2.Identity(
                id=id_,
                name=report.collector,
                identity_class="group",
                description=f"{report.discipline} source reporting to {report.node}",
                created=self.created,
                modified=self.created,
            ),
        )

    def sector(self, name: str) -> str:
        return self.once(
            self.id("location", f"sector/{name}"),
            lambda id_: stix2.Location(
                id=id_,
                name=name,
                country="UA",
                region="eastern-europe",
                created=self.created,
                modified=self.created,
            ),
        )

    def munition(self, name: str) -> str:
        spec = self.view.scenario.munitions.get(name)
        extension = self.once(
            self.id("extension-definition", MUNITION_TYPE, per_run=False),
            lambda id_: stix2.ExtensionDefinition(
                id=id_,
                created_by_ref=self.tool,
                name=MUNITION_TYPE,
                description="a type of munition whose use in Ukraine is monitored",
                schema="https://github.com/intelsim/intelsim/blob/main/docs/exports.md",
                version="1.0.0",
                extension_types=["new-sdo"],
                created=self.created,
                modified=self.created,
            ),
        )
        return self.once(
            self.id(MUNITION_TYPE, name),
            lambda id_: {
                "type": MUNITION_TYPE,
                "spec_version": "2.1",
                "id": id_,
                "created": self.created,
                "modified": self.created,
                "name": name,
                "origin": spec.origin if spec is not None else "unknown",
                "category": spec.category if spec is not None else "unknown",
                "extensions": {extension: {"extension_type": "new-sdo"}},
            },
        )

    def markings(self, markings: list[ev.Marking], *, truth: bool = False) -> list[str]:
        refs = []
        for marking in markings:
            refs.append(self.statement(marking_text(marking)))
            level = tlp_level(marking)
            if level is not None:
                refs.append(self.tlp(level))
        if truth:
            refs.append(self.statement(GROUND_TRUTH))
        return list(dict.fromkeys(refs))

    def statement(self, text: str) -> str:
        return self.once(
            self.id("marking-definition", text, per_run=False),
            lambda id_: stix2.MarkingDefinition(
                id=id_,
                definition_type="statement",
                definition=stix2.StatementMarking(statement=text),
                created=self.created,
            ),
        )

    def tlp(self, level: str) -> str:
        return self.add(
            {
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": TLP_IDS[level],
                "created": "2022-10-01T00:00:00.000Z",
                "name": f"TLP:{level.upper()}",
                "extensions": {
                    TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}
                },
            }
        )

    # --- the facts ---------------------------------------------------------------------

    def sighting(self, report: ReportItem) -> str:
        return self.once(
            self.id("sighting", f"report/{report.report}"), lambda id_: self._sighting(id_, report)
        )

    def _sighting(self, id_: str, report: ReportItem) -> Any:
        view = self.view
        seen = _stamp(view.when(report.t))
        return stix2.Sighting(
            id=id_,
            created_by_ref=self.collector(report),
            created=seen,
            modified=seen,
            sighting_of_ref=self.munition(report.munition),
            where_sighted_refs=[self.collector(report), self.sector(report.sector)],
            first_seen=seen,
            last_seen=seen,
            count=1,
            confidence=CREDIBILITY_CONFIDENCE.get(report.grade[1:]),
            description=(f"{report.report}: {report.claim} in {report.sector}, to {report.node}"),
            external_references=[{"source_name": "intelsim", "external_id": report.report}],
            object_marking_refs=self.markings(view.markings.get(report.report, [])) or None,
            allow_custom=True,
        )

    def assessment(self, item: AssessmentItem) -> None:
        view = self.view
        created = _stamp(view.when(item.versions[0].t))
        last_modified = ""
        for version in item.versions:
            modified = _stamp(view.when(version.t))
            if modified <= last_modified:  # two versions in one millisecond: keep them apart
                modified = _later(last_modified)
            last_modified = modified
            refs = [self.munition(item.munition), self.sector(item.sector)]
            refs += [self.sighting(view.reports[r]) for r in version.reports if r in view.reports]
            how = f"received via {version.received_via}" if version.received_via else "issued"
            self.add(
                stix2.Report(
                    id=self.id("report", f"assessment/{item.assessment}"),
                    created_by_ref=self.node(item.node),
                    created=created,
                    modified=modified,
                    name=f"{item.assessment}: {item.munition} use in {item.sector}",
                    description=(
                        f"{item.node} assesses {item.munition} use in {item.sector} as "
                        f"{version.band} ({version.confidence:.2f}) {_evidence_text(version)}; "
                        f"{how}"
                    ),
                    report_types=["threat-report"],
                    published=modified,
                    object_refs=refs,
                    confidence=round(version.confidence * 100),
                    labels=[version.band],
                    external_references=[
                        {"source_name": "intelsim", "external_id": item.assessment}
                    ],
                    object_marking_refs=self.markings(view.markings.get(item.assessment, []))
                    or None,
                    allow_custom=True,
                )
            )

    def truth(self) -> None:
        """Real uses, campaigns, and opinions on fabricated or misidentified reports."""
        view = self.view
        oracle = self.add(
            stix2.Identity(
                id=self.id("identity", "ground-truth"),
                name="ground truth (simulation)",
                identity_class="system",
                description=GROUND_TRUTH,
                created=self.created,
                modified=self.created,
            )
        )
        marks = self.markings([], truth=True)
        used = {u.usage: u.munition for u in view.usages}
        for usage in view.usages:
            when = _stamp(view.when(usage.t))
            self.add(
                stix2.Sighting(
                    id=self.id("sighting", f"usage/{usage.usage}"),
                    created_by_ref=oracle,
                    created=when,
                    modified=when,
                    sighting_of_ref=self.munition(usage.munition),
                    where_sighted_refs=[self.sector(usage.sector)],
                    first_seen=when,
                    last_seen=when,
                    count=1,
                    description=f"{usage.usage}: {usage.munition} used in {usage.sector}",
                    object_marking_refs=marks,
                    allow_custom=True,
                )
            )
        for report in view.reports.values():
            self._judge(report, used, oracle, marks)

    def _judge(
        self, report: ReportItem, used: dict[str, str], oracle: str, marks: list[str]
    ) -> None:
        if report.usage is None:
            campaign = report.campaign or "an unknown campaign"
            refs = [self.sighting(report)]
            if report.campaign is not None:
                refs.append(self.campaign(report.campaign, marks))
            opinion, why = "strongly-disagree", f"fabricated by {campaign} (disinformation)"
        elif used.get(report.usage, report.munition) != report.munition:
            refs = [self.sighting(report)]
            opinion = "disagree"
            why = f"misidentified: traces to {report.usage}, a {used[report.usage]}"
        else:
            return
        when = _stamp(self.view.when(report.t))
        self.add(
            stix2.Opinion(
                id=self.id("opinion", f"truth/{report.report}"),
                created_by_ref=oracle,
                created=when,
                modified=when,
                opinion=opinion,
                explanation=f"{report.report} was {why} [ground truth]",
                object_refs=refs,
                object_marking_refs=marks,
            )
        )

    def campaign(self, name: str, marks: list[str]) -> str:
        return self.add(
            stix2.Campaign(
                id=self.id("campaign", name),
                name=name,
                description=(
                    f"adversary disinformation campaign feeding fabricated reports to "
                    f"{self.view.campaigns.get(name, 'a node')}"
                ),
                created=self.created,
                modified=self.created,
                object_marking_refs=marks,
            )
        )

    def note(self, run_name: str) -> None:
        view = self.view
        truth = (
            "It CONTAINS GROUND TRUTH (real uses, fabricated reports), which no node knew."
            if view.ground_truth
            else "It holds no ground truth."
        )
        self.add(
            stix2.Note(
                id=self.id("note", f"export/{view.reader()}/{view.ground_truth}"),
                created_by_ref=self.tool,
                created=self.created,
                modified=self.created,
                abstract=f"intelsim run {run_name}, as known to {view.reader()}",
                content=(
                    f"Export of the simulated run {run_name} ({view.scenario.name}) as known to "
                    f"{view.reader()}, up to {_stamp(view.when(view.t_end))}. {truth}"
                ),
                object_refs=[self.tool],
            )
        )


def _evidence_text(version: AssessmentVersion) -> str:
    """``from 2 sources (3 reports)``; a received version names none of them."""
    if not version.sources:
        return "from its originator's sources"
    return sources_text(len(version.sources), len(version.reports))


def _later(stamp: str) -> str:
    """The next millisecond after a stamp."""
    return _stamp(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(milliseconds=1))


def stix_bundle(view: ExportView, run_name: str, run_key: str) -> str:
    """The view as a STIX 2.1 bundle, serialised as JSON."""
    bundle = _Bundle(view, run_key)
    bundle.note(run_name)
    for report in view.reports.values():
        bundle.sighting(report)
    for item in view.assessments.values():
        if item.versions:
            bundle.assessment(item)
    if view.ground_truth:
        bundle.truth()
    # the bundle is written here, not by stix2.Bundle.serialize(pretty=True): its pretty
    # ordering of properties took minutes for the baseline's few thousand objects
    document = {
        "type": "bundle",
        "id": bundle.id("bundle", f"{view.reader()}/{view.ground_truth}"),
        "objects": [
            obj if isinstance(obj, dict) else json.loads(obj.serialize())
            for obj in bundle.objects.values()
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def export_stix(
    source: RunSource, *, as_node: str | None = None, ground_truth: bool = False,
    out: Path | None = None,
) -> Exported:  # fmt: skip
    """Write the run as a STIX 2.1 bundle: what `as_node` knew, ground truth only if asked."""
    target, done = begin(source, "stix", as_node, ground_truth, out)
    view = collect_checked(source, as_node, ground_truth)
    write_file(target, stix_bundle(view, source.run_dir.name, run_key(source)).encode())
    done.paths.append(target)
    done.items = len(view.reports) + sum(len(a.versions) for a in view.assessments.values())
    return done
