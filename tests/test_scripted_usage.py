"""Scripted ground truth: `{munition, sector, at, count}` puts a known strike at a known time."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sim.events import MunitionUsed, SightingReported
from sim.scenario.models import Scenario
from tests.builders import collector, run_events, scenario_dict


def _raw(usage: dict[str, Any]) -> dict[str, Any]:
    raw = scenario_dict(collectors={"c": collector("A", delay="2h")})
    raw["theater"]["usage"] = [usage]
    return raw


def test_a_scripted_salvo_happens_exactly_when_and_as_often_as_written() -> None:
    events = run_events(_raw({"munition": "KN-23", "sector": "S", "at": "27h", "count": 3}))
    used = [e for e in events if isinstance(e, MunitionUsed)]
    assert [(e.t, e.munition, e.sector) for e in used] == [(27.0, "KN-23", "S")] * 3
    reported = [e for e in events if isinstance(e, SightingReported)]
    assert [e.t for e in reported] == [29.0] * 3  # detection 1, fixed 2 h delay
    assert {e.usage for e in reported} == {e.usage for e in used}


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        ({"rate": "1/d", "at": "2h"}, "either `rate`"),
        ({}, "either `rate`"),
        ({"at": "2h", "from": "1h"}, "no `from`/`until` window"),
        ({"rate": "1/d", "count": 3}, "`count` goes with `at`"),
        ({"at": "2h", "count": 0}, "greater than or equal to 1"),
    ],
)
def test_a_usage_line_is_either_poisson_or_scripted(usage: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Scenario.model_validate(_raw({"munition": "KN-23", "sector": "S", **usage}))
