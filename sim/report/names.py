"""One name per quantity, with its unit: how every table calls a metric.

The run summary, `intelsim metrics`, `branch`, and the what-if tables (replications,
compare, sweep, sensitivity) all name a metric from here, so "time to knowledge,
median" is called the same everywhere. What-if tables print numbers and put the unit in
the name ("(h)", "(share)"); the run summary prints each value with its unit ("3.2d",
"22%") under the bare name.
"""

from __future__ import annotations

HOURS = "h"
SHARE = "share"

# metric (the part after nodes.NAME. or links.NAME. or run.) -> (name, unit)
NAMES: dict[str, tuple[str, str]] = {
    "knowledge_median_h": ("time to knowledge, median", HOURS),
    "known_within_2d": ("known within 2 d", SHARE),
    "known_within_7d": ("known within 7 d", SHARE),
    "known_within_30d": ("known within 30 d", SHARE),
    "coverage": ("coverage", SHARE),
    "queue_wait_h.mean": ("queue wait, mean", HOURS),
    "report_latency_h.mean": ("report latency, mean", HOURS),
    "reports_received": ("reports received", ""),
    "assessments_issued": ("assessments issued", ""),
    "false_attributions": ("false attributions", ""),
    "releasability_violations": ("releasability violations", ""),
    "messages_delivered": ("messages delivered", ""),
    "messages_dropped": ("messages dropped", ""),
    "messages_in_flight": ("messages in flight at the end", ""),
    "intercepted": ("messages intercepted", ""),
    "reports": ("reports", ""),
}


def name_of(metric: str) -> str:
    """The bare name of a metric (``time to knowledge, median``); one not listed in NAMES
    is spelt out from its key (``transit_h.mean``: ``transit, mean``)."""
    if metric in NAMES:
        return NAMES[metric][0]
    base, _, statistic = metric.partition("_h.")
    base = base.removesuffix("_h").replace("_", " ")
    return f"{base}, {statistic.replace('_', ' ')}" if statistic else base


def unit_of(metric: str) -> str:
    """The metric's unit: "h" (hours), "share" (0 to 1) or "" (a count)."""
    if metric in NAMES:
        return NAMES[metric][1]
    return HOURS if "_h." in metric or metric.endswith("_h") else ""


def named_with_unit(metric: str) -> str:
    """The name with its unit in brackets (``time to knowledge, median (h)``)."""
    unit = unit_of(metric)
    return f"{name_of(metric)} ({unit})" if unit else name_of(metric)
