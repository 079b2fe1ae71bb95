"""Phrases that a timeline's lines and an assessment's arithmetic share.

Apart from :mod:`sim.analysis.arithmetic`, which loads the fusion rules to redo an
assessment's sums: telling a run's story needs the words, not the rules.
"""

from __future__ import annotations


def sources_text(sources: int, reports: int) -> str:
    """``from 3 sources (4 reports)``."""
    s = "s" if sources != 1 else ""
    r = "s" if reports != 1 else ""
    return f"from {sources} source{s} ({reports} report{r})"
