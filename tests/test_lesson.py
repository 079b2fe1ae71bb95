"""The lesson pack (docs/teaching/): its answers hold against fresh runs, its files say what
the claims say, and every command it gives can be pasted from the repository's root."""

from __future__ import annotations

import re

import pytest

from sim.scenario.loader import validate_paths
from tests import lesson_claims as lesson

REPLICATIONS, CLAIMS = lesson.load_claims()
PLAN = lesson.TEACHING / "lesson-plan.md"
EXERCISES = sorted(lesson.TEACHING.glob("[0-9]-*.md"))


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_plan_has_five_or_six_timed_exercises() -> None:
    plan = PLAN.read_text(encoding="utf-8")
    assert 5 <= len(EXERCISES) <= 6
    for exercise in EXERCISES:
        assert f"]({exercise.name})" in plan, exercise.name
    minutes = [int(end) for end in re.findall(r"^\| \d+-(\d+) \|", plan, flags=re.M)]
    assert minutes == sorted(minutes) and minutes[-1] == 50


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.exercise}:{c.metric or c.events}")
def test_each_answer_is_quoted_in_its_exercise(claim: lesson.Claim) -> None:
    assert claim.doc in EXERCISES
    assert _words(claim.quote) in _words(claim.doc.read_text(encoding="utf-8"))
    for path in claim.runs.values():  # and the exercise tells how to run it
        assert path in claim.doc.read_text(encoding="utf-8") or path.startswith("scenarios/")


def test_every_exercise_has_a_question_a_run_a_look_and_an_answer() -> None:
    for exercise in EXERCISES:
        text = exercise.read_text(encoding="utf-8")
        for part in ("**Question.**", "**Run", "**Look at**", "**Answer**"):
            assert part in text, (exercise.name, part)
        assert re.search(r"report\.html#t=\w+", text), exercise.name
        assert any(c.doc == exercise for c in CLAIMS), exercise.name


def test_the_commands_name_files_that_exist_and_validate() -> None:
    named = set()
    for doc in [PLAN, *EXERCISES]:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            named |= set(re.findall(r"(?:scenarios|docs)/[\w./-]+\.yaml", block))
    assert any("variants" in n for n in named)
    for name in named:
        assert (lesson.ROOT / name).exists(), name
    assert validate_paths([lesson.ROOT / n for n in sorted(named)]) == []


@pytest.mark.slow
@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.exercise}:{c.metric or c.events}")
def test_each_claim_holds_in_fresh_runs(claim: lesson.Claim) -> None:
    measured = lesson.measure(claim, REPLICATIONS)
    assert lesson.holds(claim, measured), (claim.quote, measured)
