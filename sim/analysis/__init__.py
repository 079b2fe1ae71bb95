"""Projections of a run's event log (metrics, replay, perspective, timeline, provenance) and
what-if analysis (replications, comparisons, sweeps, executors).

Import the modules themselves (``from sim.analysis.metrics import MetricsProjection``):
this package imports nothing eagerly, so `intelsim run` does not pay for what it does not use.
"""
