"""Grades, confidence of independent graded sources, and the PHIA yardstick.

The evidence rules (clusters, polarity, lineage, artefacts) are in test_fusion_rules.py.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import IntelsimError, ScenarioError
from sim.fusion import (
    Grade,
    GradeError,
    band,
    confidence,
    is_valid_grade,
    load_scale,
    parse_grade,
)
from sim.grading import LOG_LR

ALL_GRADES = sorted(LOG_LR)
C3_OR_BETTER = [f"{r}{c}" for r in "ABC" for c in (1, 2, 3)]
E5_OR_WORSE = ["E5", "E6", "F5", "F6"]


# --- grades -----------------------------------------------------------------


def test_parse_grade() -> None:
    assert parse_grade("B2") == Grade(reliability="B", credibility=2)
    assert parse_grade("F6") == Grade("F", 6)
    assert str(parse_grade("A1")) == "A1"
    assert is_valid_grade("E5")
    assert len(ALL_GRADES) == 36


@pytest.mark.parametrize("bad", ["", "B", "B22", "G2", "B0", "B7", "2B", " B2", "b2", "AA"])
def test_parse_grade_rejects_bad_input_with_a_clear_message(bad: str) -> None:
    assert not is_valid_grade(bad)
    with pytest.raises(GradeError, match=r"bad Admiralty grade .*A-F.*1-6"):
        parse_grade(bad)


def test_grade_error_is_both_a_value_error_and_an_intelsim_error() -> None:
    with pytest.raises(ValueError, match="did you mean 'B2'"):
        parse_grade("b2")
    with pytest.raises(IntelsimError):
        parse_grade("Z9")


def test_non_string_grade_is_invalid() -> None:
    assert not is_valid_grade(2)  # type: ignore[arg-type]
    with pytest.raises(GradeError):
        parse_grade(None)  # type: ignore[arg-type]


# --- confidence --------------------------------------------------------------


def test_cannot_be_judged_is_neutral() -> None:
    assert confidence({"rumour": "F6"}, 0.2) == pytest.approx(0.2)
    assert confidence({}, 0.3) == pytest.approx(0.3)


def test_corroboration_by_usually_reliable_sources() -> None:
    two = confidence({"a": "B2", "b": "B2"}, 0.2)
    three = confidence({"a": "B2", "b": "B2", "c": "B2"}, 0.2)
    assert 0.6 <= two <= 0.8
    assert band(two) == "likely"
    assert three > 0.8
    assert confidence({"a": "A1"}, 0.2) > confidence({"a": "B2"}, 0.2) > 0.35


@pytest.mark.parametrize("grade", E5_OR_WORSE)
def test_unreliable_improbable_sources_never_raise_confidence(grade: str) -> None:
    for n in (1, 2, 10, 100):
        sources = {f"troll-{i}": grade for i in range(n)}
        assert confidence(sources, 0.2) <= 0.2 + 1e-12


def test_e5_lowers_confidence() -> None:
    assert confidence({"state-media": "E5"}, 0.2) < 0.2


def test_confidence_never_reaches_0_or_1() -> None:
    assert 0.0 < confidence({f"s{i}": "A1" for i in range(1000)}, 0.99) < 1.0
    assert 0.0 < confidence({f"s{i}": "A5" for i in range(1000)}, 0.01) < 1.0


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, 1.5])
def test_confidence_rejects_a_prior_outside_0_1(prior: float) -> None:
    with pytest.raises(ValueError, match="prior"):
        confidence({"a": "B2"}, prior)


def test_confidence_names_a_bad_grade() -> None:
    with pytest.raises(GradeError, match="'Q1'"):
        confidence({"a": "Q1"}, 0.2)


@settings(max_examples=200, deadline=None)
@given(
    grades=st.lists(st.sampled_from(C3_OR_BETTER), min_size=1, max_size=40),
    prior=st.floats(min_value=0.01, max_value=0.99),
)
def test_confidence_rises_monotonically_with_independent_corroboration(
    grades: list[str], prior: float
) -> None:
    previous = confidence({}, prior)
    sources: dict[str, str] = {}
    for i, g in enumerate(grades):
        sources[f"collector-{i}"] = g
        now = confidence(sources, prior)
        assert now >= previous
        assert 0.0 < now < 1.0
        previous = now


@settings(max_examples=200, deadline=None)
@given(
    grades=st.lists(st.sampled_from(ALL_GRADES), min_size=1, max_size=30),
    prior=st.floats(min_value=0.01, max_value=0.99),
)
def test_confidence_ignores_the_order_of_sources(grades: list[str], prior: float) -> None:
    forward = {f"s{i}": g for i, g in enumerate(grades)}
    backward = dict(reversed(list(forward.items())))
    assert confidence(forward, prior) == confidence(backward, prior)


# --- the PHIA yardstick -------------------------------------------------------


def test_scale_comes_from_the_data_file() -> None:
    scale = load_scale()
    assert scale.names == (
        "remote",
        "highly unlikely",
        "unlikely",
        "realistic possibility",
        "likely",
        "highly likely",
        "almost certain",
    )
    assert scale.uppers == (0.10, 0.25, 0.40, 0.55, 0.80, 0.95, 1.0)


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.0, "remote"),
        (0.05, "remote"),
        (0.07, "remote"),  # gap 5-10 % -> band below
        (0.10, "highly unlikely"),
        (0.20, "highly unlikely"),
        (0.25, "unlikely"),
        (0.35, "unlikely"),
        (0.40, "realistic possibility"),
        (0.50, "realistic possibility"),
        (0.52, "realistic possibility"),  # gap 50-55 % -> band below
        (0.55, "likely"),
        (0.75, "likely"),
        (0.79, "likely"),
        (0.80, "highly likely"),
        (0.90, "highly likely"),
        (0.94, "highly likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_band_boundaries(p: float, words: str) -> None:
    assert band(p) == words


def test_every_published_range_maps_to_its_own_band() -> None:
    text = resources.files("sim").joinpath("data", "phia.yaml").read_text(encoding="utf-8")
    for item in yaml.safe_load(text)["bands"]:
        low, high = item["published"]
        for k in range(11):
            assert band(low + (high - low) * k / 10) == item["name"]


@pytest.mark.parametrize("p", [-0.01, 1.01, math.nan])
def test_band_rejects_a_non_probability(p: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        band(p)


def test_band_with_a_custom_scale(tmp_path: Path) -> None:
    path = tmp_path / "coarse.yaml"
    path.write_text("bands:\n  - {name: low, upper: 0.5}\n  - {name: high, upper: 1.0}\n")
    scale = load_scale(path)
    assert (band(0.49, scale), band(0.5, scale), band(1.0, scale)) == ("low", "high", "high")


def test_a_bad_scale_file_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "bands:\n"
        "  - {name: a, upper: 0.5}\n"
        "  - {name: a, upper: 0.4}\n"
        "  - {name: '', upper: high}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scale(path)
    paths = [p.path for p in info.value.problems]
    assert paths == ["bands[1].name", "bands[1].upper", "bands[2].name", "bands[2].upper"]


def test_an_unquoted_yes_as_a_band_name_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "yes.yaml"
    path.write_text("bands:\n  - {name: yes, upper: 1.0}\n")
    with pytest.raises(ScenarioError, match="got True"):
        load_scale(path)


def test_a_scale_must_end_at_1(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("bands:\n  - {name: a, upper: 0.9}\n")
    with pytest.raises(ScenarioError, match=r"must be 1\.0"):
        load_scale(path)


def test_a_missing_scale_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scale(tmp_path / "nope.yaml")
