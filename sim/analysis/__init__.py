"""Projections of a run's event log, pure reads: metrics, replay, perspective, timeline,
provenance and verify's checks. A projection never runs the engine (that is
`sim.experiments`).

Import the modules themselves (``from sim.analysis.metrics import MetricsProjection``):
this package imports nothing eagerly, so `intelsim run` does not pay for what it does not use.
"""
