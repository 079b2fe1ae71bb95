"""Properties of the whole mechanism, with common random numbers (docs/fusion.md, "Properties").

Each example runs one small generated scenario twice with the same seed, the second
time with one change, and compares the two runs item by item:

- adding only contradicting reports (a denial campaign) never raises a cluster's
  confidence at any node, and never makes an assessment appear earlier (or at all where
  there was none);
- shortening a link's latency or raising a collector's detection never makes any usage
  known later at any node, in the regime where the model guarantees it: analysts enough
  that nobody queues, links without a capacity limit, no evidence with negative weight.
  docs/fusion.md says why each of those conditions is needed.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import events as ev
from sim import fusion
from sim.analysis.metrics import MetricsProjection
from sim.engine import simulate
from sim.scenario.models import Scenario
from sim.state.model import WorldState
from tests.builders import collector, link, node, rule, scenario_dict, usage

SUPPORT_GRADES = [f"{r}{c}" for r in "ABC" for c in (1, 2, 3)]
ALL_GRADES = [f"{r}{c}" for r in "ABCDEF" for c in range(1, 7)]
FUSION = {"window": "72h", "min_sources": 2, "min_confidence": 0.6}

collectors_strategy = st.lists(
    st.tuples(
        st.sampled_from(["A", "A", "C"]),  # where it reports
        st.sampled_from(SUPPORT_GRADES),
        st.floats(0.2, 1.0),  # detection
        st.floats(2.0, 60.0),  # median delay (h)
        st.booleans(),  # examines the debris
        st.sampled_from(["KN-23", "KN-24", None]),  # what it can report (None: both)
    ),
    min_size=2,
    max_size=5,
)


def world(
    collectors: list[tuple[str, str, float, float, bool, str | None]],
    analysts: int,
    seed: int,
) -> dict[str, Any]:
    """A: Ukraine's fusion node with most collectors; B: NATO, fusing what A shares and
    C's assessments; C: the ROK, fusing its own collectors and B's assessments."""
    cols: dict[str, Any] = {}
    for i, (where, grade, detection, delay, debris, munition) in enumerate(collectors):
        extra: dict[str, Any] = {"evidence": "debris"} if debris else {}
        if munition is not None:
            extra["munitions"] = [munition]
        cols[f"c{i}"] = collector(
            where,
            grade=grade,
            detection=round(detection, 3),
            delay={"dist": "lognormal", "median": f"{delay:.1f}h", "sigma": 0.5},
            **extra,
        )
    t = {"dist": "lognormal", "median": "6h", "sigma": 0.5}
    return scenario_dict(
        duration="20d",
        seed=seed,
        munitions={"KN-23": {"category": "missile"}, "KN-24": {"category": "missile"}},
        nodes={
            "A": node("UKR", analysts=analysts, analysis_time=t, fusion=FUSION),
            "B": node("USA", analysts=analysts, analysis_time=t, fusion=FUSION),
            "C": node("KOR", analysts=analysts, analysis_time=t, fusion=FUSION),
        },
        links=[
            link(a, b, latency={"dist": "lognormal", "median": "8h", "sigma": 0.5})
            for a, b in (("A", "B"), ("B", "A"), ("C", "B"), ("B", "C"))
        ],
        collectors=cols,
        usage_lines=[usage("0.6/d"), usage("0.3/d", munition="KN-24")],
        sharing=[
            rule("A", ["B"]),
            rule("B", ["A", "C"], items="assessments", rel_to=["NATO", "UKR", "KOR"]),
            rule("C", ["B"], items="assessments", rel_to=["NATO", "KOR"]),
        ],
    )


def run(raw: dict[str, Any]) -> tuple[WorldState, list[ev.Event], Scenario]:
    scenario = Scenario.model_validate(raw)
    events: list[ev.Event] = []
    state = simulate(scenario, listeners=[events.append]).state
    return state, events, scenario


def issued(events: list[ev.Event]) -> dict[tuple[str, str, str, float], float]:
    """When each node first issued an assessment of each (munition, sector, period)."""
    first: dict[tuple[str, str, str, float], float] = {}
    for e in events:
        if isinstance(e, ev.AssessmentIssued):
            first.setdefault((e.node, e.munition, e.sector, e.period_start), e.t)
    return first


def confidences(state: WorldState) -> dict[tuple[str, str, str, float], float]:
    """Every cluster's confidence at the end, at every fusion node."""
    out = {}
    for name, held in state.nodes.items():
        if held.fusion is None:
            continue
        for cluster in held.clusters:
            verdict = fusion.assess(cluster, held.fusion.prior, own=held.assessments)
            out[(name, cluster.munition, cluster.sector, cluster.start)] = verdict.confidence
    return out


def known(events: list[ev.Event], scenario: Scenario) -> dict[str, np.ndarray]:
    projection = MetricsProjection(scenario)
    for e in events:
        projection.apply(e)
    return {n: projection.knowledge.known_times(n) for n in scenario.nodes}


def never_later(faster: dict[str, np.ndarray], slower: dict[str, np.ndarray]) -> None:
    for name, times in slower.items():
        other = faster[name]
        assert other.shape == times.shape
        for a, b in zip(other, times, strict=True):
            if not math.isnan(b):  # known in the slower world: known no later in the faster
                assert not math.isnan(a) and a <= b + 1e-9, f"{name}: {a} > {b}"


# 12 examples each in CI (~5 s a test); INTELSIM_PROPERTY_EXAMPLES=300 for a long search
EXAMPLES = int(os.environ.get("INTELSIM_PROPERTY_EXAMPLES", "12"))
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(
    cols=collectors_strategy,
    analysts=st.sampled_from([1, 2, 30]),
    seed=st.integers(0, 10_000),
    grade=st.sampled_from(ALL_GRADES),
    rate=st.sampled_from(["0.5/d", "2/d"]),
    target=st.sampled_from(["A", "B"]),
)
def test_adding_denials_never_raises_confidence_nor_makes_an_assessment_earlier(
    cols: list[tuple[str, str, float, float, bool, str | None]],
    analysts: int,
    seed: int,
    grade: str,
    rate: str,
    target: str,
) -> None:
    base = world(cols, analysts, seed)
    denied = copy.deepcopy(base)
    denied["adversary"] = {
        "disinformation": [
            {"name": "denial", "claim": "denial", "node": target, "rate": rate,
             "munition": "KN-23", "sectors": ["S"], "grade": grade, "backdate": "1d"}
        ]
    }  # fmt: skip
    state_a, events_a, _ = run(base)
    state_b, events_b, _ = run(denied)
    before, after = confidences(state_a), confidences(state_b)
    for key, p in after.items():
        assert p <= before.get(key, 1.0) + 1e-9, f"{key}: {p} > {before.get(key)}"
    first_a, first_b = issued(events_a), issued(events_b)
    for key, t in first_b.items():
        assert key in first_a and first_a[key] <= t, f"{key} issued earlier with denials"


@PROPERTY
@given(
    cols=collectors_strategy,
    seed=st.integers(0, 10_000),
    which=st.sampled_from(["A->B", "C->B", "B->A", "B->C"]),
    factor=st.sampled_from([0.1, 0.5]),
)
def test_a_faster_link_never_makes_a_usage_known_later(
    cols: list[tuple[str, str, float, float, bool, str | None]],
    seed: int,
    which: str,
    factor: float,
) -> None:
    base = world(cols, 30, seed)  # analysts enough that nobody queues
    faster = copy.deepcopy(base)
    for spec in faster["links"]:
        if f"{spec['from']}->{spec['to']}" == which:
            spec["latency"]["median"] = f"{8 * factor}h"
    _, events_a, scenario = run(base)
    _, events_b, _ = run(faster)
    never_later(known(events_b, scenario), known(events_a, scenario))


@PROPERTY
@given(
    cols=collectors_strategy,
    seed=st.integers(0, 10_000),
    which=st.integers(0, 4),
    to=st.floats(0.5, 1.0),
)
def test_a_keener_collector_never_makes_a_usage_known_later(
    cols: list[tuple[str, str, float, float, bool, str | None]],
    seed: int,
    which: int,
    to: float,
) -> None:
    base = world(cols, 30, seed)
    keener = copy.deepcopy(base)
    name = f"c{which % len(cols)}"
    spec = keener["collectors"][name]
    spec["detection"] = max(spec["detection"], round(to, 3))
    _, events_a, scenario = run(base)
    _, events_b, _ = run(keener)
    never_later(known(events_b, scenario), known(events_a, scenario))
