"""The domain state that events fold into: what each node holds, queues, links, assessments.

Plain mutable dataclasses: the fold updates them in place for speed (a run applies
hundreds of thousands of events), but only :func:`sim.state.evolve.evolve` ever
changes them, so replaying a log rebuilds exactly the live state (a test asserts it).

The parameters in force are state too: ``WorldState.scenario`` is the scenario as the
interventions so far have changed it (immutable, replaced whole by evolve on
``InterventionApplied``). The engine's agents, the metrics projection and `verify` read
it from here. A node's ``analysts`` and ``fusion`` and a link's ``enabled`` are copies of
it kept beside the queues they govern, for the per-event hot path; evolve writes both.

The state holds a report only while it is *in play*: waiting in a node's queue, under
analysis, or riding a message (sent, not yet delivered or dropped). ``WorldState.holds``
counts those places per report; once a report's count has fallen to 0 and the clock
moves on, evolve retires it (see ``sim.state.evolve``), so memory does not grow with
every report of a long run.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import msgspec

from sim.events import EvidenceLine, Marking
from sim.fusion import ClusterIndex, FusionPolicy
from sim.scenario.models import Scenario


class Report(msgspec.Struct):
    """What the world knows of one report (its origin; ground truth in `usage`).

    A msgspec struct, not a dataclass: one is made per sighting in the hot loop of a run
    and of every fold, and a struct is built about four times faster.
    """

    report: str
    collector: str
    node: str
    munition: str
    sector: str
    grade: str
    discipline: str
    usage: str | None
    t: float
    polarity: str = "supports"
    used_at: float = 0.0  # the time of use it claims
    artefact: str | None = None  # the physical evidence group its collector examines
    received_at: list[str] = msgspec.field(default_factory=list)  # nodes it entered, in order
    shipment: str | None = None  # an indicator: the shipment it truly traces to
    supersedes: str | None = None  # an exploitation's reading: the report it read anew
    was: str | None = None  # ... and the munition that report named
    outcome: str | None = None  # ... and what the reading found (ReportExploited.outcome)


@dataclass(slots=True)
class Assessment:
    """An assessment as issued (and last updated) by its node.

    ``versions[v - 1]`` holds the evidence lines of version ``v``: a receiver weighs the
    version it was sent, whatever the originator has published since.
    """

    assessment: str
    node: str
    munition: str
    sector: str
    confidence: float
    band: str
    reports: list[str]
    sources: list[str]
    issued: float
    updated: float
    period: tuple[float, float] = (0.0, 0.0)
    versions: list[tuple[EvidenceLine, ...]] = field(default_factory=list)


@dataclass(slots=True)
class NodeState:
    """One intelligence node: its analysis queue, analysts and what it holds."""

    name: str
    nation: str
    analysts: int  # in force (a copy of the scenario in force)
    fusion: FusionPolicy | None  # in force (a copy of the scenario in force)
    queue: deque[str] = field(default_factory=deque)
    busy: set[str] = field(default_factory=set)
    received: set[str] = field(default_factory=set)  # reports received and still in play
    receipts: int = 0  # reports received in all
    analysed: int = 0  # reports analysed in all
    clusters: ClusterIndex = field(default_factory=ClusterIndex)
    assessments: dict[str, str] = field(default_factory=dict)  # id -> band, issued here
    known_assessments: dict[str, str] = field(default_factory=dict)  # id -> band, received
    known_versions: dict[str, int] = field(default_factory=dict)  # id -> latest version received
    # consent: requests awaiting the originator's answer (request -> item, nation, whether
    # the request holds a report in play), and the markings granted, by (item, nation)
    asked: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    granted: dict[tuple[str, str], Marking] = field(default_factory=dict)
    exploited: int = 0  # reports whose material it examined


@dataclass(slots=True)
class LinkState:
    """One directed link: why it is down, who reads it, what crosses it."""

    name: str
    enabled: bool = True  # in force (a copy of the scenario in force)
    down: set[str] = field(default_factory=set)  # active outage causes
    compromised: set[str] = field(default_factory=set)  # active attacks
    in_flight: dict[str, str] = field(default_factory=dict)  # message -> item
    held: set[str] = field(default_factory=set)  # messages waiting for the link

    @property
    def up(self) -> bool:
        return self.enabled and not self.down


@dataclass(slots=True)
class WorldState:
    """Everything the run has established so far, and the parameters in force."""

    scenario: Scenario  # the scenario in force: as interventions have changed it so far
    t: float = 0.0
    seq: int = -1
    started: bool = False
    ended: bool = False
    usages: int = 0
    nodes: dict[str, NodeState] = field(default_factory=dict)
    links: dict[str, LinkState] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)  # reports in play
    # report -> how many queues, analyses and messages in flight hold it
    holds: dict[str, int] = field(default_factory=dict)
    # reports whose count fell to 0 at time `t`: retired when an event with a later t comes
    idle: list[str] = field(default_factory=list)
    assessments: dict[str, Assessment] = field(default_factory=dict)


def fusion_policy(scenario: Scenario, node: str) -> FusionPolicy | None:
    """The fusion policy of a node as the pure fusion rules want it, or None."""
    spec = scenario.nodes[node].fusion
    if spec is None:
        return None
    bar = spec.warnings
    warning = None
    if bar is not None:
        window = spec.window if bar.window is None else bar.window
        warning = (window, bar.min_sources, bar.min_confidence)
    return FusionPolicy(
        window=spec.window,
        min_sources=spec.min_sources,
        min_confidence=spec.min_confidence,
        prior=spec.prior,
        routes=frozenset(scenario.theater.routes),
        warning=warning,
    )


def initial_state(scenario: Scenario) -> WorldState:
    """The state before the first event: nodes and links as the scenario declares them."""
    state = WorldState(scenario)
    for name, node in scenario.nodes.items():
        state.nodes[name] = NodeState(
            name=name,
            nation=node.nation,
            analysts=node.analysts,
            fusion=fusion_policy(scenario, name),
        )
    for link in scenario.links:
        state.links[link.name] = LinkState(name=link.name, enabled=link.enabled)
    return state
