"""The user documentation cannot drift from the code: generated parts equal their generators,
and every name the docs rely on (sections, fields, event types, metrics, commands) exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from pydantic import BaseModel

import sim.cli  # registers every command on the app
from sim.analysis.metrics import MetricsProjection
from sim.docs.event_log import (
    BEGIN,
    END,
    FIELD_NOTES,
    REASONS,
    event_reference_markdown,
    generated_block,
    splice,
)
from sim.docs.scenario_language import COMMAND, DIST_MODELS, scenario_reference_markdown
from sim.errors import IntelsimError
from sim.events import EVENT_TYPES
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCENARIO_DOC = DOCS / "scenario-language.md"
EVENT_DOC = DOCS / "event-log.md"
ARCHITECTURE_DOC = DOCS / "architecture.md"


@pytest.fixture(scope="module")
def reference() -> str:
    return scenario_reference_markdown()


@pytest.fixture(scope="module")
def event_doc() -> str:
    return EVENT_DOC.read_text(encoding="utf-8")


def _models_of(tp: Any) -> list[type[BaseModel]]:
    """Scenario models nested in a type (Optional, list, dict), distributions aside."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [] if tp in DIST_MODELS else [tp]
    return [m for arg in get_args(tp) for m in _models_of(arg)]


def _all_models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Scenario]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo += _models_of(info.annotation)
    return seen


# --- the scenario reference --------------------------------------------------------


def test_committed_scenario_reference_is_generated(reference: str) -> None:
    committed = SCENARIO_DOC.read_text(encoding="utf-8")
    assert committed == reference, (
        f"docs/scenario-language.md is stale: regenerate with `{COMMAND}`"
    )


def test_generator_runs_as_a_module(reference: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim.docs.scenario_language"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert result.stdout == reference


def test_every_top_level_key_has_a_section_in_declaration_order(reference: str) -> None:
    keys = [info.alias or name for name, info in Scenario.model_fields.items()]
    keys.remove("$schema")
    headings = re.findall(r"^## `([^`]+)`$", reference, flags=re.MULTILINE)
    assert headings == keys


def test_every_field_appears_by_the_key_a_file_uses(reference: str) -> None:
    models = _all_models()
    assert {m.__name__ for m in models} >= {
        "Fusion",
        "Availability",
        "Marking",
        "Disinformation",
        "Cyber",
        "Intervention",
        "Usage",
    }
    for model in models:
        for name, info in model.model_fields.items():
            key = re.escape(f"`{info.alias or name}`")
            row = re.compile(rf"^\| \[?{key}", flags=re.MULTILINE)
            assert row.search(reference), f"{model.__name__}.{name}"
    # python names of aliased fields never leak into the docs
    assert "`from_`" not in reference and "`schema_`" not in reference


def test_sub_models_have_their_own_tables(reference: str) -> None:
    for name in ("Fusion", "Availability", "Marking", "Disinformation", "Cyber", "Usage"):
        assert f"\n### {name}\n" in reference, name


def test_field_rows_say_type_and_default_in_plain_words(reference: str) -> None:
    rows = {
        "`window` | duration > 0 | `3d` |",
        "`rate` | rate | **required** |",
        "`detection` | probability 0–1 | **required** |",
        "`latency` | [distribution](#distributions) | **required** |",
        "`grade` | [Admiralty grade](#admiralty-grades) | `E5` |",
        "`discipline` | [discipline](#disciplines) | **required** |",
        "`on_outage` | `hold` or `drop` | `hold` |",
        "`sectors` | non-empty list of names | **required** |",
        "`fusion` | [Fusion](#fusion), or none | none |",
        "`set` | non-empty mapping path → value | **required** |",
    }
    for row in rows:
        assert row in reference, row


def test_reference_carries_units_distributions_ladder_grades(reference: str) -> None:
    from sim.grading import CREDIBILITIES, RELIABILITIES
    from sim.scenario.markings import CLASSIFICATIONS
    from sim.scenario.models import DISCIPLINES
    from sim.scenario.units import HOURS_PER_UNIT

    for unit in HOURS_PER_UNIT:
        assert f"| `{unit}` |" in reference
    for model in DIST_MODELS:
        tag = get_args(model.model_fields["dist"].annotation)[0]
        assert f"| `{tag}` | `{{dist: {tag}," in reference
    for rank, name in enumerate(CLASSIFICATIONS):
        assert f"| {rank} | `{name}` |" in reference
    for item in (*DISCIPLINES, *RELIABILITIES, *map(str, CREDIBILITIES)):
        assert f"| `{item}` |" in reference
    for path in ("nodes.NATO-JISD.analysts", "links.UKR-HUR->NATO-JISD.latency.median"):
        assert path in reference


# --- the event log -----------------------------------------------------------------


def test_committed_event_table_is_generated(event_doc: str) -> None:
    assert generated_block(event_doc) == event_reference_markdown(), (
        "docs/event-log.md is stale: regenerate with "
        "`python -m sim.docs.event_log --write docs/event-log.md`"
    )


def test_every_event_type_is_documented(event_doc: str) -> None:
    prose = event_doc.replace(generated_block(event_doc), "")
    for name, cls in EVENT_TYPES.items():
        mark = " (ground truth)" if cls.ground_truth else ""
        assert f"| `{name}`{mark} |" in event_doc, name
    # the hand-written story of a report names the main types too
    for name in ("MunitionUsed", "SightingReported", "MessageDropped", "AssessmentIssued"):
        assert f"`{name}`" in prose


def test_field_notes_and_reasons_match_the_code() -> None:
    import msgspec

    fields = {f.name for cls in EVENT_TYPES.values() for f in msgspec.structs.fields(cls)} - {
        "seq",
        "t",
    }
    assert set(FIELD_NOTES) == fields, "FIELD_NOTES must describe exactly the event fields"
    sources = [*(ROOT / "sim" / "engine").glob("*.py"), ROOT / "sim/scenario/releasability.py"]
    written = {
        literal
        for path in sources
        for literal in re.findall(r'"([a-z]+(?:-[a-z]+)+)"', path.read_text(encoding="utf-8"))
    }
    assert written, "the reason literals were not found: update this test"
    assert written <= set(REASONS), f"undocumented reasons: {sorted(written - set(REASONS))}"


def test_splice_replaces_only_the_generated_block() -> None:
    page = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    new = splice(page, "| new |\n")
    assert new.startswith("intro\n") and new.endswith("\noutro\n")
    assert generated_block(new) == "| new |\n"
    with pytest.raises(IntelsimError, match="no generated block"):
        splice("no markers here", "x")


def test_every_metric_is_defined(event_doc: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml").scenario
    result = MetricsProjection(scenario).result()
    keys = set(result) | set(result["run"])
    for per in ("nodes", "links"):
        assert result[per], f"teaching-minimal has no {per}"
        for values in result[per].values():
            keys |= set(values)
    section = event_doc.partition("## `metrics.json`")[2]
    missing = sorted(k for k in keys if f"`{k}`" not in section)
    assert not missing, f"metrics.json keys without a definition in docs/event-log.md: {missing}"


# --- commands named in the docs ----------------------------------------------------


def _commands() -> set[str]:
    group = typer.main.get_command(sim.cli.app)
    return set(getattr(group, "commands", {}))


def _code(text: str, spans: bool) -> str:
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    inline = re.findall(r"`([^`\n]+)`", text) if spans else []
    return "\n".join([*blocks, *inline])


@pytest.mark.parametrize(
    ("path", "spans"),
    [
        (ROOT / "README.md", False),
        (EVENT_DOC, True),
        (ARCHITECTURE_DOC, True),
        (SCENARIO_DOC, True),
    ],
    ids=lambda p: p.name if isinstance(p, Path) else str(p),
)
def test_every_intelsim_command_in_the_docs_exists(path: Path, spans: bool) -> None:
    named = set(
        re.findall(r"\bintelsim[ \t]+([a-z][a-z-]*)", _code(path.read_text("utf-8"), spans))
    )
    assert named, f"{path.name} names no intelsim command: is the pattern still right?"
    unknown = sorted(named - _commands())
    assert not unknown, f"{path.name} names commands the app lacks: {unknown}"
