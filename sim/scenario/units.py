"""Durations and rates as people write them: "90m", "6h", "2.5d", "1w", "3/d"; hours inside."""

from __future__ import annotations

import re
from itertools import pairwise

HOURS_PER_UNIT: dict[str, float] = {
    "s": 1 / 3600,
    "m": 1 / 60,
    "min": 1 / 60,
    "h": 1.0,
    "d": 24.0,
    "w": 168.0,
}

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_UNIT = r"(?:min|s|m|h|d|w)"
# one number with an optional unit (hours), or several numbers each with its unit: "12d12h"
DURATION_PATTERN = rf"^\s*(?:{_NUMBER}\s*{_UNIT}?|(?:{_NUMBER}\s*{_UNIT}\s*){{2,}})\s*$"
RATE_PATTERN = rf"^\s*{_NUMBER}\s*/\s*{_UNIT}\s*$"
_DURATION = re.compile(DURATION_PATTERN)
_PART = re.compile(rf"({_NUMBER})\s*({_UNIT})?")
_RATE = re.compile(rf"^\s*({_NUMBER})\s*/\s*({_UNIT})\s*$")

DURATION_HELP = 'a duration such as "90m", "6h", "2.5d", "1w", "12d12h" or a number of hours'
RATE_HELP = 'a rate such as "3/d", "0.5/h" or a number per hour'


def parse_duration(value: object) -> float:
    """Hours in a duration: a number (hours) or a string with a unit; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, found {value!r}")
    if isinstance(value, int | float):
        hours = float(value)
    elif isinstance(value, str):
        hours = _duration_text(value)
    else:
        raise ValueError(f"expected {DURATION_HELP}, found {value!r}")
    if hours < 0 or hours != hours or hours == float("inf"):
        raise ValueError(f"a duration must be a finite number ≥ 0, found {value!r}")
    return hours


def _duration_text(text: str) -> float:
    """Hours in "6h", "2.5d" or a compound "12d12h", "1w2d", "1h30m" (largest unit first,
    each once); raises ValueError."""
    if _DURATION.match(text) is None:
        raise ValueError(f"expected {DURATION_HELP}, found {text!r}")
    parts = _PART.findall(text)
    sizes = [HOURS_PER_UNIT[unit or "h"] for _, unit in parts]
    if any(a <= b for a, b in pairwise(sizes)):
        msg = f"expected the units of a duration largest first, each once (12d12h): {text!r}"
        raise ValueError(msg)
    return sum(float(number) * size for (number, _), size in zip(parts, sizes, strict=True))


def parse_rate(value: object) -> float:
    """Events per hour in a rate: a number (per hour) or "N/unit"; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"expected {RATE_HELP}, found {value!r}")
    if isinstance(value, int | float):
        per_hour = float(value)
    elif isinstance(value, str):
        match = _RATE.match(value)
        if match is None:
            raise ValueError(f"expected {RATE_HELP}, found {value!r}")
        per_hour = float(match.group(1)) / HOURS_PER_UNIT[match.group(2)]
    else:
        raise ValueError(f"expected {RATE_HELP}, found {value!r}")
    if per_hour < 0 or per_hour != per_hour or per_hour == float("inf"):
        raise ValueError(f"a rate must be a finite number ≥ 0, found {value!r}")
    return per_hour


def format_hours(hours: float) -> str:
    """A short human form of a duration in hours: 0.5 -> "30m", 36 -> "1.5d"."""
    if hours < 1:
        return f"{hours * 60:.0f}m"
    if hours < 48:
        return f"{hours:.1f}h".replace(".0h", "h")
    return f"{hours / 24:.1f}d".replace(".0d", "d")
