"""The glossary the reports keep at hand (the HTML report, the run summary): tradecraft
words, the bodies, the run's own ladder.

Texts come from ``sim/data/glossary.yaml`` (kept in step with ``docs/domain.md`` by a
test); the PHIA bands from ``sim/data/phia.yaml``, the file the model's own band rule
reads; the classification ladder and REL TO communities from the run's scenario.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from sim.scenario.models import Scenario


def _data(name: str) -> Any:
    text = resources.files("sim").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def glossary_text() -> dict[str, Any]:
    """The packaged glossary texts (``sim/data/glossary.yaml``)."""
    data: dict[str, Any] = _data("glossary.yaml")
    return data


def glossary(scenario: Scenario | None) -> dict[str, Any]:
    """The glossary for a report: packaged texts, PHIA bands, the scenario's ladder."""
    data = glossary_text()
    phia = _data("phia.yaml")
    data["phia"]["bands"] = [
        {"name": b["name"], "from": b["published"][0], "to": b["published"][1]}
        for b in phia["bands"]
    ]
    if scenario is not None:
        data["classification"]["ladder"] = list(scenario.classifications)
        data["rel_to"]["communities"] = {k: list(v) for k, v in scenario.communities.items()}
        data["nations"] = dict(scenario.nations)
    return data
