"""The closed vocabulary of domain events: immutable, past-tense facts about a run.

Events are msgspec Structs, a tagged union on ``type``: constructing one costs about
0.2 µs and encoding is canonical (fields in declaration order), which is what the
per-event hot loop needs (DESIGN.md, performance notes). Users reading logs get the
same schema as pydantic models from :mod:`sim.event_models`.

Every event carries ``seq`` (its place in the log, given when it is recorded: a
numbered copy, since events are frozen) and ``t`` (hours since the scenario's start).
Ground-truth events (what really happened, which no node knows directly) have
``ground_truth = True`` in their class; perspectives leave them out.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec
from msgspec.structs import replace


class Marking(msgspec.Struct, frozen=True, array_like=False):
    """A security marking: classification plus the nations/communities it is releasable to."""

    classification: str
    rel_to: list[str]


class EvidenceLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of an assessment's arithmetic: an independent source, counted once.

    ``source`` is the independence key: a collector, or an artefact group (``debris``:
    every collector examining that physical evidence, at the strongest examination).
    ``llr`` is the natural-log likelihood ratio it adds here, after the
    reliability ``weight`` of each partner assessment it came through (``via``, the
    outermost first; empty when the node analysed the reports itself). ``counts_as`` is
    the source it counts as toward ``min_sources``: the key itself, or the partner node
    whose assessment brought it (a partner's assessment counts as one source).
    """

    source: str
    polarity: str
    grade: str
    llr: float
    weight: float
    counts_as: str
    reports: list[str]
    via: list[str]


class SetAside(msgspec.Struct, frozen=True, kw_only=True):
    """Evidence fusion did not count, and why (``reason``: circular, already-held,
    same-artefact)."""

    source: str
    polarity: str
    grade: str
    reports: list[str]
    via: list[str]
    reason: str


class Event(msgspec.Struct, tag_field="type", tag=True, frozen=True):
    """Base of every domain event: immutable. ``seq`` is -1 until the run records the
    event; the recorder then numbers it (a numbered copy: :func:`numbered`)."""

    seq: int = -1
    t: float = 0.0
    ground_truth: ClassVar[bool] = False
    # fields of an otherwise visible event that only ground truth knows (exports hide them)
    truth_fields: ClassVar[tuple[str, ...]] = ()


class RunStarted(Event, kw_only=True, frozen=True):
    """The run began: scenario identity, seed and horizon."""

    scenario: str
    seed: int
    start: str
    horizon: float


class MunitionUsed(Event, kw_only=True, frozen=True):
    """Ground truth: a DPRK munition was used in a sector."""

    usage: str
    munition: str
    sector: str
    ground_truth: ClassVar[bool] = True


class DisinformationInjected(Event, kw_only=True, frozen=True):
    """Ground truth: an adversary campaign fabricated a report that traces to no usage."""

    campaign: str
    report: str
    node: str
    ground_truth: ClassVar[bool] = True


class SightingReported(Event, kw_only=True, frozen=True):
    """A collector (or a disguised adversary) reported a sighting, or denied one, to its node.

    An indicator of a shipment ("a shipment of KN-23 seen at Rajin") is a sighting too: its
    ``sector`` is the route it was seen on and ``shipment`` the true shipment it traces to."""

    report: str
    collector: str
    node: str
    munition: str
    sector: str
    grade: str
    discipline: str
    usage: str | None
    polarity: str = "supports"
    used_at: float = 0.0
    artefact: str | None = None
    shipment: str | None = None
    truth_fields: ClassVar[tuple[str, ...]] = ("usage", "shipment")


class ReportReceived(Event, kw_only=True, frozen=True):
    """A report entered a node's analysis queue (from a collector or a message)."""

    node: str
    report: str
    via: str | None = None


class AnalysisStarted(Event, kw_only=True, frozen=True):
    """An analyst at the node took the report from the queue."""

    node: str
    report: str


class AnalysisCompleted(Event, kw_only=True, frozen=True):
    """The node finished analysing the report."""

    node: str
    report: str


class AssessmentFacts(Event, kw_only=True, frozen=True):
    """What an assessment says (the fields AssessmentIssued and AssessmentUpdated share)."""

    assessment: str
    node: str
    munition: str
    sector: str
    confidence: float
    band: str
    reports: list[str]
    sources: list[str]
    version: int = 1
    period_start: float = 0.0
    period_end: float = 0.0
    contradicting: list[str] = []
    against: list[str] = []
    prior: float = 0.2
    min_sources: int = 1
    min_confidence: float = 0.0
    evidence: list[EvidenceLine] = []
    set_aside: list[SetAside] = []


class AssessmentIssued(AssessmentFacts, kw_only=True, frozen=True):
    """A node fused reports into an assessment: a munition was used in a sector."""


class AssessmentUpdated(AssessmentFacts, kw_only=True, frozen=True):
    """An assessment's evidence changed its band or the sources it rests on (a new version)."""


class AssessmentReceived(Event, kw_only=True, frozen=True):
    """A node received another node's assessment (the version sent) over a link; at a fusion
    node it is evidence, weighted by the originator's ``reliability``."""

    node: str
    assessment: str
    band: str
    confidence: float
    via: str
    version: int = 1
    reliability: str = "B"


class MessageFacts(Event, kw_only=True, frozen=True):
    """What a message carries (the fields MessageSent and MessageDelivered share)."""

    message: str
    link: str
    item: str
    kind: str
    marking: Marking


class MessageSent(MessageFacts, kw_only=True, frozen=True):
    """A node put an item (report or assessment) on a link under a marking."""

    version: int = 0  # of an assessment: the version it carries (0 for a report)


class MessageHeld(Event, kw_only=True, frozen=True):
    """A message waits at the sending end because the link is down (store and forward)."""

    message: str
    link: str
    item: str
    reason: str


class MessageDelivered(MessageFacts, kw_only=True, frozen=True):
    """A message reached the far end of its link."""


class MessageDropped(Event, kw_only=True, frozen=True):
    """A message was refused or lost, and why (nothing vanishes silently)."""

    message: str
    link: str
    item: str
    reason: str


class MessageIntercepted(Event, kw_only=True, frozen=True):
    """Ground truth: an adversary read a message crossing a compromised link."""

    message: str
    link: str
    item: str
    attack: str
    ground_truth: ClassVar[bool] = True


class LinkDown(Event, kw_only=True, frozen=True):
    """A link stopped carrying messages: a random failure or a cyber attack (`cause`)."""

    link: str
    cause: str


class LinkUp(Event, kw_only=True, frozen=True):
    """A cause of a link's outage ended."""

    link: str
    cause: str


class LinkCompromised(Event, kw_only=True, frozen=True):
    """Ground truth: an adversary began reading a link's traffic."""

    link: str
    attack: str
    ground_truth: ClassVar[bool] = True


class LinkSecured(Event, kw_only=True, frozen=True):
    """Ground truth: a link's compromise ended."""

    link: str
    attack: str
    ground_truth: ClassVar[bool] = True


class ReportExploited(Event, kw_only=True, frozen=True):
    """A node with reference data for the munitions of an origin (``nodes.X.expertise``)
    examined the material behind a report (debris, imagery): the munition and grade before
    and after. When the examination changes what the report says (``outcome`` corrected,
    lookalike, refuted, or confirmed at a stronger grade), it files its reading as a new
    report ``derived`` that supersedes the examined one: the same observation (same
    collector and artefact, so never a second independent source), read anew. The fields
    after ``derived`` describe that new report, as ``SightingReported`` would."""

    node: str
    report: str
    outcome: str
    munition_before: str
    munition_after: str
    grade_before: str
    grade_after: str
    derived: str | None
    collector: str
    sector: str
    discipline: str
    usage: str | None
    polarity: str = "supports"
    used_at: float = 0.0
    artefact: str | None = None
    shipment: str | None = None
    truth_fields: ClassVar[tuple[str, ...]] = ("usage", "shipment")


class ShipmentDeparted(Event, kw_only=True, frozen=True):
    """Ground truth: a DPRK shipment of a munition left on a route (e.g. Rajin -> Dunai by
    sea, Tumangang -> Khasan by rail); it reaches the route's depots after its transit."""

    shipment: str
    munition: str
    route: str
    ground_truth: ClassVar[bool] = True


class ShipmentArrived(Event, kw_only=True, frozen=True):
    """Ground truth: a shipment reached the depots at the end of its route (e.g. Tikhoretsk)."""

    shipment: str
    munition: str
    route: str
    ground_truth: ClassVar[bool] = True


class ConsentRequested(Event, kw_only=True, frozen=True):
    """A node asked the originator of material it holds for consent to pass it on to a
    nation its marking excludes (national material passes on only with the originator's
    consent)."""

    request: str
    node: str
    item: str
    originator: str
    nation: str


class ConsentGranted(Event, kw_only=True, frozen=True):
    """The originator consented: the node may now pass the item on under ``marking``: the
    marking it held widened to the nation asked for, or, for a ``tearline``, the
    originator's sanitised release at a lower classification and wider REL TO."""

    request: str
    node: str
    item: str
    originator: str
    nation: str
    marking: Marking
    tearline: bool = False


class ConsentRefused(Event, kw_only=True, frozen=True):
    """The originator refused: the item does not pass on to that nation from this node."""

    request: str
    node: str
    item: str
    originator: str
    nation: str


class InterventionApplied(Event, kw_only=True, frozen=True):
    """A timed policy change took effect: dotted path -> new value."""

    index: int
    changes: dict[str, Any]


class RunEnded(Event, kw_only=True, frozen=True):
    """The run reached its horizon; the log is complete."""

    reason: str


DomainEvent = (
    RunStarted
    | MunitionUsed
    | DisinformationInjected
    | SightingReported
    | ReportReceived
    | AnalysisStarted
    | AnalysisCompleted
    | AssessmentIssued
    | AssessmentUpdated
    | AssessmentReceived
    | MessageSent
    | MessageHeld
    | MessageDelivered
    | MessageDropped
    | MessageIntercepted
    | LinkDown
    | LinkUp
    | LinkCompromised
    | LinkSecured
    | ReportExploited
    | ShipmentDeparted
    | ShipmentArrived
    | ConsentRequested
    | ConsentGranted
    | ConsentRefused
    | InterventionApplied
    | RunEnded
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        RunStarted,
        MunitionUsed,
        DisinformationInjected,
        SightingReported,
        ReportReceived,
        AnalysisStarted,
        AnalysisCompleted,
        AssessmentIssued,
        AssessmentUpdated,
        AssessmentReceived,
        MessageSent,
        MessageHeld,
        MessageDelivered,
        MessageDropped,
        MessageIntercepted,
        LinkDown,
        LinkUp,
        LinkCompromised,
        LinkSecured,
        ReportExploited,
        ShipmentDeparted,
        ShipmentArrived,
        ConsentRequested,
        ConsentGranted,
        ConsentRefused,
        InterventionApplied,
        RunEnded,
    )
}

GROUND_TRUTH_TYPES = frozenset(name for name, cls in EVENT_TYPES.items() if cls.ground_truth)

ENCODER = msgspec.json.Encoder(order="deterministic")
"""The canonical encoder (fields in declaration order); `encode` is its function form."""

_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(DomainEvent)
DECODER = _decoder
"""The decoder behind :func:`decode`, for loops over many lines (``DECODER.decode``)."""


def numbered(event: Event, seq: int) -> Event:
    """The event as recorded at place `seq` of the log (events are immutable: a copy)."""
    return replace(event, seq=seq)


def encode(event: Event) -> bytes:
    """Canonical JSON bytes of one event (no trailing newline, no hash)."""
    return ENCODER.encode(event)


def decode(line: bytes | str) -> Event:
    """Decode one event line (extra keys such as ``hash`` are ignored); raises msgspec errors."""
    event: Event = _decoder.decode(line)
    return event
