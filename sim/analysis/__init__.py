"""Projections of a run's event log: metrics, replay, perspectives, timeline, provenance."""

from sim.analysis.metrics import MetricsProjection, flatten, metrics_from_events
from sim.analysis.perspective import QueryError, check_node, visible_to
from sim.analysis.provenance import explain, explain_events
from sim.analysis.replay import load_run, replay, replay_events
from sim.analysis.timeline import Line, Narrator, parse_when, run_timeline, timeline

__all__ = [
    "Line",
    "MetricsProjection",
    "Narrator",
    "QueryError",
    "check_node",
    "explain",
    "explain_events",
    "flatten",
    "load_run",
    "metrics_from_events",
    "parse_when",
    "replay",
    "replay_events",
    "run_timeline",
    "timeline",
    "visible_to",
]
