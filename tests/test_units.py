"""Durations and rates as people write them."""

from __future__ import annotations

import pytest

from sim.scenario.units import format_hours, parse_duration, parse_rate


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("90m", 1.5),
        ("6h", 6.0),
        ("2.5d", 60.0),
        ("1w", 168.0),
        ("30s", 30 / 3600),
        ("45min", 0.75),
        (" 3 h ", 3.0),
        (".5d", 12.0),
        (12, 12.0),
        (0.25, 0.25),
        ("0h", 0.0),
        ("7", 7.0),
        # compound, as a teacher types a moment: largest unit first
        ("12d12h", 300.0),
        ("1w2d", 216.0),
        ("1h30m", 1.5),
        ("1d 6h", 30.0),
        ("2d 0.5h", 48.5),
        ("1h30min", 1.5),
    ],
)
def test_durations(text: object, hours: float) -> None:
    assert parse_duration(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    "bad",
    ["6x", "h", "", "-1h", "1e3h", True, None, [1], float("nan"), -2, "12d12", "12 12h", "1d-6h"],
)
def test_bad_durations_say_what_was_expected(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize("bad", ["12h12d", "1d1d", "30m1h"])
def test_compound_durations_want_the_largest_unit_first(bad: str) -> None:
    with pytest.raises(ValueError, match="largest first"):
        parse_duration(bad)


def test_the_schema_pattern_admits_what_the_parser_reads() -> None:
    import re

    from sim.scenario.units import DURATION_PATTERN

    for text in ("12d12h", "1w2d", "90m", "7", ".5d", "1d 6h"):
        assert re.match(DURATION_PATTERN, text), text
    for text in ("12d12", "6x", "1e3h", ""):
        assert not re.match(DURATION_PATTERN, text), text


@pytest.mark.parametrize(
    ("text", "per_hour"),
    [
        ("3/d", 3 / 24),
        ("0.5/h", 0.5),
        ("40/d", 40 / 24),
        ("1/w", 1 / 168),
        ("6/m", 360.0),
        (2, 2.0),
    ],
)
def test_rates(text: object, per_hour: float) -> None:
    assert parse_rate(text) == pytest.approx(per_hour)


@pytest.mark.parametrize("bad", ["3/x", "3", "3d", "/d", "-1/d", False, {"a": 1}])
def test_bad_rates_say_what_was_expected(bad: object) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(bad)


@pytest.mark.parametrize(
    ("hours", "text"),
    [(0.5, "30m"), (6, "6h"), (36, "36h"), (1.5, "1.5h"), (72, "3d"), (60, "2.5d")],
)
def test_format_hours(hours: float, text: str) -> None:
    assert format_hours(hours) == text
