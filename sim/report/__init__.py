"""Rendering of runs for people: terminal tables and timelines (rich)."""

from sim.report.summary import run_summary
from sim.report.timeline_view import print_timeline

__all__ = ["print_timeline", "run_summary"]
