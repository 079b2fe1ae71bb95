"""Imports every command module so each registers its commands on the app."""

from sim.cli import run_cmds, scenario_cmds  # noqa: F401
from sim.cli import view_cmds  # noqa: F401
from sim.cli import whatif_cmds  # noqa: F401
