"""What the teaching scenario must show, found in a run's events (never in the narrator's
sentences): each function returns the events that show it, empty when the run does not.

Shared by the scenario's tests and the lesson pack's tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sim import events as ev
from sim.engine.build import simulate
from sim.experiments.run import run_in_memory
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching-minimal.yaml"
ROK = "KOR-NIS"
NATO = "NATO-JISD"
HUR = "UKR-HUR"


@dataclass
class Run:
    """One run kept in memory: its scenario and every event."""

    scenario: Scenario
    events: list[ev.Event]
    metrics: dict[str, Any]


def run(path: Path = TEACHING, overrides: Sequence[str] = (), seed: int | None = None) -> Run:
    """Run a scenario in memory (no log written), keeping its events and metrics."""
    loaded = load_scenario(path, list(overrides))
    events: list[ev.Event] = []
    world = simulate(loaded.scenario, seed=seed, listeners=[events.append])
    del world
    return Run(loaded.scenario, events, {})


def metrics(path: Path = TEACHING, overrides: Sequence[str] = (), seed: int | None = None) -> Any:
    """The metrics of a run in memory."""
    loaded = load_scenario(path, list(overrides))
    return run_in_memory(loaded.scenario, seed=seed)


E = TypeVar("E", bound=ev.Event)


def _of(events: Iterable[ev.Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def rok_links(events: Sequence[ev.Event]) -> list[ev.MessageDelivered]:
    """Messages delivered both ways between KOR-NIS and NATO-JISD (one of each, at least)."""
    there = [e for e in _of(events, ev.MessageDelivered) if e.link == f"{NATO}->{ROK}"]
    back = [e for e in _of(events, ev.MessageDelivered) if e.link == f"{ROK}->{NATO}"]
    return there[:1] + back[:1] if there and back else []


def releasability_drops(events: Sequence[ev.Event]) -> list[ev.MessageDropped]:
    """Messages to KOR-NIS dropped because their REL TO excludes Korea."""
    return [
        e
        for e in _of(events, ev.MessageDropped)
        if e.reason == "not-releasable" and e.link.endswith(f"->{ROK}")
    ]


def corrected_misidentifications(events: Sequence[ev.Event]) -> list[ev.ReportExploited]:
    """KOR-NIS's corrections of reports that named the wrong munition, whose re-reading
    (naming the munition truly used) then reached NATO-JISD."""
    used = {e.usage: e.munition for e in _of(events, ev.MunitionUsed)}
    misnamed = {
        e.report
        for e in _of(events, ev.SightingReported)
        if e.usage is not None and used.get(e.usage) not in (None, e.munition)
    }
    reached = {e.item for e in _of(events, ev.MessageDelivered) if e.link.endswith(f"->{NATO}")}
    return [
        e
        for e in _of(events, ev.ReportExploited)
        if e.node == ROK
        and e.outcome == "corrected"
        and e.report in misnamed
        and e.usage is not None
        and e.munition_after == used[e.usage]
        and e.derived in reached
    ]


def circular_reporting_caught(events: Sequence[ev.Event]) -> list[ev.AssessmentFacts]:
    """Assessment versions that set aside a partner's line resting on the node's own
    reports (its collectors filed them there): circular reporting, counted once."""
    filed_at = {e.report: e.node for e in _of(events, ev.SightingReported)}
    caught: list[ev.AssessmentFacts] = []
    for e in events:
        if not isinstance(e, ev.AssessmentIssued | ev.AssessmentUpdated):
            continue
        if any(
            s.reason == "already-held"
            and s.via
            and s.reports
            and all(filed_at.get(r) == e.node for r in s.reports)
            for s in e.set_aside
        ):
            caught.append(e)
    return caught


def denials_weighed(events: Sequence[ev.Event]) -> list[ev.AssessmentFacts]:
    """Assessment versions that weighed a fabricated denial as contradicting evidence."""
    denials = {
        e.report
        for e in _of(events, ev.SightingReported)
        if e.polarity == "contradicts" and e.usage is None
    }
    fabricated = {e.report for e in _of(events, ev.DisinformationInjected)}
    return [
        e
        for e in events
        if isinstance(e, ev.AssessmentIssued | ev.AssessmentUpdated)
        and any(r in denials & fabricated for r in e.contradicting)
    ]


def stored_and_forwarded(events: Sequence[ev.Event]) -> list[ev.MessageDelivered]:
    """Messages held while their link was down and delivered after it came back up."""
    up: dict[str, list[float]] = {}
    for e in _of(events, ev.LinkUp):
        up.setdefault(e.link, []).append(e.t)
    held = {e.message: e for e in _of(events, ev.MessageHeld) if e.reason == "link-down"}
    return [
        e
        for e in _of(events, ev.MessageDelivered)
        if e.message in held
        and any(held[e.message].t <= t_up <= e.t for t_up in up.get(e.link, []))
    ]


def interventions(events: Sequence[ev.Event]) -> list[ev.InterventionApplied]:
    """Interventions applied during the run."""
    return _of(events, ev.InterventionApplied)
