"""Trust and accession over time: interventions dated by the calendar change links,
consent delays and grades from that day on (a schedule), replayed like any other."""

from __future__ import annotations

import copy

import pytest

from sim.analysis.replay import replay_events
from sim.events import ConsentGranted, InterventionApplied
from sim.scenario.loader import validate_raw_quietly
from sim.scenario.models import Scenario
from tests.builders import run_events
from tests.test_consent import world


def test_a_dated_intervention_takes_effect_that_day() -> None:
    raw = world()
    raw["interventions"] = [
        {"at": "2024-07-11T05:00:00Z", "set": {"nodes.KOR.consent.delay": "1h"}, "note": "BICES"}
    ]
    scenario = Scenario.model_validate(raw)
    assert scenario.interventions[0].at == pytest.approx(5.0)  # start is 2024-07-11T00:00Z
    events = run_events(raw)
    [applied] = [e for e in events if isinstance(e, InterventionApplied)]
    assert applied.t == pytest.approx(5.0)
    # asked at 12 h under the new policy: answered an hour later, not two days
    assert sorted({e.t for e in events if isinstance(e, ConsentGranted)}) == [13.0]
    assert replay_events(scenario, events) is not None


def test_a_request_made_before_the_change_keeps_its_delay() -> None:
    raw = world()
    raw["interventions"] = [{"at": "20h", "set": {"nodes.KOR.consent.delay": "1h"}}]
    events = run_events(raw)
    assert sorted({e.t for e in events if isinstance(e, ConsentGranted)}) == [60.0]


def test_a_date_before_the_start_is_an_error_at_its_path() -> None:
    raw = copy.deepcopy(world())
    raw["interventions"] = [{"at": "2024-07-01", "set": {"nodes.KOR.analysts": 2}}]
    _, problems = validate_raw_quietly(raw, "test.yaml")
    [problem] = [p for p in problems if p.severity == "error"]
    assert problem.path == "interventions[0].at"
    assert "2024-07-01 (before the start)" in problem.message
