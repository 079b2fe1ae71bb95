"""A run as one MISP event (JSON, made offline with PyMISP; docs/exports.md has the mapping).

Each report is an ``External analysis`` text attribute with a sighting by its
collector, Admiralty-scale tags (source reliability, information credibility) and its
markings as tags (TLP where one applies, and the classification with REL TO); each
assessment version is an ``Attribution`` attribute tagged with its PHIA band. An
attribute's distribution level comes from the markings it was shared under; the
event's is the widest of its attributes'. Ground truth, when asked, is tagged as such,
and the event's title and tags say the file holds it.
"""

from __future__ import annotations

from pathlib import Path

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

from sim import events as ev
from sim.analysis.exports import Exported, begin, collect_checked, write_file
from sim.analysis.exports.markings import distribution, marking_text, tlp_level
from sim.analysis.exports.view import AssessmentItem, ExportView, ReportItem
from sim.analysis.source import RunSource

GROUND_TRUTH_TAG = 'intelsim:ground-truth="included"'


def _tags(markings: list[ev.Marking]) -> list[str]:
    tags = []
    for marking in markings:
        level = tlp_level(marking)
        if level is not None:
            tags.append(f"tlp:{level}")
        tags.append(f'intelsim:marking="{marking_text(marking)}"')
    return list(dict.fromkeys(tags))


def _attribute(
    event: MISPEvent, view: ExportView, category: str, value: str, comment: str, t: float,
    markings: list[ev.Marking], tags: list[str],
) -> MISPAttribute:  # fmt: skip
    attribute = event.add_attribute(
        type="text",
        category=category,
        value=value,
        comment=comment,
        to_ids=False,
        distribution=distribution(markings),
        timestamp=view.when(t),
        first_seen=view.when(t),
    )
    assert isinstance(attribute, MISPAttribute)  # one value, one attribute
    for tag in [*tags, *_tags(markings)]:
        attribute.add_tag(tag)
    return attribute


def _report(event: MISPEvent, view: ExportView, report: ReportItem) -> None:
    reliability, credibility = report.grade[:1], report.grade[1:]
    tags = [
        f'admiralty-scale:source-reliability="{reliability.lower()}"',
        f'admiralty-scale:information-credibility="{credibility}"',
        f'intelsim:discipline="{report.discipline}"',
    ]
    if view.ground_truth:
        tags.append(GROUND_TRUTH_TAG)
        if report.usage is None:
            tags.append(f'intelsim:disinformation="{report.campaign or "unknown campaign"}"')
    value = f"{report.claim} in {report.sector}, to {report.node}"
    attribute = _attribute(
        event, view, "External analysis", value, report.report, report.t,
        view.markings.get(report.report, []), tags,
    )  # fmt: skip
    attribute.add_sighting(
        {"type": "0", "source": report.collector, "timestamp": int(view.when(report.t).timestamp())}
    )


def _assessment(event: MISPEvent, view: ExportView, item: AssessmentItem) -> None:
    for version in item.versions:
        how = f"received via {version.received_via}" if version.received_via else "issued"
        value = (
            f"{item.node} assesses {item.munition} use in {item.sector} as {version.band} "
            f"({version.confidence:.2f}); {how}"
        )
        tags = [f'intelsim:phia="{version.band}"', f'intelsim:munition="{item.munition}"']
        _attribute(
            event, view, "Attribution", value, item.assessment, version.t,
            view.markings.get(item.assessment, []), tags,
        )  # fmt: skip


def misp_event(view: ExportView, run_name: str) -> str:
    """The view as a MISP event, serialised as JSON."""
    event = MISPEvent()
    truth = " — CONTAINS GROUND TRUTH" if view.ground_truth else ""
    event.info = (
        f"intelsim run {run_name} ({view.scenario.name}) as known to {view.reader()}{truth}"
    )
    event.date = view.when(0.0).date()
    event.threat_level_id = 4  # undefined: a simulation
    event.analysis = 2  # completed
    org = MISPOrganisation()
    org.name = view.as_node or "intelsim"
    event.orgc = org
    event.add_tag('intelsim:simulation="true"')
    if view.ground_truth:
        event.add_tag(GROUND_TRUTH_TAG)
    for report in view.reports.values():
        _report(event, view, report)
    for item in view.assessments.values():
        _assessment(event, view, item)
    if view.ground_truth:
        for usage in view.usages:
            _attribute(
                event, view, "Other", f"{usage.munition} used in {usage.sector} [ground truth]",
                usage.usage, usage.t, [], [GROUND_TRUTH_TAG],
            )  # fmt: skip
    event.distribution = max((a.distribution for a in event.attributes), default=0)
    return str(event.to_json(indent=2))


def export_misp(
    source: RunSource, *, as_node: str | None = None, ground_truth: bool = False,
    out: Path | None = None,
) -> Exported:  # fmt: skip
    """Write the run as a MISP event: what `as_node` knew, ground truth only if asked."""
    target, done = begin(source, "misp", as_node, ground_truth, out)
    view = collect_checked(source, as_node, ground_truth)
    write_file(target, misp_event(view, source.run_dir.name).encode())
    done.paths.append(target)
    done.items = len(view.reports) + sum(len(a.versions) for a in view.assessments.values())
    return done
