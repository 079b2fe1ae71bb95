"""Interventions on every kind of parameter keep a run verifiable (hypothesis, derandomized).

Random small scenarios with much traffic get one to three interventions, each
changing one parameter of one kind: a node's clearance, a link's classification ceiling,
a sharing rule's marking, a node's fusion policy, analysts, a link's latency, a link's
`enabled`. Each run is written to a run directory as `intelsim run` writes it, and:

- `verify` passes (chain, replay, releasability on every delivery, metrics);
- the metrics recomputed from the log alone (the projection following interventions by
  itself) equal the metrics the run recorded (read from the live state);
- no delivery breaks the rules in force when it happens, by an oracle of this file: the
  scenario in force is rebuilt here by writing each change straight into the document
  (not through the dotted-path setter) and the rules are checked from the ladder and
  REL TO expansion, as tests/test_properties.py does for runs without such changes.
"""

from __future__ import annotations

import copy
import random
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.analysis.metrics import metrics_from_events
from sim.analysis.verify import verify_run
from sim.events import (
    AssessmentReceived,
    Event,
    InterventionApplied,
    Marking,
    MessageDelivered,
    MessageDropped,
    MessageSent,
    ReportReceived,
)
from sim.experiments.run import run_to_directory
from sim.scenario.loader import LoadedScenario, validate_raw
from sim.scenario.markings import CLASSIFICATIONS, rank, releasable_nations
from sim.scenario.models import Scenario
from sim.scenario.problems import Origin
from sim.store import read_events
from tests.builders import scenario_dict
from tests.test_properties import PARTIES, durations

EXAMPLES = 40  # each writes a run directory through the log sidecar: ~0.3 s an example
KINDS = ("clearance", "ceiling", "marking", "fusion", "analysts", "latency", "enabled")
MARKING_REASONS = {"not-releasable", "over-classification", "insufficient-clearance"}

Change = tuple[str, str, Any]  # (kind, what: node/link name or rule index, new value)


def change(rng: random.Random, raw: dict[str, Any], kind: str) -> Change:
    """One change of a parameter of `kind` in `raw`, on the way of a sharing rule (so that
    it meets traffic): its rule, its link to a destination, or either end."""
    index = rng.randrange(len(raw["sharing"]))
    rule = raw["sharing"][index]
    dest = rng.choice(rule["to"])
    link = f"{rule['from']}->{dest}"
    # a change either opens (the top: what was refused at the start gets through) or
    # closes (a low level: what is on its way may be refused on arrival)
    level = rng.choice([CLASSIFICATIONS[-1], *CLASSIFICATIONS[1:3]])
    if kind == "clearance":
        return kind, dest, level
    if kind == "ceiling":
        return kind, link, level
    if kind == "marking":
        if rng.random() < 0.5:  # opens: releasable to every party, hardly classified
            return kind, str(index), (CLASSIFICATIONS[1], PARTIES)
        rel_to = sorted(rng.sample(PARTIES, rng.randint(1, 3)))
        return kind, str(index), (rng.choice(CLASSIFICATIONS[1:5]), rel_to)
    if kind == "fusion":
        policy = {
            "window": f"{rng.uniform(5.0, 100.0):.3f}h",
            "min_sources": rng.choice([1, 2]),
            "min_confidence": round(rng.uniform(0.1, 0.8), 3),
        }
        return kind, rng.choice([rule["from"], dest]), policy
    if kind == "analysts":
        return kind, rng.choice([rule["from"], dest]), rng.randint(1, 4)
    if kind == "latency":
        return kind, link, f"{rng.uniform(0.5, 20.0):.3f}h"
    return kind, link, rng.random() < 0.5


def as_set(change: Change) -> dict[str, Any]:
    """The change as an intervention writes it: dotted path -> value."""
    kind, what, value = change
    if kind == "clearance":
        return {f"nodes.{what}.clearance": value}
    if kind == "ceiling":
        return {f"links.{what}.max_classification": value}
    if kind == "marking":
        return {
            f"sharing.{what}.marking.classification": value[0],
            f"sharing.{what}.marking.rel_to": value[1],
        }
    if kind == "fusion":
        return {f"nodes.{what}.fusion": value}
    if kind == "analysts":
        return {f"nodes.{what}.analysts": value}
    if kind == "latency":
        return {f"links.{what}.latency": value}
    return {f"links.{what}.enabled": value}


def put(raw: dict[str, Any], change: Change) -> None:
    """Write the change straight into the document (the oracle's own way, no paths)."""
    kind, what, value = change
    if kind in ("clearance", "fusion", "analysts"):
        raw["nodes"][what][kind] = value
        return
    if kind == "marking":
        raw["sharing"][int(what)]["marking"] = {"classification": value[0], "rel_to": value[1]}
        return
    (link,) = [k for k in raw["links"] if f"{k['from']}->{k['to']}" == what]
    field = {"ceiling": "max_classification", "latency": "latency", "enabled": "enabled"}[kind]
    link[field] = value


@st.composite
def busy_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small scenario with much traffic: 2-3 nodes linked both ways, each fed by its own
    collector, sharing reports and assessments with one another under random markings."""
    names = ["N0", "N1", "N2"][: draw(st.sampled_from([3, 2]))]
    duration = draw(st.floats(min_value=100.0, max_value=200.0))
    nodes = {}
    for name in names:
        nodes[name] = {
            "nation": draw(st.sampled_from(PARTIES)),
            "analysts": draw(st.integers(1, 3)),
            "analysis_time": draw(durations()),
            # lowish clearances: at the start some is refused for clearance, until a change
            "clearance": draw(st.sampled_from(CLASSIFICATIONS[2:5])),
        }
        if draw(st.booleans()):
            nodes[name]["fusion"] = {"window": "48h", "min_sources": 1, "min_confidence": 0.3}
    links = [
        {
            "from": src,
            "to": dst,
            "latency": f"{draw(st.floats(min_value=4.0, max_value=16.0)):.3f}h",
            "max_classification": draw(st.sampled_from(CLASSIFICATIONS[4:])),
        }
        for src in names
        for dst in names
        if src != dst
    ]
    sharing = []
    for src in names:
        for items in ("reports", "assessments"):
            to = [n for n in names if n != src]
            rel_to = draw(st.lists(st.sampled_from(PARTIES), min_size=1, max_size=3, unique=True))
            rel_to = sorted({*rel_to, *(nodes[n]["nation"] for n in to)})
            classification = draw(st.sampled_from(CLASSIFICATIONS[1:5]))
            marking = {"classification": classification, "rel_to": rel_to}
            sharing.append({"from": src, "to": to, "items": items, "marking": marking})
    collectors = {
        f"c{name}": {
            "node": name,
            "discipline": "FORENSIC",
            "sectors": ["S1"],
            "detection": draw(st.floats(min_value=0.5, max_value=1.0)),
            "delay": "1h",
            "grade": "B2",
        }
        for name in names
    }
    rate = f"{draw(st.floats(min_value=0.3, max_value=1.0)):.4f}/h"
    return scenario_dict(
        name="busy",
        duration=f"{duration:.3f}h",
        seed=draw(st.integers(0, 2**32)),
        nodes=nodes,
        links=links,
        collectors=collectors,
        usage_lines=[{"munition": "KN-23", "sector": "S1", "rate": rate}],
        sharing=sharing,
        sectors=["S1"],
    )


@st.composite
def with_interventions(draw: st.DrawFn) -> tuple[dict[str, Any], list[list[Change]]]:
    """A busy scenario and 1-3 interventions, each of 1-2 changes, at distinct times.

    The plan is drawn with a random generator hypothesis seeds (uniform choices): left to
    itself, hypothesis favours the first choice of every list, and changes that open or
    close a path carrying traffic would be rare.
    """
    raw = draw(busy_scenarios())
    rng = draw(st.randoms(use_true_random=True))
    duration = float(raw["duration"].removesuffix("h"))
    times = sorted({round(rng.uniform(0.2, 0.8) * duration, 3) for _ in range(rng.randint(1, 3))})
    plan: list[list[Change]] = []
    raw["interventions"] = []
    for at in times:
        batch = [change(rng, raw, rng.choice(KINDS)) for _ in range(rng.randint(1, 2))]
        merged: dict[str, Any] = {}
        for one in batch:
            merged.update(as_set(one))
        raw["interventions"].append({"at": f"{at:.3f}h", "set": merged})
        plan.append(batch)
    return raw, plan


def in_force(raw: dict[str, Any], plan: list[list[Change]]) -> list[Scenario]:
    """The scenario in force before any intervention, then after each, rebuilt by hand."""
    doc = copy.deepcopy(raw)
    phases = [Scenario.model_validate(doc)]
    for batch in plan:
        for change in batch:
            put(doc, change)
        phases.append(Scenario.model_validate(doc))
    return phases


def refused(scenario: Scenario, link_name: str, marking: Marking) -> str | None:
    """The oracle: what a delivery over `link_name` breaks under `scenario`, or None."""
    (link,) = [k for k in scenario.links if k.name == link_name]
    dest = scenario.nodes[link.to]
    ladder = scenario.classifications
    if dest.nation not in releasable_nations(marking.rel_to, scenario.communities):
        return "not-releasable"
    if rank(marking.classification, ladder) > rank(link.max_classification, ladder):
        return "over-classification"
    if rank(marking.classification, ladder) > rank(dest.clearance, ladder):
        return "insufficient-clearance"
    return None


def check_deliveries(phases: list[Scenario], events: list[Event]) -> dict[str, int]:
    """No delivery breaks the rules in force; re-sharing never loosens. Counts what it saw:
    deliveries after a change, of them those on a way the rules refused before any change
    (a link and a kind of item: R... reports, A-... assessments), and messages refused on
    arrival (sent under the rules of their time, refused under those of their arrival)."""
    phase = 0
    seen = {"after-change": 0, "opened": 0, "stopped-on-arrival": 0}
    delivered: dict[str, Marking] = {}
    received_under: dict[tuple[str, str], Marking] = {}
    sent: set[str] = set()
    refused_at_start: set[tuple[str, str]] = set()
    for e in events:
        if isinstance(e, InterventionApplied):
            phase = e.index + 1
        elif isinstance(e, MessageDelivered):
            assert refused(phases[phase], e.link, e.marking) is None, (phase, e)
            delivered[e.message] = e.marking
            if phase:
                seen["after-change"] += 1
                seen["opened"] += (e.link, e.item[0]) in refused_at_start
        elif isinstance(e, ReportReceived | AssessmentReceived) and e.via is not None:
            item = e.report if isinstance(e, ReportReceived) else e.assessment
            received_under[(e.node, item)] = delivered[e.via]
        elif isinstance(e, MessageSent):
            sent.add(e.message)
            before = received_under.get((e.link.split("->")[0], e.item))
            if before is not None:
                scenario = phases[phase]
                ladder, communities = scenario.classifications, scenario.communities
                assert rank(e.marking.classification, ladder) >= rank(before.classification, ladder)
                assert releasable_nations(e.marking.rel_to, communities) <= releasable_nations(
                    before.rel_to, communities
                ), (before, e)
        elif isinstance(e, MessageDropped) and e.reason in MARKING_REASONS:
            if e.message in sent:  # sent under the old rules, refused under the new
                seen["stopped-on-arrival"] += 1
            elif phase == 0:
                refused_at_start.add((e.link, e.item[0]))
    return seen


SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
def test_interventions_on_every_kind_of_parameter_keep_runs_verifiable() -> None:
    kinds: set[str] = set()
    totals = {"after-change": 0, "opened": 0, "stopped-on-arrival": 0}

    @SETTINGS
    @given(with_interventions())
    def property_(drawn: tuple[dict[str, Any], list[list[Change]]]) -> None:
        raw, plan = drawn
        scenario, problems = validate_raw(raw, Origin(top="random"))
        # the loader refuses what cannot run (a change leaving a rule no link, ...)
        assume(scenario is not None and not any(p.severity == "error" for p in problems))
        assert scenario is not None
        with tempfile.TemporaryDirectory() as tmp:
            loaded = LoadedScenario(scenario, raw, "random", [])
            outcome = run_to_directory(loaded, Path(tmp))
            assert outcome.run_dir is not None
            verdict = verify_run(outcome.run_dir)
            assert verdict.ok, (verdict.log.problems, verdict.problems)
            events = list(read_events(outcome.run_dir / "events.jsonl"))
            recorded = orjson.loads((outcome.run_dir / "metrics.json").read_bytes())
        recomputed = orjson.loads(orjson.dumps(metrics_from_events(scenario, events)))
        assert recomputed == recorded
        assert recorded["releasability_violations"] == 0
        seen = check_deliveries(in_force(raw, plan), events)
        for key, count in seen.items():
            totals[key] += count
        kinds.update(kind for batch in plan for kind, _, _ in batch)

    property_()
    # not vacuous: every kind was changed, changes mattered both ways
    assert kinds == set(KINDS), sorted(kinds)
    assert totals["after-change"] > 100, totals
    assert totals["opened"] > 0, totals  # refused at the start, allowed by a change
    assert totals["stopped-on-arrival"] > 0, totals  # in flight when a change forbade it
