"""Shared test helpers: builders for small scenario dicts and a runner that collects events.

Plain functions, imported as ``from tests.builders import ...`` (plain functions rather
than fixtures, so hypothesis tests can call them freely).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from sim.engine import simulate
from sim.events import Event
from sim.scenario.models import Scenario

START = "2024-07-11T00:00:00Z"

NATIONS: dict[str, str] = {
    "UKR": "Ukraine",
    "KOR": "Republic of Korea",
    "USA": "United States",
    "GBR": "United Kingdom",
    "JPN": "Japan",
}
COMMUNITIES: dict[str, list[str]] = {"NATO": ["USA", "GBR"], "IP4": ["KOR", "JPN"]}


# DESIGN.md's example scenario, verbatim except that `start` is quoted (a string, so the
# dict survives JSON, e.g. to a subprocess)
DESIGN_EXAMPLE_YAML = """
name: teaching-minimal
description: One sector, one field collector, a national node and a NATO node.
start: "2024-07-11T00:00:00Z"
duration: 30d
seed: 7
communities:
  NATO: [USA, GBR, POL]
  IP4: [KOR, JPN, AUS, NZL]
nations:
  {UKR: Ukraine, KOR: Republic of Korea, USA: United States, GBR: United Kingdom, POL: Poland}
munitions:
  KN-23: {origin: DPRK, category: ballistic-missile}
theater:
  sectors: [Kharkiv]
  usage:
    - {munition: KN-23, sector: Kharkiv, rate: 0.5/d}
    - {munition: KN-23, sector: Kharkiv, rate: 2/d, from: 10d, until: 12d}
nodes:
  UKR-HUR: {nation: UKR, analysts: 2, analysis_time: {dist: lognormal, median: 12h, sigma: 0.5}}
  NATO-JISD:
    nation: NATO
    analysts: 4
    analysis_time: {dist: exponential, mean: 6h}
    fusion: {window: 72h, min_sources: 2, min_confidence: 0.6}
links:
  - from: UKR-HUR
    to: NATO-JISD
    latency: {dist: lognormal, median: 6h, sigma: 0.4}
    capacity: 40/d
    availability: {mtbf: 20d, mttr: 8h}
    max_classification: NATO-SECRET
collectors:
  kharkiv-prosecutors:
    node: UKR-HUR
    discipline: FORENSIC
    sectors: [Kharkiv]
    detection: 0.4
    delay: {dist: lognormal, median: 1d, sigma: 0.6}
    grade: B2
    misidentification: 0.1
sharing:
  - {from: UKR-HUR, to: [NATO-JISD], items: reports,
     marking: {classification: NATO-RESTRICTED, rel_to: [NATO, UKR]}}
  - {from: NATO-JISD, to: [UKR-HUR], items: assessments,
     marking: {classification: NATO-SECRET, rel_to: [NATO, UKR]}}
adversary:
  disinformation:
    - {name: denial, node: UKR-HUR, discipline: OSINT, rate: 0.5/d,
       munition: KN-23, sectors: [Kharkiv], grade: E5}
  cyber:
    - {name: ddos, link: UKR-HUR->NATO-JISD, at: 20d, outage: 12h}
interventions:
  - {at: 15d, set: {nodes.NATO-JISD.analysts: 8}}
"""


def design_example() -> dict[str, Any]:
    """DESIGN.md's example scenario as a fresh raw dict."""
    raw: dict[str, Any] = yaml.safe_load(DESIGN_EXAMPLE_YAML)
    return raw


def busy_example() -> dict[str, Any]:
    """The design example made busier: a second, better collector at NATO-JISD so that
    assessments are issued, a link back so they travel, random link failures both ways,
    a compromise, and 60 days."""
    raw = design_example()
    raw["name"] = "teaching-busy"
    raw["duration"] = "60d"
    raw["collectors"]["kharkiv-prosecutors"]["grade"] = "A2"
    raw["collectors"]["usa-imint"] = collector(
        "NATO-JISD",
        discipline="IMINT",
        sectors=["Kharkiv"],
        detection=0.5,
        delay="12h",
        grade="A2",
    )
    raw["links"].append(
        link(
            "NATO-JISD",
            "UKR-HUR",
            latency={"dist": "uniform", "low": "1h", "high": "5h"},
            capacity="10/d",
            availability={"mtbf": "10d", "mttr": "1d"},
        )
    )
    raw["adversary"]["cyber"].append(
        {"name": "leak", "link": "NATO-JISD->UKR-HUR", "at": "5d", "compromise": "20d"}
    )
    return raw


def node(
    nation: str, *, analysts: int = 1, analysis_time: Any = "1h", **extra: Any
) -> dict[str, Any]:
    """A node section: nation, analysts, analysis time (a duration means fixed), extras."""
    return {"nation": nation, "analysts": analysts, "analysis_time": analysis_time, **extra}


def link(src: str, dst: str, *, latency: Any = "1h", **extra: Any) -> dict[str, Any]:
    """A link section from `src` to `dst` (extras: capacity, availability, …)."""
    return {"from": src, "to": dst, "latency": latency, **extra}


def collector(
    node_name: str,
    *,
    detection: float = 1.0,
    delay: Any = "0h",
    sectors: list[str] | None = None,
    discipline: str = "FORENSIC",
    grade: str = "B2",
    **extra: Any,
) -> dict[str, Any]:
    """A collector section reporting to `node_name`; by default it sees every use in sector S."""
    return {
        "node": node_name,
        "discipline": discipline,
        "sectors": sectors or ["S"],
        "detection": detection,
        "delay": delay,
        "grade": grade,
        **extra,
    }


def usage(
    rate: str, *, munition: str = "KN-23", sector: str = "S", **window: Any
) -> dict[str, Any]:
    """A ground-truth usage line; `window` may hold `from_` (spelt so: a keyword) and `until`."""
    line: dict[str, Any] = {"munition": munition, "sector": sector, "rate": rate}
    if "from_" in window:
        line["from"] = window.pop("from_")
    line.update(window)
    return line


def rule(
    src: str,
    to: list[str],
    *,
    items: str = "reports",
    classification: str = "NATO-RESTRICTED",
    rel_to: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A sharing rule from `src` to `to` under a marking (REL TO defaults to NATO, UKR)."""
    return {
        "from": src,
        "to": to,
        "items": items,
        "marking": {"classification": classification, "rel_to": rel_to or ["NATO", "UKR"]},
        **extra,
    }


def scenario_dict(
    *,
    name: str = "test",
    duration: Any = "100h",
    seed: int = 1,
    nodes: Mapping[str, Any] | None = None,
    links: list[dict[str, Any]] | None = None,
    collectors: Mapping[str, Any] | None = None,
    usage_lines: list[dict[str, Any]] | None = None,
    sharing: list[dict[str, Any]] | None = None,
    adversary: Mapping[str, Any] | None = None,
    interventions: list[dict[str, Any]] | None = None,
    munitions: Mapping[str, Any] | None = None,
    sectors: list[str] | None = None,
) -> dict[str, Any]:
    """A small valid raw scenario: one sector S, one munition KN-23, nodes A (UKR) and B (USA).

    Every section can be replaced; the result is a fresh dict (safe to mutate).
    """
    raw: dict[str, Any] = {
        "name": name,
        "start": START,
        "duration": duration,
        "seed": seed,
        "communities": COMMUNITIES,
        "nations": NATIONS,
        "munitions": munitions or {"KN-23": {"origin": "DPRK", "category": "ballistic-missile"}},
        "theater": {"sectors": sectors or ["S"], "usage": usage_lines or []},
        "nodes": nodes or {"A": node("UKR"), "B": node("USA")},
        "links": links or [],
        "collectors": collectors or {},
        "sharing": sharing or [],
        "adversary": adversary or {},
        "interventions": interventions or [],
    }
    return copy.deepcopy(raw)


def run_events(raw: dict[str, Any], seed: int | None = None) -> list[Event]:
    """Validate `raw` and run it to its horizon; every event of the run, in order."""
    scenario = Scenario.model_validate(raw)
    events: list[Event] = []
    simulate(scenario, seed=seed, listeners=[events.append])
    return events
