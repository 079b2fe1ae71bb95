"""The pydantic event schema users read agrees with the events the engine writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.event_models import EVENT_MODELS, event_json_schema, parse_line
from sim.events import EVENT_TYPES
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import iter_lines

ROOT = Path(__file__).resolve().parent.parent


def test_every_line_of_a_real_run_validates(tmp_path: Path) -> None:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml")
    outcome = run_to_directory(loaded, tmp_path)
    assert outcome.run_dir is not None
    seen = set()
    for _, line in iter_lines(outcome.run_dir / "events.jsonl"):
        model = parse_line(line)
        seen.add(model.type)  # type: ignore[attr-defined]
    assert {"RunStarted", "SightingReported", "AssessmentIssued", "RunEnded"} <= seen


def test_schema_covers_the_closed_vocabulary() -> None:
    assert set(EVENT_MODELS) == set(EVENT_TYPES)
    schema = event_json_schema()
    assert set(schema["$defs"]) >= set(EVENT_TYPES)


def test_a_line_missing_a_field_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_line(b'{"type":"MunitionUsed","seq":1,"t":0.0,"usage":"U1","hash":"x"}')
    with pytest.raises(ValidationError):
        parse_line(b'{"type":"NoSuchEvent","seq":1,"t":0.0,"hash":"x"}')
