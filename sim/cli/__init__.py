"""The `intelsim` command line: a thin Typer app over the library."""

from sim.cli import commands  # registers every command on `app`
from sim.cli.app import app, main

__all__ = ["app", "commands", "main"]
