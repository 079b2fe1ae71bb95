"""Reports out of play are forgotten: by evolve (driven by events), the engine and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from sim import events as ev
from sim.analysis.metrics import MetricsProjection, metrics_from_events
from sim.engine import simulate
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.state import evolve, initial_state
from sim.state.model import WorldState
from tests.builders import busy_example, design_example

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module", autouse=True)
def _forget_runs() -> Iterator[None]:
    """The runs are kept for this module's tests only (they are big)."""
    yield
    _run.cache_clear()


def _in_play(state: WorldState) -> set[str]:
    held: set[str] = set()
    for node in state.nodes.values():
        held.update(node.queue)
        held.update(node.busy)
        held.update(item for item, _, holds in node.asked.values() if holds)  # awaiting consent
    for link in state.links.values():
        held.update(item for item in link.in_flight.values() if item in state.holds)
    return held


@cache
def _run(name: str) -> tuple[Scenario, list[ev.Event], object]:
    """A shipped scenario's run: its scenario, events and world. Made once per scenario
    and read by every test below (none changes it): three tests of one run cost one run."""
    loaded = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    events: list[ev.Event] = []
    world = simulate(loaded.scenario, listeners=[events.append])
    return loaded.scenario, events, world


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_state_holds_only_reports_in_play(name: str) -> None:
    _, events, world = _run(name)
    state = world.state  # type: ignore[attr-defined]
    sightings = sum(isinstance(e, ev.SightingReported) for e in events)
    in_play = _in_play(state)
    # what is left: reports in play, and those that left play at the last instant
    assert set(state.reports) == set(state.holds)
    assert in_play <= set(state.reports) <= in_play | set(state.idle)
    assert all(state.holds[r] > 0 for r in in_play)
    for node in state.nodes.values():
        assert node.received <= set(state.reports)
    if sightings > 200:
        assert len(state.reports) < sightings / 4
    # counts survive the forgetting
    received = sum(isinstance(e, ev.ReportReceived) for e in events)
    analysed = sum(isinstance(e, ev.AnalysisCompleted) for e in events)
    assert sum(n.receipts for n in state.nodes.values()) == received
    assert sum(n.analysed for n in state.nodes.values()) == analysed


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_retired_report_never_comes_back(name: str) -> None:
    scenario, events, _ = _run(name)
    state = initial_state(scenario)
    retired: set[str] = set()
    for e in events:
        before = set(state.reports)
        evolve(state, e)
        retired |= before - set(state.reports) - {getattr(e, "report", None)}
        item = getattr(e, "report", None) or getattr(e, "item", None)
        if isinstance(e, ev.ReportReceived | ev.AnalysisStarted | ev.MessageSent):
            assert item not in retired, f"{item} is back after retirement at seq {e.seq}"
    assert retired or not any(isinstance(e, ev.AnalysisCompleted) for e in events)


def test_retirement_waits_for_time_to_move_on() -> None:
    scenario = Scenario.model_validate(busy_example())
    s = initial_state(scenario)
    sighting = ev.SightingReported(
        seq=0,
        t=1.0,
        report="R1",
        collector="c",
        node="UKR-HUR",
        munition="KN-23",
        sector="Kharkiv",
        grade="B2",
        discipline="FORENSIC",
        usage=None,
    )
    marking = ev.Marking("NATO-RESTRICTED", ["NATO", "UKR"])
    link = "UKR-HUR->NATO-JISD"
    steps: list[ev.Event] = [
        sighting,
        ev.ReportReceived(seq=1, t=1.0, node="UKR-HUR", report="R1"),
        ev.AnalysisStarted(seq=2, t=1.0, node="UKR-HUR", report="R1"),
        ev.AnalysisCompleted(seq=3, t=2.0, node="UKR-HUR", report="R1"),
    ]
    for e in steps:
        evolve(s, e)
    assert "R1" in s.reports and s.holds["R1"] == 0  # the node may still forward it now
    evolve(
        s,
        ev.MessageSent(
            seq=4, t=2.0, message="M1", link=link, item="R1", kind="report", marking=marking
        ),
    )
    evolve(s, ev.LinkDown(seq=5, t=3.0, link="NATO-JISD->UKR-HUR", cause="failure"))
    assert "R1" in s.reports and s.nodes["UKR-HUR"].received == {"R1"}  # on the wire
    evolve(
        s,
        ev.MessageDelivered(
            seq=6, t=4.0, message="M1", link=link, item="R1", kind="report", marking=marking
        ),
    )
    evolve(s, ev.ReportReceived(seq=7, t=4.0, node="NATO-JISD", report="R1", via="M1"))
    evolve(s, ev.LinkUp(seq=8, t=5.0, link="NATO-JISD->UKR-HUR", cause="failure"))
    assert s.reports["R1"].received_at == ["UKR-HUR", "NATO-JISD"]  # queued at NATO-JISD
    evolve(s, ev.AnalysisStarted(seq=9, t=5.0, node="NATO-JISD", report="R1"))
    evolve(s, ev.AnalysisCompleted(seq=10, t=6.0, node="NATO-JISD", report="R1"))
    assert "R1" in s.reports
    evolve(s, ev.LinkDown(seq=11, t=7.0, link="NATO-JISD->UKR-HUR", cause="failure"))
    assert "R1" not in s.reports and "R1" not in s.holds and not s.idle
    assert all("R1" not in node.received for node in s.nodes.values())
    assert s.nodes["NATO-JISD"].analysed == 1 and s.nodes["NATO-JISD"].receipts == 1


def test_node_agents_forget_shared_reports() -> None:
    _, _, world = _run("ip4-network")
    state = world.state  # type: ignore[attr-defined]
    for agent in world.nodes.values():  # type: ignore[attr-defined]
        reports = {k for k in agent.sender if k in state.holds or k.startswith("R")}
        assert reports <= _in_play(state)
        assert not any(item in state.holds or item.startswith("R") for item, _, _ in agent.sent)


class _Remembering(MetricsProjection):
    """The metrics projection as it was: it never forgets a report."""

    def _retire(self) -> None:
        self._idle.clear()


@pytest.mark.parametrize("name", SCENARIOS)
def test_metrics_forgetting_changes_no_figure(name: str) -> None:
    scenario, events, _ = _run(name)
    full = _Remembering(scenario)
    for e in events:
        full.apply(e)
    assert metrics_from_events(scenario, events) == full.result()


@pytest.mark.parametrize("make", [design_example, busy_example])
def test_metrics_keep_only_what_assessments_may_need(make: object) -> None:
    raw = make()  # type: ignore[operator]
    raw["nodes"]["NATO-JISD"].pop("fusion")  # no fusion node: no assessment can ever come
    scenario = Scenario.model_validate(raw)
    projection = MetricsProjection(scenario)
    world = simulate(scenario, listeners=[projection.apply])
    assert set(projection._reports) <= set(world.state.reports) | set(projection._idle)
    assert projection.reports > len(projection._reports)
