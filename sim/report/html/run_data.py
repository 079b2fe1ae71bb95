"""Everything the run report's page needs, computed from the projections in one pass.

One streaming pass over the log feeds, event by event: the fold (state deltas, as
``replay`` describes the state), both narrators (the timeline lines and who saw
them), the message trips, and the metrics projection (sampled over time). Then
provenance explains every assessment in two more passes (``explain``'s own code).
The result is a JSON-ready dict of columns: names interned, times as integer ticks,
sequences delta-encoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.analysis.provenance import explain_views
from sim.analysis.replay import describe_state, fold, load_run
from sim.events import AssessmentIssued, AssessmentReceived, Event, RunEnded
from sim.report.glossary import glossary
from sim.report.html.layout import positions
from sim.report.html.provenance import ProvenanceTables
from sim.report.html.series import Intervals, MetricSamples, Sampler, StateSeries
from sim.report.html.states import TICKS_PER_HOUR, ReportError, StateDeltas, ticks
from sim.report.html.story import Story, delta_encode, epoch_minute
from sim.report.html.trips import Trips
from sim.scenario.models import Scenario
from sim.state import initial_state
from sim.state.evolve import cycle_collection_paused
from sim.store import events_path, read_events


def _events(run_dir: Path) -> Iterator[Event]:
    return read_events(events_path(run_dir))


def _network(scenario: Scenario) -> dict[str, Any]:
    """Nodes (grouped by nation, placed) and links (with their ceiling) for the map."""
    placed = positions(scenario)
    nodes = [
        {
            "name": name,
            "nation": node.nation,
            "description": node.description,
            "fusion": node.fusion is not None,
            "x": round(placed[name][0], 1),
            "y": round(placed[name][1], 1),
        }
        for name, node in scenario.nodes.items()
    ]
    links = [
        {
            "name": link.name,
            "from": link.from_,
            "to": link.to,
            "ceiling": link.max_classification,
            "public": link.public,
        }
        for link in scenario.links
    ]
    codes = dict.fromkeys(node.nation for node in scenario.nodes.values())
    nations = {code: scenario.nations.get(code, code) for code in codes}
    return {"nodes": nodes, "links": links, "nations": nations}


def _perspectives(scenario: Scenario) -> dict[str, Any]:
    """Per node, what ``replay --as NODE`` describes: its nodes, links and link fields."""
    state = initial_state(scenario)
    out = {}
    for node in scenario.nodes:
        view = describe_state(scenario, state, node=node)
        fields = sorted({f for link in view["links"].values() for f in link})
        out[node] = {"nodes": list(view["nodes"]), "links": list(view["links"]), "fields": fields}
    return out


def _kept(events: Iterator[Event], log: list[Event]) -> Iterator[Event]:
    for event in events:
        log.append(event)
        yield event


def _provenance(
    scenario: Scenario, log: list[Event], known: dict[str | None, list[str]], story: Story
) -> dict[str, Any]:
    """``explain`` per assessment, as tables (see :mod:`sim.report.html.provenance`).

    ``items``: every assessment as ``explain`` tells it (ground truth); ``as``: per node,
    the assessments it issued or received as ``explain --as NODE`` tells them.
    """
    explained = explain_views(scenario, lambda: iter(log), known, story.narrated())
    return ProvenanceTables(story).encode(explained)


def _known(event: Event, known: dict[str | None, list[str]], seen: set[tuple[str, str]]) -> None:
    """Note an assessment a node issued or received (ground truth knows every one)."""
    if isinstance(event, AssessmentIssued):
        known[None].append(event.assessment)
    if isinstance(event, AssessmentIssued | AssessmentReceived):
        key = (event.node, event.assessment)
        if key not in seen:
            seen.add(key)
            known[event.node].append(event.assessment)


def run_data(run_dir: Path, *, exhaustive: bool = False) -> dict[str, Any]:
    """The page's data for the run in `run_dir` (see the module docstring)."""
    # no cycles to find, and a heap as big as the log to walk in vain at every collection
    with cycle_collection_paused():
        return _run_data(run_dir, exhaustive)


def _run_data(run_dir: Path, exhaustive: bool) -> dict[str, Any]:
    scenario, manifest = load_run(run_dir)
    horizon = float(scenario.duration)
    state0 = initial_state(scenario)
    deltas = StateDeltas(state0, exhaustive=exhaustive)
    initial = deltas.initial()
    sampler = Sampler(horizon)
    sizes, intervals = StateSeries(sampler, initial), Intervals(initial)
    deltas.observers += [sizes.observe, intervals.observe]
    story, trips = Story(scenario), Trips([link.name for link in scenario.links])
    metrics = MetricSamples(scenario, sampler)
    times: list[int] = []
    known: dict[str | None, list[str]] = {None: [], **{node: [] for node in scenario.nodes}}
    noted: set[tuple[str, str]] = set()
    ended, state = False, state0
    log: list[Event] = []  # read and decoded once: provenance's passes go over this
    for index, (event, state) in enumerate(fold(scenario, _kept(_events(run_dir), log))):
        times.append(ticks(event.t))
        deltas.after(index, event, state)
        trips.add(event, state, story.add(index, event))
        metrics.add(event)
        _known(event, known, noted)
        ended = ended or isinstance(event, RunEnded)
    if not times:
        msg = f"{run_dir}: the log has no events to draw"
        raise ReportError(msg)
    deltas.check(state)
    provenance = _provenance(scenario, log, known, story)
    return {
        "kind": "run",
        "run": {
            "id": Path(run_dir).name,
            "scenario": scenario.name,
            "description": scenario.description,
            "seed": manifest.get("seed", scenario.seed),
            "start": scenario.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_minute": epoch_minute(scenario.start),
            "horizon": ticks(horizon),
            "end": times[-1],
            "ended": ended,
            "events": len(times),
            "final_hash": manifest.get("final_hash"),
            "ticks_per_hour": TICKS_PER_HOUR,
        },
        "network": _network(scenario),
        "perspectives": _perspectives(scenario),
        "times": delta_encode(times),
        "state": {
            "initial": initial,
            "paths": deltas.paths,
            "event": delta_encode(deltas.events),
            "ops": deltas.groups,
        },
        "lines": story.columns(),
        "trips": trips.columns(),
        "samples": sampler.ticks(),
        "metrics": metrics.columns(),
        "sizes": sizes.columns(),
        "outages": intervals.columns(),
        "assessments": {
            "items": known[None],
            "as": {node: items for node, items in known.items() if node is not None},
        },
        "provenance": provenance,  # a page part of its own, parsed when first opened
        "glossary": glossary(scenario),
    }
