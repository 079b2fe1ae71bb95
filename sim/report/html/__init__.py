"""The offline HTML report: one self-contained file per run or per what-if analysis."""

from sim.report.html.build import Written, write_report

__all__ = ["Written", "write_report"]
