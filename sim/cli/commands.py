"""Imports every command module so each registers its commands on the app."""

from sim.cli import (  # noqa: F401
    log_cmds,
    report_cmds,
    run_cmds,
    scenario_cmds,
    sensitivity_cmds,
    value_cmds,
    view_cmds,
    whatif_cmds,
)
