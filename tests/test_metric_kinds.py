"""Every metric a run reports has a declared kind (its interval depends on it)."""

from __future__ import annotations

from pathlib import Path

from sim.analysis.kinds import Kind
from sim.analysis.metrics import flatten, kind_of, metrics_from_events
from sim.scenario.loader import load_scenario
from tests.builders import run_events

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_every_metric_of_a_rich_scenario_has_a_kind() -> None:
    names: set[str] = set()
    for name in ("cyber-ddos",):  # links down, drops, interceptions, fusion
        loaded = load_scenario(SCENARIOS / f"{name}.yaml")
        events = run_events(loaded.raw)
        names |= set(flatten(metrics_from_events(loaded.scenario, events)))
    undeclared = sorted(n for n in names if kind_of(n) is Kind.NUMBER)
    assert not undeclared, f"declare these in sim.analysis.metrics.KINDS: {undeclared}"


def test_kinds_of_typical_metrics() -> None:
    assert kind_of("nodes.NATO-JISD.coverage") is Kind.SHARE
    assert kind_of("nodes.NATO-JISD.queue_wait_h.mean") is Kind.TIME_MEAN
    assert kind_of("links.KOR-NIS->NATO-JISD.transit_h.p90") is Kind.TIME_QUANTILE
    assert kind_of("links.KOR-NIS->NATO-JISD.dropped.link-down") is Kind.COUNT
    assert kind_of("run.t_end_h") is Kind.TIME
    assert kind_of("nodes.NATO-JISD.known_within_7d") is Kind.SHARE
    assert kind_of("nodes.NATO-JISD.knowledge_median_h") is Kind.CENSORED_TIME
    assert kind_of("no.such.metric") is Kind.NUMBER
