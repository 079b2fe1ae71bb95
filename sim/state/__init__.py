"""Pure domain state and its fold (evolve); never imports simpy, the store or a clock."""

from sim.state.evolve import EvolveError, evolve
from sim.state.model import WorldState, initial_state

__all__ = ["EvolveError", "WorldState", "evolve", "initial_state"]
