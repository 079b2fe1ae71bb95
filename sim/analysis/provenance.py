"""Provenance: where an assessment, report or usage came from and where it went, in words.

Two streaming passes over the log: the first finds the item (and, for an assessment,
the reports it rests on); the second follows those items from the field to every node.
On a sealed log (the normal case) both read only the lines naming what they look for,
found at C speed, while another core checks every byte against the seal
(:mod:`sim.store.search`); any doubt, and the careful reading answers instead.

As a node (``as_node``), provenance is told from the events that node saw (those
``timeline --as NODE`` lists) and with no ground truth: no usage, fabrication or
"traces to", no arrival at another node. A node explains its own assessments (its
arithmetic is its own) and the reports it received; of a partner's assessment it knows
only what reached it, never the partner's reports or arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim import events as ev
from sim.analysis.arithmetic import arithmetic_of, arithmetic_text
from sim.analysis.perspective import QueryError, check_node, visible_to
from sim.analysis.phrases import sources_text
from sim.analysis.source import RunSource, open_run
from sim.analysis.timeline import Line, Narrator
from sim.errors import LogError, suggest
from sim.scenario.models import Scenario
from sim.store.reading import LogReading, needles, tail_line
from sim.store.search import SealedSearch

MAX_REPORTS = 50  # supporting reports told in full; the rest are counted
INDENT = "    "

Events = Callable[[], Iterable[ev.Event]]


@dataclass
class _Found:
    """What the first pass learned about the item asked for."""

    kind: str  # "assessment", "report" or "usage"
    reports: list[str] = field(default_factory=list)  # the reports to follow
    contradicting: list[str] = field(default_factory=list)  # an assessment's denials
    issued: ev.AssessmentIssued | None = None
    latest: ev.AssessmentIssued | ev.AssessmentUpdated | None = None
    used: ev.MunitionUsed | None = None


@dataclass
class _Trail:
    """What the second pass gathered: each followed item's lines and where it arrived."""

    lines: dict[str, list[Line]] = field(default_factory=dict)
    reached: dict[str, list[tuple[str, float, str | None]]] = field(default_factory=dict)
    supports: dict[str, list[str]] = field(default_factory=dict)  # report -> assessments
    links: dict[str, str] = field(default_factory=dict)  # message carrying a followed item -> link
    received: dict[str, ev.AssessmentReceived] = field(default_factory=dict)  # latest, per item


def _find(events: Iterable[ev.Event], items: Iterable[str]) -> dict[str, _Found]:
    """What the first pass learns about each of `items`; LogError names one it lacks."""
    wanted = set(items)
    ids: set[str] = set()
    found: dict[str, _Found] = {}
    usages: dict[str, _Found] = {}  # usages asked for -> their finding (sightings join it)
    for event in events:
        if isinstance(event, ev.AssessmentIssued):
            ids.add(event.assessment)
            if event.assessment in wanted:
                issued = _Found("assessment", list(event.reports), list(event.contradicting))
                issued.issued = issued.latest = event
                found[event.assessment] = issued
        elif isinstance(event, ev.AssessmentUpdated):
            known = found.get(event.assessment) if event.assessment in wanted else None
            if known is not None:
                known.latest, known.reports = event, list(event.reports)
                known.contradicting = list(event.contradicting)
        elif isinstance(event, ev.SightingReported):
            ids.add(event.report)
            if event.report in wanted:
                found[event.report] = _Found("report", [event.report])
            if event.usage is not None and (usage := usages.get(event.usage)) is not None:
                usage.reports.append(event.report)
        elif isinstance(event, ev.MunitionUsed):
            ids.add(event.usage)
            if event.usage in wanted:
                found[event.usage] = usages[event.usage] = _Found("usage", used=event)
    for item in sorted(wanted - set(found)):
        hint = suggest(item, sorted(ids), most=3)
        msg = f"no assessment, report or usage {item!r} in this run{hint}"
        raise LogError(msg)
    return found


def _item_of(event: ev.Event) -> str | None:
    for name in ("item", "report", "assessment"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            return value
    return None


@dataclass
class _View:
    """Provenance as one perspective tells it: ground truth (node None) or one node's."""

    node: str | None
    narrator: Narrator
    trail: _Trail = field(default_factory=_Trail)


@dataclass(frozen=True)
class Told:
    """A log already narrated, so that explaining it does not narrate it again.

    The two narrators after the whole log (with the ground truth, and as a node tells
    it), and per event, in the log's order, the line each of them said (or None).
    """

    truth: Narrator
    plain: Narrator
    lines: Sequence[tuple[Line | None, Line | None]]


def _follow(
    events: Iterable[ev.Event],
    views: list[_View],
    wanted: set[str],
    reports: set[str],
    told: Told | None = None,
) -> None:
    """Fill each view's trail from the events it sees (every narrator hears every event)."""
    narrators = list({id(view.narrator): view.narrator for view in views}.values())
    lines = iter(told.lines) if told is not None else None
    for event in events:
        if lines is None:
            said = {id(narrator): narrator.narrate(event) for narrator in narrators}
        else:
            truth, plain = next(lines)
        item = _item_of(event)
        weighs = isinstance(event, ev.AssessmentIssued | ev.AssessmentUpdated)
        if item not in wanted and not weighs:
            continue
        if told is not None:
            said = {id(told.truth): truth, id(told.plain): plain}
        for view in views:
            if view.node is not None and not visible_to(view.node, event):
                continue
            _note(view.trail, event, item, said[id(view.narrator)], wanted, reports)


def _note(
    trail: _Trail,
    event: ev.Event,
    item: str | None,
    line: Line | None,
    wanted: set[str],
    reports: set[str],
) -> None:
    if isinstance(event, ev.AssessmentIssued | ev.AssessmentUpdated):
        for report in reports.intersection(event.reports):
            supported = trail.supports.setdefault(report, [])
            if event.assessment not in supported:
                supported.append(event.assessment)
    if item not in wanted:
        return
    if isinstance(event, ev.MessageSent | ev.MessageDelivered):  # a receiver sees no sending
        trail.links.setdefault(event.message, event.link)
    if isinstance(event, ev.ReportReceived | ev.AssessmentReceived):
        trail.reached.setdefault(item, []).append((event.node, event.t, event.via))
    if isinstance(event, ev.AssessmentReceived):
        trail.received[item] = event
    if line is not None:
        trail.lines.setdefault(item, []).append(line)


def _path(trail: _Trail, item: str, depth: int) -> list[str]:
    pad = INDENT * depth
    return [f"{pad}{line}" for line in trail.lines.get(item, [])]


def _reached(
    narrator: Narrator, trail: _Trail, item: str, depth: int, verb: str = "reached"
) -> list[str]:
    arrivals = trail.reached.get(item, [])
    if not arrivals:
        return [f"{INDENT * depth}{verb} no node"]
    where = []
    for node, t, via in arrivals:
        how = f" via {via}" if via else " from its collector"
        where.append(f"{node} {narrator.when(t)}{how}")
    return [f"{INDENT * depth}{verb} {len(arrivals)} node(s): {'; '.join(where)}"]


def _report_block(
    narrator: Narrator, trail: _Trail, report: str, depth: int, truth: bool = True
) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}{report}: {narrator.report_text(report)}"]
    if truth:
        lines.append(f"{pad}{INDENT}ground truth: {_origin(narrator, report)}")
    lines += _path(trail, report, depth + 1)
    lines += _reached(narrator, trail, report, depth + 1)
    return lines


def _origin(narrator: Narrator, report: str) -> str:
    """What the report traces to, naming the usage in full."""
    origin = narrator.origin_text(report)
    filed = narrator.reports.get(report)
    if filed is not None and filed.usage is not None:
        origin = origin.replace(filed.usage, narrator.usage_text(filed.usage), 1)
    return origin


def _truth_summary(narrator: Narrator, reports: list[str]) -> str:
    origins = [narrator.origin_text(r) for r in reports]
    real = sum(o.startswith("traces to") for o in origins)
    fabricated = sum(o.startswith("fabricated") for o in origins)
    misidentified = sum(o.startswith("misidentified") for o in origins)
    verdict = "a false attribution" if real == 0 else "rests on real use"
    return (
        f"ground truth: {verdict} — {real} of {len(reports)} supporting reports trace to real "
        f"use, {misidentified} misidentified, {fabricated} fabricated"
    )


def _described(narrator: Narrator, report: str) -> str:
    filed = narrator.reports.get(report)
    return report if filed is None else f"{report} ({filed.collector})"


def _explain_assessment(found: _Found, view: _View, item: str) -> list[str]:
    narrator, trail, truth = view.narrator, view.trail, view.node is None
    issued, latest = found.issued, found.latest
    assert issued is not None and latest is not None  # set with kind "assessment"
    seen = "" if truth else f" [as {view.node} saw it]"
    lines = [
        f"{item}: issued by {issued.node} {narrator.when(issued.t)} UTC — {issued.munition} use "
        f"in {issued.sector} ({narrator.period_text(issued)}) {issued.band} "
        f"({issued.confidence:.2f}) {sources_text(len(issued.sources), len(issued.reports))}"
        f"{seen}",
    ]
    if latest is not issued:
        lines.append(
            f"{INDENT}last revised {narrator.when(latest.t)} (version {latest.version}) to "
            f"{latest.band} ({latest.confidence:.2f}) "
            f"{sources_text(len(latest.sources), len(latest.reports))}"
        )
    lines.append(f"{INDENT}the arithmetic (version {latest.version}):")
    arithmetic = arithmetic_text(arithmetic_of(latest), lambda r: _described(narrator, r))
    lines += [f"{INDENT * 2}{line}" for line in arithmetic]
    if truth:
        lines.append(f"{INDENT}{_truth_summary(narrator, found.reports)}")
    for title, reports in (
        ("supporting reports", found.reports),
        ("contradicting reports", found.contradicting),
    ):
        lines.append(f"{INDENT}{title} ({len(reports)}):")
        for report in reports[:MAX_REPORTS]:
            lines += _report_block(narrator, trail, report, 2, truth)
        if len(reports) > MAX_REPORTS:
            lines.append(f"{INDENT * 2}… and {len(reports) - MAX_REPORTS} more reports")
    lines.append(f"{INDENT}the assessment's own path:")
    lines += _path(trail, item, 2)
    if truth:  # a node does not see a partner receive what it sent
        lines += _reached(narrator, trail, item, 2, "received by")
    return lines


def _explain_received(found: _Found, view: _View, item: str) -> list[str]:
    """A partner's assessment as the node received it: what reached it, nothing behind it."""
    narrator, trail = view.narrator, view.trail
    issued, received = found.issued, trail.received[item]
    assert issued is not None  # set with kind "assessment"
    return [
        f"{item}: {issued.node}'s assessment of {issued.munition} use in {issued.sector}, "
        f"last received by {view.node} {narrator.when(received.t)} UTC — {received.band} "
        f"({received.confidence:.2f}), version {received.version} [as {view.node} saw it]",
        f"{INDENT}the reports and arithmetic behind it stay with {issued.node}",
        f"{INDENT}its path, as far as {view.node} saw it:",
        *_path(trail, item, 2),
    ]


def _explain_report(narrator: Narrator, trail: _Trail, item: str, truth: bool = True) -> list[str]:
    lines = _report_block(narrator, trail, item, 0, truth)
    supported = trail.supports.get(item, [])
    lines.append(f"{INDENT}supports: {', '.join(supported) if supported else 'no assessment'}")
    return lines


def _explain_usage(found: _Found, narrator: Narrator, trail: _Trail, item: str) -> list[str]:
    used = found.used
    assert used is not None  # set with kind "usage"
    lines = [
        f"{item}: {used.munition} used in {used.sector} {narrator.when(used.t)} UTC [ground truth]",
        f"{INDENT}reported {len(found.reports)} time(s)",
    ]
    for report in found.reports[:MAX_REPORTS]:
        lines += _report_block(narrator, trail, report, 1)
        supported = trail.supports.get(report, [])
        if supported:
            lines.append(f"{INDENT * 2}supports: {', '.join(supported)}")
    return lines


@dataclass(frozen=True)
class GraphNode:
    """A box in a provenance graph: a usage, a report, a node the reports passed, an item."""

    id: str
    kind: str  # usage, fabrication, report, contradiction, node, assessment, receiver
    label: str
    layer: int  # left to right: where it stands between the field and the assessment


@dataclass(frozen=True)
class GraphEdge:
    """How one box led to the next (``count`` reports or items took this step)."""

    source: str
    target: str
    label: str
    count: int


@dataclass(frozen=True)
class ProvenanceGraph:
    """The provenance of an item as boxes and arrows: usages → reports → nodes → item."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], int] = {}

    def node(self, id_: str, kind: str, label: str, layer: int) -> str:
        known = self.nodes.get(id_)
        if known is None or layer > known.layer:  # the longest way in: arrows go right
            self.nodes[id_] = GraphNode(id_, kind, label, layer)
        return id_

    def edge(self, source: str, target: str, label: str) -> None:
        key = (source, target, label)
        self.edges[key] = self.edges.get(key, 0) + 1

    def graph(self) -> ProvenanceGraph:
        edges = [GraphEdge(s, t, label, n) for (s, t, label), n in self.edges.items()]
        return ProvenanceGraph(sorted(self.nodes.values(), key=lambda n: n.layer), edges)


def _graph_report(
    builder: _GraphBuilder,
    view: _View,
    report: str,
    kind: str = "report",
) -> None:
    narrator, trail = view.narrator, view.trail
    filed = narrator.reports.get(report)
    label = report if filed is None else f"{report} {filed.collector} ({filed.grade})"
    builder.node(report, kind, label, 1)
    if view.node is not None:
        pass  # where a report truly came from is ground truth
    elif filed is not None and filed.usage is None:
        campaign = narrator.campaigns.get(report)
        source = f"fabricated:{campaign or report}"
        builder.node(source, "fabrication", f"fabricated ({campaign or 'adversary'})", 0)
        builder.edge(source, report, "fabricated")
    elif filed is not None and filed.usage is not None:
        used = narrator.usages.get(filed.usage)
        what = "" if used is None else f" {used[0]} in {used[1]}"
        builder.node(filed.usage, "usage", f"{filed.usage}{what}", 0)
        wrong = used is not None and used[0] != filed.munition
        builder.edge(filed.usage, report, f"misidentified as {filed.munition}" if wrong else "seen")
    for hop, (node, _, via) in enumerate(trail.reached.get(report, [])):
        link = trail.links.get(via or "")
        first = 2 + hop
        if hop == 0 and link is not None:  # seen arriving from a partner: the sender first
            builder.edge(
                report, builder.node(f"node:{_sender(link)}", "node", _sender(link), 2), ""
            )
            first += 1
        target = builder.node(f"node:{node}", "node", node, first)
        if via is None:
            builder.edge(report, target, "filed")
        elif link is not None:
            builder.edge(f"node:{_sender(link)}", target, link)


def _sender(link: str) -> str:
    return link.partition("->")[0]


def _graph(found: _Found, view: _View, item: str) -> ProvenanceGraph:
    builder = _GraphBuilder()
    trail = view.trail
    latest = found.latest
    if view.node is not None and latest is not None and latest.node != view.node:
        return _graph_received(builder, view, item)
    for report in found.reports[:MAX_REPORTS]:
        _graph_report(builder, view, report)
    for report in found.contradicting[:MAX_REPORTS]:
        _graph_report(builder, view, report, "contradiction")
    if found.kind == "assessment" and latest is not None:
        layer = max((n.layer for n in builder.nodes.values()), default=1) + 1
        label = f"{item} {latest.band} ({latest.confidence:.2f})"
        builder.node(item, "assessment", label, layer)
        builder.edge(f"node:{latest.node}", item, "fused")
        builder.node(f"node:{latest.node}", "node", latest.node, layer - 1)
        for node, _, via in trail.reached.get(item, []):
            receiver = builder.node(f"receiver:{node}", "receiver", node, layer + 1)
            builder.edge(item, receiver, trail.links.get(via or "", via or ""))
    return builder.graph()


def _graph_received(builder: _GraphBuilder, view: _View, item: str) -> ProvenanceGraph:
    """A partner's assessment as a node received it: the partner, the item, the node."""
    received = view.trail.received[item]
    sender = _sender(view.trail.links.get(received.via, received.via))
    label = f"{item} {received.band} ({received.confidence:.2f})"
    builder.node(f"node:{sender}", "node", sender, 0)
    builder.node(item, "assessment", label, 1)
    receiver = builder.node(f"receiver:{received.node}", "receiver", received.node, 2)
    builder.edge(f"node:{sender}", item, "sent")
    builder.edge(item, receiver, view.trail.links.get(received.via, received.via))
    return builder.graph()


def explain_events(
    scenario: Scenario, events: Events, item: str, *, as_node: str | None = None
) -> list[str]:
    """Provenance of `item` in words; `events` opens the log afresh for each pass."""
    return explain_many(scenario, events, [item], as_node=as_node)[item].lines


@dataclass(frozen=True)
class Explanation:
    """One item's provenance: the lines ``explain`` prints, and the same story as a graph."""

    lines: list[str]
    graph: ProvenanceGraph


def explain_many(
    scenario: Scenario, events: Events, items: Iterable[str], *, as_node: str | None = None
) -> dict[str, Explanation]:
    """Provenance of every one of `items`, in two passes over the log whatever their number.

    With `as_node`, as that node saw it (see the module docstring); QueryError for an
    item the node never saw.
    """
    return explain_views(scenario, events, {as_node: list(items)})[as_node]


def explain_views(
    scenario: Scenario,
    events: Events,
    items: Mapping[str | None, Iterable[str]],
    told: Told | None = None,
) -> dict[str | None, dict[str, Explanation]]:
    """Provenance of items as each perspective tells it (None: ground truth), in two passes.

    `items` maps a perspective to the items to explain from it; the passes are shared,
    so the cost does not grow with the number of perspectives beyond telling them.
    With `told`, the log as narrators already told it (the same events): nothing is
    narrated again.
    """
    wanted_by = {view: list(asked) for view, asked in items.items()}
    for node in wanted_by:
        if node is not None:
            check_node(scenario, node)
    found = _find(events(), {item for asked in wanted_by.values() for item in asked})
    truth_narrator = Narrator(scenario) if told is None else told.truth
    plain_narrator = Narrator(scenario, reveal_truth=False) if told is None else told.plain
    views = [_View(node, truth_narrator if node is None else plain_narrator) for node in wanted_by]
    reports = {report for f in found.values() for report in f.reports}
    contradicting = {report for f in found.values() for report in f.contradicting}
    _follow(events(), views, set(found) | reports | contradicting, reports, told)
    explained: dict[str | None, dict[str, Explanation]] = {}
    for view in views:
        in_view = explained[view.node] = {}
        for item in wanted_by[view.node]:
            f = found[item]
            in_view[item] = Explanation(_explained(f, view, item), _graph(f, view, item))
    return explained


def _explained(found: _Found, view: _View, item: str) -> list[str]:
    node, trail = view.node, view.trail
    if node is not None:
        _check_seen(found, view, item)
    if found.kind == "assessment":
        issued = found.issued
        if node is None or (issued is not None and issued.node == node):
            return _explain_assessment(found, view, item)
        return _explain_received(found, view, item)
    if found.kind == "report":
        return _explain_report(view.narrator, trail, item, truth=node is None)
    return _explain_usage(found, view.narrator, trail, item)


def _check_seen(found: _Found, view: _View, item: str) -> None:
    """QueryError unless the view's node saw `item` (issued or received it)."""
    node = view.node
    if found.kind == "usage":
        msg = f"{item} is a usage, ground truth: no node sees it (explain it without --as)"
        raise QueryError(msg)
    issued = found.issued
    if issued is not None and issued.node == node:
        return
    if any(arrived == node for arrived, _, _ in view.trail.reached.get(item, [])):
        return
    msg = f"{node} never saw {item} (it neither issued nor received it)"
    raise QueryError(msg)


def _wanted(found: _Found, item: str) -> set[str]:
    """The items whose path an explanation of `item` follows."""
    return {item, *found.reports, *found.contradicting}


def explain(run_dir: Path, item_id: str, *, as_node: str | None = None) -> list[str]:
    """Provenance of an assessment (A-…), report (R…) or usage (U…) of a run, in words.

    Raises LogIntegrityError (after nothing is shown) when the log is incomplete or altered.
    """
    lines, reading = explain_run(open_run(run_dir), item_id, as_node=as_node)
    reading.raise_if_broken()
    return lines


def explain_run(
    source: RunSource, item_id: str, *, as_node: str | None = None
) -> tuple[list[str], LogReading]:
    """Provenance of `item_id` in words, and the checked reading of the log it came from.

    From a sealed log, the lines the item needs, found while another core checks the
    log against its seal (:func:`_explain_sealed`); from any other log, or one that
    fails that check, by the careful reading (:func:`_explain_read`), which says what
    is wrong. With `as_node`, as that node saw it: the item found as above, then a
    whole pass (what the node saw is decided event by event).
    """
    if as_node is not None:
        check_node(source.scenario, as_node)
        return _explain_as_sealed(source, item_id, as_node) or _explain_as(source, item_id, as_node)
    return _explain_sealed(source, item_id) or _explain_read(source, item_id)


def _explain_read(source: RunSource, item_id: str) -> tuple[list[str], LogReading]:
    """:func:`explain_run` the careful way, the definition the sealed search is held to.

    The first pass reads the whole log, checking its chain, but decodes only the lines
    that name the item; later passes only search the same file for the lines naming
    what the item rests on (its reports and their usages). An item not found in a
    broken log is reported as the broken log it is.
    """
    reading = source.reading()
    traced: dict[str, str] = {}  # report -> its true usage, from the sightings read
    try:
        events = _noting(reading.events(select=needles([item_id])), traced)
        found = _find(events, [item_id])[item_id]
    except LogError:
        reading.raise_if_broken()
        _find(source.reading().events(chain=False), [item_id])  # says "did you mean"
        raise
    untraced = [r for r in found.reports if r not in traced]
    if untraced and found.kind != "assessment":  # their sightings come before: another pass
        for _ in _noting(source.reading().events(select=needles(untraced), chain=False), traced):
            pass
    usages = {traced[r] for r in found.reports if r in traced}
    wanted = _wanted(found, item_id)
    narrator = Narrator(source.scenario)
    # an assessment's arithmetic may name anything it weighed (partners' assessments,
    # contradicting reports): follow it through every line; a report or usage through
    # the lines that name it
    select = None if found.kind == "assessment" else needles([*wanted, *usages])
    events = source.reading().events(select=select, chain=False)
    view = _View(None, narrator)
    _follow(events, [view], wanted, set(found.reports))
    return _explained(found, view, item_id), reading


def _explain_sealed(source: RunSource, item_id: str) -> tuple[list[str], LogReading] | None:
    """:func:`explain_run`'s answer for a sealed, intact log, from the lines it needs alone.

    The same events in the same order as the passes of :func:`_explain_read` (the lines
    naming the item; then those naming what it rests on, or every line for an
    assessment), found while a child checks every block of the log against its seal
    (:mod:`sim.store.search`). None whenever that answer might differ from the careful
    one (see :func:`_on_sealed`); the caller then reads the careful way.
    """

    def answer(search: SealedSearch, first: list[ev.Event]) -> list[str] | None:
        traced: dict[str, str] = {}
        found = _find(_noting(first, traced), [item_id])[item_id]
        wanted = _wanted(found, item_id)
        view = _View(None, Narrator(source.scenario))
        if found.kind == "assessment":  # its arithmetic may name anything: every line
            events: Iterable[ev.Event] | None = source.reading().events(chain=False)
        else:
            usages = {traced[r] for r in found.reports if r in traced}
            events = search.events(needles([*wanted, *usages]))
        if events is None:
            return None
        _follow(events, [view], wanted, set(found.reports))
        return _explained(found, view, item_id)

    return _on_sealed(source, item_id, answer)


def _explain_as_sealed(
    source: RunSource, item_id: str, as_node: str
) -> tuple[list[str], LogReading] | None:
    """:func:`_explain_as`'s answer for a sealed, intact log (None as :func:`_on_sealed`).

    Its first pass only finds the item, which the lines naming it tell alone; the
    second, which tells what the node saw, still reads every line (as the careful one),
    and checks what the careful first pass checked of every line, the seal aside: `seq`
    counting up from 0, time never going back, nothing after RunEnded.
    """

    def answer(search: SealedSearch, first: list[ev.Event]) -> list[str] | None:
        disorder: list[int] = []
        every = _in_order(source.reading().events(chain=False), disorder)
        passes = iter([first, every])
        explained = explain_many(source.scenario, lambda: next(passes), [item_id], as_node=as_node)
        return None if disorder else explained[item_id].lines

    return _on_sealed(source, item_id, answer)


def _in_order(events: Iterable[ev.Event], disorder: list[int]) -> Iterator[ev.Event]:
    """`events` while in their log's order (seq from 0, time not going back, nothing
    after RunEnded); at the first that is not, its seq goes into `disorder` and they stop."""
    last_t, ended = float("-inf"), False
    for expected, event in enumerate(events):
        t = event.t
        if event.seq != expected or t < last_t or ended:
            disorder.append(event.seq)
            return
        last_t = t
        ended = type(event) is ev.RunEnded
        yield event


def _on_sealed(
    source: RunSource,
    item_id: str,
    answer: Callable[[SealedSearch, list[ev.Event]], list[str] | None],
) -> tuple[list[str], LogReading] | None:
    """`answer` given the events of the lines naming `item_id`, if the log is as sealed.

    None whenever the answer might differ from the careful reading's: no seal the
    manifest vouches for, a block or the end of the run not as the run wrote it, a line
    that is not an event, an item not in the log or not seen by the node (a LogError or
    QueryError from `answer`). The careful reading then says what is wrong (naming the
    same seq) or what was meant.
    """
    reading = source.reading()
    search = SealedSearch.open(source.log_path, reading.blocks())
    if search is None:
        return None
    with search:
        first = search.events(needles([item_id]))
        if first is None:
            return None
        try:
            lines = answer(search, first)
        except (LogError, QueryError):
            return None
        if lines is None or not search.intact():
            return None
    reading.check_tail()  # the end of the run, as the manifest recorded it
    tail = tail_line(source.log_path)
    if not reading.ok or tail is None or tail[-66:-2] != search.blocks[-1].last_hash:
        return None
    return lines, reading


def _explain_as(source: RunSource, item_id: str, as_node: str) -> tuple[list[str], LogReading]:
    check_node(source.scenario, as_node)
    reading = source.reading()
    passes = iter([reading.events(), source.reading().events(chain=False)])
    try:
        explained = explain_many(source.scenario, lambda: next(passes), [item_id], as_node=as_node)
    except LogError:
        reading.raise_if_broken()
        raise
    return explained[item_id].lines, reading


def _noting(events: Iterable[ev.Event], traced: dict[str, str]) -> Iterator[ev.Event]:
    """Pass events on, noting the true usage of every sighting among them."""
    for event in events:
        if isinstance(event, ev.SightingReported) and event.usage is not None:
            traced[event.report] = event.usage
        yield event
