"""The scenario language: pydantic models of every section a scenario file may hold.

Field names are the contract of DESIGN.md. Values are normalised on load: durations
and times to hours, rates to events per hour. Cross-references (a link's endpoints,
a collector's node, …) are checked separately in :mod:`sim.scenario.references`, so
every broken reference is reported with its own field path.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sim.scenario.distributions import Distribution, Hours
from sim.scenario.markings import CLASSIFICATIONS
from sim.scenario.numbers import SEED_LIMIT, Flag, Moment, Probability, Real, Whole
from sim.scenario.units import parse_rate

PerHour = Annotated[float, BeforeValidator(parse_rate)]


def one_or_many(value: Any) -> Any:
    """One name written alone means a list of one (`to: NATO-JISD`)."""
    return [value] if isinstance(value, str) else value


Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_:+ -]*$")]

DISCIPLINES = ("FORENSIC", "OSINT", "IMINT", "HUMINT", "SIGINT", "MASINT", "GEOINT", "OFFICIAL")
Discipline = Literal[
    "FORENSIC", "OSINT", "IMINT", "HUMINT", "SIGINT", "MASINT", "GEOINT", "OFFICIAL"
]
Grade = Annotated[str, Field(pattern=r"^[A-F][1-6]$", description="Admiralty code, e.g. B2")]
Reliability = Literal["A", "B", "C", "D", "E", "F"]


def link_name(src: str, dst: str) -> str:
    """The name of the directed link from src to dst, as used in paths and events."""
    return f"{src}->{dst}"


class Section(BaseModel):
    """Base of every scenario section: unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Munition(Section):
    """A munition type whose use in Ukraine is monitored."""

    origin: str = Field("DPRK", description="the state that made it")
    category: str = Field(description="e.g. ballistic-missile, artillery-shell, rocket")
    recognisability: Probability = Field(
        1.0,
        description="chance a detected use leaves enough to attribute it (debris recovered, "
        "markings legible); multiplies each collector's detection",
    )
    looks_like: list[str] | None = Field(
        None,
        description="munitions it is mistaken for: a misidentification names one of these "
        "(default: any other munition of the scenario)",
    )


class _Timed(Section):
    """What happens at a rate over a window, or `count` times at a scripted time `at`."""

    rate: PerHour | None = Field(None, description='how often, e.g. "0.5/d"')
    from_: Hours = Field(0.0, alias="from", description="start of the window (time since start)")
    until: Hours | None = Field(None, description="end of the window; default: end of the run")
    at: Hours | None = Field(
        None, description="a scripted occurrence at this time (instead of `rate`)"
    )
    count: Whole = Field(1, ge=1, le=10_000, description="with `at`: how many at once")

    @model_validator(mode="after")
    def _rate_or_at(self) -> _Timed:
        if (self.rate is None) == (self.at is None):
            raise ValueError("give either `rate` (Poisson) or `at` (a scripted time), not both")
        if self.at is not None and ("from_" in self.model_fields_set or self.until is not None):
            raise ValueError("a scripted occurrence (`at`) has no `from`/`until` window")
        if self.rate is not None and self.count != 1:
            raise ValueError("`count` goes with `at` (a Poisson line has a rate instead)")
        return self


class Usage(_Timed):
    """Ground truth: use of one munition in one sector, either Poisson at a rate over a
    window, or scripted: `count` uses at the time `at` (a documented strike)."""

    munition: str
    sector: str
    recognisability: Probability | None = Field(
        None,
        description="for these uses, instead of the munition's: e.g. 1 for a documented "
        "strike whose debris was shown",
    )


class Route(Section):
    """A supply route from the DPRK to Russia (e.g. Rajin -> Dunai by sea, Tumangang ->
    Khasan by rail): shipments on it reach its depots after `transit`."""

    description: str = Field("", description="free text: ports, crossings, depots")
    transit: Distribution = Field(description="departure to arrival at the route's depots")


class Shipment(_Timed):
    """Ground truth: shipments of one munition on one route, Poisson at a rate over a window,
    or scripted (`count` shipments at `at`). Collectors watching the route may see them."""

    munition: str
    route: str


class Theater(Section):
    """Where munitions are used and how often (ground truth)."""

    sectors: list[Name] = Field(
        min_length=1, description="the sectors where munitions are used and watched"
    )
    usage: list[Usage] = Field(
        default_factory=list, description="ground-truth usage lines; overlapping lines add up"
    )
    routes: dict[Name, Route] = Field(
        default_factory=dict, description="supply routes by name (shipments travel on them)"
    )
    shipments: list[Shipment] = Field(
        default_factory=list, description="ground-truth shipment lines, ahead of use"
    )

    @field_validator("sectors")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        dupes = sorted({s for s in value if value.count(s) > 1})
        if dupes:
            raise ValueError(f"sector names must be unique; repeated: {', '.join(dupes)}")
        return value


class WarningBar(Section):
    """How a node judges indicators of shipments on a supply route into a warning: warning
    is given on less than an assessment of use needs (a missed warning costs more than a
    false one), and a shipment's indicators may be spread over its transit."""

    window: Hours | None = Field(
        None, description="indicators further apart start a new warning; default: fusion.window"
    )
    min_sources: Whole = Field(1, ge=1, description="independent sources needed to warn")
    min_confidence: Probability = Field(0.4, description="confidence needed to warn")


class Fusion(Section):
    """How a node correlates analysed reports into assessments."""

    window: Hours = Field(72.0, gt=0, description="reports further apart start a new cluster")
    min_sources: Whole = Field(2, ge=1, description="independent sources needed to assess")
    min_confidence: Probability = Field(0.6, description="confidence needed to assess")
    prior: Real = Field(0.2, gt=0.0, lt=1.0, description="confidence before any report")
    warnings: WarningBar | None = Field(
        None,
        description="the bar for a warning (an assessment of shipments on a supply route, "
        "from indicators); default: the same as for use",
    )


# what an exploitation's finding did to the report it re-read (a re-reading's outcome)
Outcome = Literal["confirmed", "corrected", "lookalike", "refuted"]

_MATERIAL: list[Discipline] = ["FORENSIC", "IMINT"]  # disciplines whose reports carry material


class Expertise(Section):
    """Reference data for the munitions of one origin (markings, lot numbers, how KN-23
    debris differs from an Iskander's), and what examining material with it does."""

    origin: str = Field(description="the origin whose munitions it knows, e.g. DPRK")
    disciplines: list[Discipline] = Field(
        default_factory=lambda: _MATERIAL.copy(),
        min_length=1,
        description="reports of these disciplines carry material it can examine",
    )
    delay: Distribution = Field(description="time from analysing a report to its finding")
    correct: Probability = Field(
        0.8, description="chance a report naming the wrong munition of the origin is corrected"
    )
    lookalike: Probability = Field(
        0.8,
        description="chance a use of another origin named as one of the origin's munitions "
        "(an Iskander taken for a KN-23) is recognised as such",
    )
    refute: Probability = Field(
        0.0, description="chance a fabricated report's claimed material is shown not to fit"
    )
    grade: Grade = Field(
        "B2", description="the grade of its finding (credibility raised to it, never lowered)"
    )


class Tearline(Section):
    """A sanitised release: the originator's finding without what would reveal its sources,
    at a lower classification and a wider REL TO."""

    probability: Probability = Field(description="share of grants given as a tearline")
    classification: str = Field(description="the tearline's classification")
    rel_to: list[str] = Field(min_length=1, description="who the tearline is releasable to")
    delay: Distribution | None = Field(
        None, description="time to write the tearline, on top of the consent delay"
    )


class Consent(Section):
    """How a node, as originator, answers a request to pass its material on to a nation
    its marking excludes (national material passes on only with the originator's consent)."""

    delay: Distribution = Field(description="time from the request to the answer")
    grant: Probability = Field(description="chance the answer is yes")
    tearline: Tearline | None = Field(
        None, description="grant some requests as a sanitised tearline instead"
    )


class Node(Section):
    """An intelligence node: analyses reports in arrival order with `analysts` servers."""

    nation: str = Field(description="a nation code (an organisation like NATO counts as one)")
    description: str = Field("", description="free text")
    analysts: Whole = Field(
        ge=1, le=10_000, description="analysts working in parallel: servers of its FIFO queue"
    )
    analysis_time: Distribution = Field(description="time one analyst spends on one report")
    finding_time: Distribution | None = Field(
        None,
        description="time one analyst spends reading a partner's finding (an exploitation's "
        "re-reading) of a report the node already holds: the claim is known, only the "
        "reading changes; default: a tenth of analysis_time",
    )
    fusion: Fusion | None = Field(
        None, description="correlate reports into assessments; none: analyse and forward only"
    )
    clearance: str = Field("COSMIC-TOP-SECRET", description="highest classification it may hold")
    reliability: Reliability = Field(
        "B",
        description="how partners grade its assessments (Admiralty source reliability A-F); "
        "its assessments weigh that much as evidence at other fusion nodes",
    )
    expertise: Expertise | None = Field(
        None, description="reference data it examines reports' material with (exploitation)"
    )
    consent: Consent | None = Field(
        None,
        description="as originator, how it answers requests to pass its material on; "
        "none: it is never asked, and its material stays where its marking allows",
    )


class Availability(Section):
    """Random failures of a link: exponential up times (mtbf) and repair times (mttr)."""

    mtbf: Hours = Field(gt=0, description="mean time between failures")
    mttr: Hours = Field(gt=0, description="mean time to repair")


class Link(Section):
    """A directed channel between two nodes."""

    from_: str = Field(alias="from", description="the sending node")
    to: str = Field(description="the receiving node")
    latency: Distribution = Field(description="transit time of one message")
    capacity: PerHour | None = Field(
        None, description='messages per time, e.g. "40/d"; leave it out for no limit'
    )
    availability: Availability | None = Field(
        None, description="random failures; none: it never fails by itself"
    )
    max_classification: str = Field(
        "NATO-SECRET", description="highest classification it may carry"
    )
    enabled: Flag = Field(True, description="false: closed by policy, messages are dropped")
    public: Flag = Field(False, description="public-facing (exposed to DDoS)")
    on_outage: Literal["hold", "drop"] = Field(
        "hold", description="hold: store and forward when back up; drop: refuse while down"
    )

    @field_validator("capacity")
    @classmethod
    def _carries_something(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError(
                "a capacity of 0 would carry nothing; leave `capacity` out for no limit"
            )
        return value

    @property
    def name(self) -> str:
        return link_name(self.from_, self.to)


class Collector(Section):
    """A source that reports sightings of munition use to a node."""

    node: str = Field(description="the node its reports go to")
    discipline: Discipline = Field(description="its intelligence discipline")
    sectors: list[str] = Field(default_factory=list, description="the sectors it watches")
    routes: list[str] = Field(
        default_factory=list, description="the supply routes it watches for shipments"
    )
    detection: Probability = Field(
        description="chance that one usage in a watched sector yields a report from it"
    )
    delay: Distribution = Field(description="time from the usage to the report")
    grade: Grade
    misidentification: Probability = Field(
        0.0, description="chance a report names another munition of the scenario"
    )
    munitions: list[str] | None = Field(None, description="what it can report; default: all")
    evidence: Name | None = Field(
        None,
        description="the physical evidence it examines (e.g. debris): collectors declaring "
        "the same group count as one source for one use",
    )

    @model_validator(mode="after")
    def _watches_something(self) -> Collector:
        if not self.sectors and not self.routes:
            raise ValueError("a collector watches `sectors`, `routes` or both; give one")
        return self


class Marking(Section):
    """Classification plus the nations or communities an item is releasable to."""

    classification: str = Field(description="a classification of the ladder")
    rel_to: list[str] = Field(
        min_length=1, description="nations or communities the item is releasable to"
    )


class SharingRule(Section):
    """Which items a node forwards to which nodes, under what marking."""

    from_: str = Field(alias="from", description="the sending node")
    to: Annotated[list[str], BeforeValidator(one_or_many)] = Field(
        min_length=1, description="receiving nodes (one name or a list), each over its link"
    )
    items: Literal["reports", "assessments", "findings"] = Field(
        description="reports once analysed, assessments when issued or updated, or findings: "
        "the node's re-readings of reports' material (technical exploitation), when made"
    )
    marking: Marking = Field(
        description="marking of what is sent; re-sharing never loosens an item's marking"
    )
    threshold: Probability | None = Field(
        None, description="assessments: forward only at or above this confidence"
    )
    disciplines: list[Discipline] | None = Field(
        None, description="reports or findings: only those of these disciplines; default: all"
    )
    outcomes: list[Outcome] | None = Field(
        None,
        description="reports or findings: only re-readings (an exploitation's findings) with "
        "these outcomes, e.g. those that change the claim [corrected, lookalike, refuted]; "
        "no other report passes; default: every report",
    )


class Disinformation(Section):
    """An adversary campaign feeding a node fabricated sightings or denials."""

    name: Name = Field(description="the campaign's name")
    node: str = Field(description="the node its fabricated sightings are fed to")
    claim: Literal["fabrication", "denial"] = Field(
        "fabrication",
        description="fabrication: false sightings that support an untrue claim; denial: "
        "reports that contradict it (not DPRK, an Iskander, staged)",
    )
    discipline: Discipline = Field("OSINT", description="the discipline the fakes claim")
    rate: PerHour = Field(description="fabricated sightings per time")
    munition: str = Field(description="the munition the fakes name")
    sectors: list[str] = Field(
        min_length=1, description="the sectors the fakes name (one drawn at random per fake)"
    )
    grade: Grade = Field("E5", description="the Admiralty code the fakes carry")
    source: str | None = Field(
        None, description="the source it pretends to be (spoofing); default: its own name"
    )
    evidence: Name | None = Field(
        None,
        description="the physical evidence its fakes claim to rest on; default: that of the "
        "collector it pretends to be",
    )
    backdate: Distribution | None = Field(
        None, description="how long before it appears the use it claims happened; default: 0"
    )
    from_: Hours = Field(0.0, alias="from", description="when the campaign starts")
    until: Hours | None = Field(None, description="when it stops; default: end of the run")


class Cyber(Section):
    """An attack on links: outages (e.g. a DDoS) and/or a compromise that leaks traffic."""

    # one of `link` or `links` is required (the JSON Schema says so too)
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["link"]}, {"required": ["links"]}]}
    )

    name: Name = Field(description="the attack's name; outages are caused by `cyber:NAME`")
    link: str | None = Field(
        None, description='one link "FROM->TO" (short for `links: [FROM->TO]`)'
    )
    links: list[str] = Field(
        default_factory=list, description='links as "FROM->TO" (or one, as `link`)'
    )
    at: Hours = Field(description="when the attack begins")
    outage: Distribution | None = Field(None, description="how long each outage lasts")
    every: Distribution | None = Field(None, description="repeat outages this often until `until`")
    until: Hours | None = Field(None, description="when repeated outages stop")
    compromise: Hours | None = Field(None, description="how long traffic is read by the adversary")

    @model_validator(mode="before")
    @classmethod
    def _one_link(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("link"), str):
            if "links" in data:
                raise ValueError("give `link` (one) or `links` (a list), not both")
            data = {**data, "links": [data["link"]]}
            del data["link"]
        return data

    @model_validator(mode="after")
    def _does_something(self) -> Cyber:
        if not self.links:
            raise ValueError("name the links it attacks: `link: FROM->TO` or `links: [...]`")
        if self.outage is None and self.compromise is None:
            raise ValueError("a cyber attack needs `outage` or `compromise` (or both)")
        if self.every is not None and self.until is None:
            raise ValueError("`every` needs `until` (when the campaign stops)")
        if self.every is not None and self.every.mean <= 0:
            raise ValueError("`every` must be longer than 0 (outages need time between them)")
        return self


class Adversary(Section):
    """Disinformation campaigns and cyber attacks."""

    disinformation: list[Disinformation] = Field(
        default_factory=list, description="campaigns of fabricated sightings"
    )
    cyber: list[Cyber] = Field(default_factory=list, description="attacks on links")


class MetricsSpec(Section):
    """How the run's metrics count knowledge (docs/event-log.md, "Metrics")."""

    episode: Hours = Field(
        default=168.0, gt=0, description="episode length: a munition in a sector in this window"
    )
    origin: str = Field(default="DPRK", description="the origin whose munitions' use is watched")
    partner: str = Field(
        default="KOR",
        description="the nation whose material (assessments, exploitation findings) is "
        "followed to the nodes that benefit from it",
    )


def _or_a_date(schema: dict[str, Any]) -> None:
    """The published schema admits a calendar date or date-time where a time is written."""
    described = schema.pop("description", None)
    title = schema.pop("title", None)
    inner = dict(schema)
    schema.clear()
    schema["anyOf"] = [
        inner,
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ]
    if title is not None:
        schema["title"] = title
    if described is not None:
        schema["description"] = described


class Intervention(Section):
    """A timed change of parameters, by the same dotted paths as `--set`."""

    at: Hours = Field(
        description="when the changes take effect: a time since the start (14d) or a UTC "
        "date or date-time (2024-10-28): a schedule of what changed on which day",
        json_schema_extra=_or_a_date,
    )
    set: dict[str, Any] = Field(min_length=1, description="dotted path -> new value, as `--set`")
    note: str = Field("", description="why, shown in the timeline")


class Scenario(Section):
    """A whole scenario file."""

    schema_: str | None = Field(None, alias="$schema", description="for editors; ignored")
    name: Name = Field(description="the scenario's name; run directories start with it")
    description: str = Field("", description="what the scenario shows or asks")
    extends: str | None = Field(None, description="base scenario (path relative to this file)")
    start: Moment = Field(description="the UTC date-time of t = 0 (no zone means UTC)")
    duration: Hours = Field(gt=0, description="the horizon: how long the run lasts")
    seed: Whole = Field(0, ge=0, lt=SEED_LIMIT, description="root of every random stream")
    communities: dict[str, list[str]] = Field(
        default_factory=dict, description="community -> member nation codes, for REL TO"
    )
    nations: dict[str, str] = Field(min_length=1, description="nation code -> full name")
    classifications: list[str] = Field(
        default_factory=lambda: list(CLASSIFICATIONS),
        description="classification ladder, lowest first",
    )
    munitions: dict[str, Munition] = Field(min_length=1, description="munition types by name")
    theater: Theater = Field(description="sectors and ground-truth usage")
    nodes: dict[str, Node] = Field(min_length=1, description="intelligence nodes by name")
    links: list[Link] = Field(
        default_factory=list, description='directed channels; or a mapping "FROM->TO" -> link'
    )
    collectors: dict[str, Collector] = Field(default_factory=dict, description="sources by name")
    sharing: list[SharingRule] = Field(
        default_factory=list, description="who forwards what to whom, under what marking"
    )
    adversary: Adversary = Field(
        default_factory=Adversary, description="disinformation campaigns and cyber attacks"
    )
    interventions: list[Intervention] = Field(
        default_factory=list, description="timed changes of parameters"
    )
    metrics: MetricsSpec = Field(
        default_factory=MetricsSpec, description="how knowledge is counted in the metrics"
    )

    @model_validator(mode="before")
    @classmethod
    def _dates_to_hours(cls, data: Any) -> Any:
        """Interventions dated by the calendar (`at: 2024-10-28`): hours since `start`."""
        if not isinstance(data, dict) or not isinstance(data.get("interventions"), list):
            return data
        start = as_utc(data.get("start"))
        if start is None:
            return data
        dated = []
        for item in data["interventions"]:
            when = as_utc(item.get("at")) if isinstance(item, dict) else None
            if when is not None:
                hours = (when - start).total_seconds() / 3600.0
                shown = item["at"]
                item = {**item, "at": hours if hours >= 0 else f"{shown} (before the start)"}
            dated.append(item)
        return {**data, "interventions": dated}

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def link(self, name: str) -> Link:
        """The link called "FROM->TO"; KeyError if none."""
        for link in self.links:
            if link.name == name:
                return link
        raise KeyError(name)


def as_utc(value: Any) -> datetime | None:
    """A calendar date or date-time as written (YAML date, datetime, ISO text), in UTC;
    None for anything else (a duration such as "14d", a number of hours)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and _CALENDAR.match(value.strip()):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_CALENDAR = re.compile(r"^\d{4}-\d{2}-\d{2}")
