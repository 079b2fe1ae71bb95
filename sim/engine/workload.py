"""How many events a scenario will produce, estimated from the scenario alone, before it runs.

A typo in a rate (`1000000000000/h`) would otherwise write gigabytes of log for
microseconds of simulated time before anyone notices. The estimate follows what the
engine does with each thing that happens, as expected values:

- a use of a munition is one `MunitionUsed`; every collector watching its sector
  reports it with its detection probability (times the munition's recognisability);
- a report received by a node costs `ReportReceived`, `AnalysisStarted` and
  `AnalysisCompleted`, then flows on by the node's sharing rules: a message is sent
  and delivered (two events) or refused (one), and a node reached for the first time
  analyses it in turn, exactly as the node agent dedupes and re-marks it;
- a fabricated report adds `DisinformationInjected` to what a report costs;
- a node with `expertise` examines the material reports that reach it (`ReportExploited`)
  and may file a re-reading that flows on like a report (counted as if it always does);
- material passed on to a nation its marking excludes costs a consent request and its
  answer first; it flows on when the originator usually grants (`grant` ≥ 0.5);
- a shipment is `ShipmentDeparted` and `ShipmentArrived`; collectors watching its route
  report it as an indicator, which costs what a report costs;
- a fusion node assesses a munition in a sector once a fusion window holds enough
  sources: with reports of that pair arriving at rate r, a window of length w holds
  Poisson(r·w) of them, and a period of length L about L/w windows, of which those
  holding `min_sources` or more lead to an assessment (plus its updates), each shared
  by the node's assessment rules;
- link failures (`LinkDown`/`LinkUp`) from MTBF and MTTR, cyber outages from their
  schedule, held messages and interceptions are small and counted roughly;
- interventions split the run into periods, each estimated with the parameters then
  in force.

It costs a few milliseconds; `tests/test_workload.py` checks it against the events the
shipped scenarios really produce.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from sim.errors import IntelsimError
from sim.limits import DEFAULT_MAX_EVENTS
from sim.scenario.markings import combine, releasable_nations
from sim.scenario.models import Scenario
from sim.scenario.paths import with_changes
from sim.scenario.releasability import Releasability

BYTES_PER_EVENT = 260  # an event line of a shipped scenario's log, on average


class WorkloadError(IntelsimError):
    """A run whose expected size is past the bound asked for."""


@dataclass
class Workload:
    """The expected events of a run, in total and by what causes them."""

    events: float = 2.0  # RunStarted, RunEnded
    usages: float = 0.0
    reports: float = 0.0
    by_source: dict[str, float] = field(default_factory=dict)

    def add(self, source: str, events: float) -> None:
        """Count `events` as caused by `source` (a field path of the scenario)."""
        self.events += events
        self.by_source[source] = self.by_source.get(source, 0.0) + events

    def largest(self) -> tuple[str, float]:
        """The source causing the most events."""
        return max(self.by_source.items(), key=lambda item: item[1], default=("", 0.0))


def _periods(scenario: Scenario) -> Iterator[tuple[Scenario, float, float]]:
    """(parameters in force, from, until) over the run, split at every intervention."""
    horizon = scenario.duration
    order = sorted(range(len(scenario.interventions)), key=lambda i: scenario.interventions[i].at)
    current, start = scenario, 0.0
    for index in order:
        at = min(max(scenario.interventions[index].at, 0.0), horizon)
        if at > start:
            yield current, start, at
            start = at
        current = with_changes(current, dict(scenario.interventions[index].set))
    if horizon > start:
        yield current, start, horizon


def _overlap(a: float, b: float, start: float, end: float) -> float:
    return max(0.0, min(b, end) - max(a, start))


class _Flow:
    """What one report costs at the node it enters, following the sharing rules."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.links = {link.name: link for link in scenario.links}
        self.rules = Releasability(scenario)
        self._cost: dict[str, tuple[float, set[str]]] = {}

    def report(self, origin: str) -> tuple[float, set[str]]:
        """Events caused by one report entering `origin`; the nodes it reaches (analysed)."""
        if origin not in self._cost:
            self._cost[origin] = self._spread(origin, "reports", origin)
        return self._cost[origin]

    def assessment(self, node: str) -> float:
        """Events caused by one assessment issued (or updated) at `node` being shared."""
        return self._spread(node, "assessments", node)[0]

    def _spread(self, origin: str, items: str, first: str) -> tuple[float, set[str]]:
        """Breadth first, as the node agents forward: each node reached once, markings kept."""
        scenario = self.scenario
        per_arrival = 3.0 if items == "reports" else 1.0  # received (+ analysis) or received
        events = per_arrival
        held: dict[str, tuple[str, list[str]] | None] = {first: None}
        sender: dict[str, str | None] = {first: None}
        queue = [first]
        while queue:
            node = queue.pop(0)
            offered = {origin, node, sender[node]}
            for rule in scenario.sharing:
                if rule.from_ != node or rule.items != items:
                    continue
                marking = (rule.marking.classification, list(rule.marking.rel_to))
                before = held[node]
                if before is not None:
                    marking = combine(
                        before, marking, scenario.communities, scenario.classifications
                    )
                for dest in rule.to:
                    if dest in offered:
                        continue
                    offered.add(dest)
                    asked = self._consent(origin, node, dest, before, rule.marking.rel_to)
                    if asked is not None:  # the originator is asked first (sim/engine/consent.py)
                        events += 2.0 + asked  # request, answer; sent and delivered if granted
                        events += 1.0 - asked  # or dropped as refused
                        if asked >= 0.5 and dest not in held:
                            marking = (
                                marking[0],
                                sorted({*marking[1], scenario.nodes[dest].nation}),
                            )
                        else:
                            continue
                    else:
                        events += self._message(node, dest, marking)
                    if dest not in held and self._passes(node, dest, marking):
                        held[dest], sender[dest] = marking, node
                        events += per_arrival
                        queue.append(dest)
        return events, set(held)

    def _consent(
        self,
        origin: str,
        node: str,
        dest: str,
        held: tuple[str, list[str]] | None,
        rule_rel_to: list[str],
    ) -> float | None:
        """The chance of a grant when `node` must ask `origin`'s nation to pass what it
        holds on to `dest`'s nation; None when no one is asked (sim/engine/consent.py)."""
        nodes, communities = self.scenario.nodes, self.scenario.communities
        if held is None or node == origin:
            return None
        nation = nodes[dest].nation
        policy = nodes[origin].consent
        if (
            policy is None
            or nodes[origin].nation == nodes[node].nation
            or nation in releasable_nations(held[1], communities)
            or nation not in releasable_nations(rule_rel_to, communities)
        ):
            return None
        return float(policy.grant)

    def _passes(self, node: str, dest: str, marking: tuple[str, list[str]]) -> bool:
        link = self.links.get(f"{node}->{dest}")
        if link is None or not link.enabled:
            return False
        return self.rules.refusal(link.name, marking[0], marking[1]) is None

    def _message(self, node: str, dest: str, marking: tuple[str, list[str]]) -> float:
        """Sent and delivered (2), or dropped (1)."""
        return 2.0 if self._passes(node, dest, marking) else 1.0


Arrivals = dict[str, dict[tuple[str, str], float]]  # node -> (munition, sector) -> reports


def _period(work: Workload, scenario: Scenario, start: float, end: float) -> None:
    """Add the expected events of [start, end) under `scenario`'s parameters."""
    flow = _Flow(scenario)
    horizon = scenario.duration
    arrivals: Arrivals = {}

    def file(
        source: str,
        node: str,
        pair: tuple[str, str],
        reports: float,
        extra: float,
        discipline: str | None = None,
    ) -> None:
        events, reached = flow.report(node)
        work.reports += reports
        work.add(source, reports * (extra + events))
        for where in reached:
            counts = arrivals.setdefault(where, {})
            counts[pair] = counts.get(pair, 0.0) + reports
            if discipline is not None and _examines(scenario, where, discipline, pair[0]):
                # ReportExploited, and (at most) a re-reading filed there that flows on
                work.add(source, reports * (1.0 + flow.report(where)[0]))

    for i, usage in enumerate(scenario.theater.usage):
        if usage.at is not None:
            uses = float(usage.count) if start <= usage.at < end and usage.at < horizon else 0.0
        else:
            until = usage.until if usage.until is not None else horizon
            uses = (usage.rate or 0.0) * _overlap(usage.from_, until, start, end)
        if uses <= 0:
            continue
        source = f"theater.usage[{i}]"
        work.usages += uses
        work.add(source, uses)
        recognisable = usage.recognisability
        if recognisable is None:
            recognisable = scenario.munitions[usage.munition].recognisability
        for spec in scenario.collectors.values():
            if usage.sector not in spec.sectors:
                continue
            if spec.munitions is not None and usage.munition not in spec.munitions:
                continue
            reports = uses * spec.detection * recognisable
            pair = (usage.munition, usage.sector)
            file(source, spec.node, pair, reports, 1.0, spec.discipline)  # + Sighting
    for i, line in enumerate(scenario.theater.shipments):
        if line.at is not None:
            sent = float(line.count) if start <= line.at < end and line.at < horizon else 0.0
        else:
            until = line.until if line.until is not None else horizon
            sent = (line.rate or 0.0) * _overlap(line.from_, until, start, end)
        if sent <= 0:
            continue
        source = f"theater.shipments[{i}]"
        work.add(source, 2.0 * sent)  # ShipmentDeparted, ShipmentArrived
        for spec in scenario.collectors.values():
            if line.route not in spec.routes:
                continue
            if spec.munitions is not None and line.munition not in spec.munitions:
                continue
            pair = (line.munition, line.route)
            file(source, spec.node, pair, sent * spec.detection, 1.0, spec.discipline)
    for i, campaign in enumerate(scenario.adversary.disinformation):
        until = campaign.until if campaign.until is not None else horizon
        fakes = campaign.rate * _overlap(campaign.from_, until, start, end)
        for sector in campaign.sectors:  # + DisinformationInjected, SightingReported
            share = fakes / len(campaign.sectors)
            file(
                f"adversary.disinformation[{i}]",
                campaign.node,
                (campaign.munition, sector),
                share,
                2.0,
            )
    _assessments(work, scenario, flow, arrivals, end - start)
    for link in scenario.links:
        if link.availability is not None:
            cycle = link.availability.mtbf + link.availability.mttr
            work.add(f"links.{link.name}.availability", 2.0 * (end - start) / cycle)


def _examines(scenario: Scenario, node: str, discipline: str, munition: str) -> bool:
    """Whether `node`'s expertise examines a report of `discipline` naming `munition`
    (sim/engine/exploitation.py)."""
    spec = scenario.nodes[node].expertise
    if spec is None or discipline not in spec.disciplines:
        return False
    munitions = scenario.munitions
    named = munitions.get(munition)
    if named is None:
        return False
    return named.origin == spec.origin or any(
        munitions[x].origin == spec.origin for x in named.looks_like or () if x in munitions
    )


UPDATES = 0.25  # updates per assessment issued (shipped scenarios: 0.15 to 0.3)


def _assessments(
    work: Workload, scenario: Scenario, flow: _Flow, arrivals: Arrivals, length: float
) -> None:
    """Assessments (and their updates and shares) at every fusion node, per Poisson windows."""
    for node, pairs in arrivals.items():
        policy = scenario.nodes[node].fusion
        if policy is None or length <= 0:
            continue
        windows = length / policy.window
        clusters = sum(
            windows * _at_least(policy.min_sources, reports / windows) for reports in pairs.values()
        )
        work.add(f"nodes.{node}.fusion", clusters * (1.0 + UPDATES) * flow.assessment(node))


def _at_least(k: int, mean: float) -> float:
    """P(Poisson(mean) ≥ k)."""
    if mean <= 0:
        return 0.0
    if mean > 50 * k:
        return 1.0
    term = total = math.exp(-mean)
    for i in range(1, k):
        term *= mean / i
        total += term
    return max(0.0, 1.0 - total)


def _cyber(work: Workload, scenario: Scenario) -> None:
    for i, attack in enumerate(scenario.adversary.cyber):
        if attack.at >= scenario.duration:
            continue
        events = 2.0 * len(attack.links) if attack.compromise is not None else 0.0
        if attack.outage is not None:
            outages = 1.0
            if attack.every is not None and attack.until is not None:
                cycle = attack.every.mean + attack.outage.mean
                span = min(attack.until, scenario.duration) - attack.at
                outages += max(0.0, span) / cycle if cycle > 0 else 0.0
            events += 2.0 * outages * len(attack.links)
        work.add(f"adversary.cyber[{i}]", events)


def estimate_events(scenario: Scenario) -> Workload:
    """The expected number of events of one run of `scenario` (as loaded)."""
    work = Workload()
    for current, start, end in _periods(scenario):
        _period(work, current, start, end)
    _cyber(work, scenario)
    work.add("interventions", float(len(scenario.interventions)))
    return work


def check_workload(scenario: Scenario, max_events: int = DEFAULT_MAX_EVENTS) -> Workload:
    """The estimate; WorkloadError (with the estimate and how to go on) past `max_events`."""
    work = estimate_events(scenario)
    if work.events <= max_events:
        return work
    source, events = work.largest()
    share = f"{events / work.events:.0%}" if work.events else "all"
    size = _size(work.events * BYTES_PER_EVENT)
    msg = (
        f"{scenario.name}: one run would produce about {work.events:.3g} events "
        f"({work.usages:.3g} uses of munitions, ~{size} of log), more than the limit of "
        f"{max_events:,}; {share} of them come from {source}. Check the rates and durations, "
        f"or raise the limit with --max-events N"
    )
    raise WorkloadError(msg)


def _size(nbytes: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if nbytes < 1000:
            return f"{nbytes:.3g} {unit}"
        nbytes /= 1000
    return f"{nbytes:.3g} EB"
