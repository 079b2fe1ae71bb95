"""decide: the SimPy processes of a run; the only package that imports simpy."""

from sim.engine.build import build_world, run_world, simulate
from sim.engine.streams import derive_seed, stream

__all__ = ["build_world", "derive_seed", "run_world", "simulate", "stream"]
