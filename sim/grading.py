"""Admiralty grades, the confidence independent graded sources lend, and its PHIA words.

Pure: no simpy, no clock, no randomness; the only I/O is reading the packaged
probability yardstick (``sim/data/phia.yaml``) once.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.errors import IntelsimError, Problem, ScenarioError

RELIABILITIES = "ABCDEF"
CREDIBILITIES = (1, 2, 3, 4, 5, 6)


class GradeError(IntelsimError, ValueError):
    """A string that is not an Admiralty grade such as ``B2``."""


@dataclass(frozen=True, slots=True)
class Grade:
    """An Admiralty (STANAG 2511) grade: source reliability A–F, information credibility 1–6."""

    reliability: str
    credibility: int

    def __str__(self) -> str:
        return f"{self.reliability}{self.credibility}"


# The confidence rule is a naive-Bayes log-odds update: each independent source adds
# log LR(grade), where log LR = RELIABILITY_WEIGHT[r] * CREDIBILITY_LOG_LR[c].
#
# CREDIBILITY_LOG_LR is the evidence (natural log of a likelihood ratio) that the
# information itself carries if its source were completely reliable: 1 "confirmed"
# strong, 2 "probably true" ~ LR 4, 3 "possibly true" ~ LR 2.2, 4 "doubtful" slightly
# against, 5 "improbable" against, 6 "cannot be judged" no evidence at all.
# RELIABILITY_WEIGHT shrinks that evidence toward nothing by how far the source can be
# trusted: A 1 ... E 0.2; F "cannot be judged" sits between D and E (a new source is
# neither trusted nor distrusted, and F6 is exactly neutral through credibility 6).
# Calibration [A]: with the default prior 0.2, two independent B2 sources give 0.69
# ("likely"), three give 0.87 ("highly likely"), matching how analysts treat
# corroboration by usually-reliable sources; C3 (a front-line unit) is weak support,
# E5 (adversary state media) weak evidence against. Every grade C3 or better has
# LR > 1, so corroboration never lowers confidence.
RELIABILITY_WEIGHT: Mapping[str, float] = {
    "A": 1.0,
    "B": 0.8,
    "C": 0.6,
    "D": 0.4,
    "E": 0.2,
    "F": 0.3,
}
CREDIBILITY_LOG_LR: Mapping[int, float] = {
    1: 2.0,
    2: 1.4,
    3: 0.8,
    4: -0.2,
    5: -1.0,
    6: 0.0,
}
# Every grade's log likelihood ratio, precomputed: confidence() runs once per report.
LOG_LR: Mapping[str, float] = {
    f"{r}{c}": RELIABILITY_WEIGHT[r] * CREDIBILITY_LOG_LR[c]
    for r in RELIABILITIES
    for c in CREDIBILITIES
}
# Confidence is kept inside (0, 1): logistic(15) = 1 - 3e-7, and a float never rounds it to 1.
MAX_LOG_ODDS = 15.0


def is_valid_grade(text: str) -> bool:
    """True when ``text`` is an Admiralty grade such as ``"B2"`` (upper-case letter, digit)."""
    return isinstance(text, str) and text in LOG_LR


def parse_grade(text: str) -> Grade:
    """Parse ``"B2"`` into ``Grade("B", 2)``; raise :class:`GradeError` (a ValueError) if bad."""
    if is_valid_grade(text):
        return Grade(text[0], int(text[1]))
    hint = ""
    if isinstance(text, str) and text.strip().upper() in LOG_LR:
        hint = f" (did you mean {text.strip().upper()!r}?)"
    msg = (
        f"bad Admiralty grade {text!r}: expected a source reliability letter A-F followed "
        f"by an information credibility digit 1-6, such as 'B2'{hint}"
    )
    raise GradeError(msg)


def log_likelihood_ratio(grade: str) -> float:
    """The evidence one source graded ``grade`` lends (natural log of its likelihood ratio)."""
    try:
        return LOG_LR[grade]
    except KeyError:
        parse_grade(grade)  # raises the clear message
        raise


def better_grade(a: str, b: str) -> str:
    """The grade that lends more support (higher likelihood ratio); ties go to A1-first order."""
    la, lb = log_likelihood_ratio(a), log_likelihood_ratio(b)
    if la != lb:
        return a if la > lb else b
    return min(a, b)


def confidence(grades_by_source: Mapping[str, str], prior: float) -> float:
    """Probability that the claim is true given one best grade per independent source.

    Log-odds update: ``logit(prior) + Σ log LR(grade)`` over sources, clamped to
    ±MAX_LOG_ODDS so the result is never exactly 0 or 1. A source appears once in the
    mapping, so repeating it can never add. ``math.fsum`` makes the sum exact, hence
    adding a source with LR ≥ 1 never lowers the result, whatever the order.
    """
    if not 0.0 < prior < 1.0:
        msg = f"prior must be strictly between 0 and 1, got {prior!r}"
        raise ValueError(msg)
    terms = [math.log(prior / (1.0 - prior))]
    terms.extend(log_likelihood_ratio(g) for g in grades_by_source.values())
    z = max(-MAX_LOG_ODDS, min(MAX_LOG_ODDS, math.fsum(terms)))
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class Scale:
    """A verbal probability scale: band ``i`` holds p with ``uppers[i-1] <= p < uppers[i]``."""

    name: str
    names: tuple[str, ...]
    uppers: tuple[float, ...]


def band(p: float, scale: Scale | None = None) -> str:
    """The words for probability ``p`` (0..1) on ``scale`` (default: the PHIA yardstick)."""
    if not 0.0 <= p <= 1.0:
        msg = f"probability must be between 0 and 1, got {p!r}"
        raise ValueError(msg)
    s = scale if scale is not None else _default_scale()
    return s.names[min(bisect_right(s.uppers, p), len(s.names) - 1)]


def load_scale(path: Path | None = None) -> Scale:
    """Load a probability scale from YAML; the packaged PHIA yardstick when ``path`` is None.

    Raises :class:`ScenarioError` naming every problem in the file.
    """
    # imported here, not at the top: a log's readers need the grades, not the yardstick
    # file (YAML is ~10 ms of start-up)
    from importlib import resources

    import yaml

    if path is None:
        label = "sim/data/phia.yaml"
        text = resources.files("sim").joinpath("data", "phia.yaml").read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError([Problem(label, "", f"cannot read: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(label, "", f"not valid YAML: {exc}")]) from None
    return _scale_from_data(data, label)


def _scale_from_data(data: Any, label: str) -> Scale:
    """Check a loaded scale document and build the Scale; every problem is reported."""
    problems: list[Problem] = []
    bands = data.get("bands") if isinstance(data, dict) else None
    if not isinstance(bands, list) or not bands:
        raise ScenarioError([Problem(label, "bands", "expected a non-empty list of bands")])
    names: list[str] = []
    uppers: list[float] = []
    for i, item in enumerate(bands):
        where = f"bands[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(label, where, "expected {name: ..., upper: ...}"))
            continue
        name, upper = item.get("name"), item.get("upper")
        if not isinstance(name, str) or not name.strip():
            msg = f"expected a non-empty name, got {name!r} (quote yes/no/on/off)"
            problems.append(Problem(label, f"{where}.name", msg))
        elif name in names:
            problems.append(Problem(label, f"{where}.name", f"duplicate band {name!r}"))
        else:
            names.append(name)
        if isinstance(upper, bool) or not isinstance(upper, int | float):
            msg = f"expected a number, got {upper!r}"
            problems.append(Problem(label, f"{where}.upper", msg))
        elif uppers and not float(upper) > uppers[-1]:
            msg = f"upper bounds must increase: {upper} after {uppers[-1]}"
            problems.append(Problem(label, f"{where}.upper", msg))
        elif not 0.0 < float(upper) <= 1.0:
            problems.append(Problem(label, f"{where}.upper", f"must be in (0, 1], got {upper}"))
        else:
            uppers.append(float(upper))
    if not problems and uppers[-1] != 1.0:
        where = f"bands[{len(bands) - 1}].upper"
        problems.append(Problem(label, where, "the last band's upper bound must be 1.0"))
    if problems:
        raise ScenarioError(problems)
    name = data.get("name", label)
    return Scale(name=str(name), names=tuple(names), uppers=tuple(uppers))


@lru_cache(maxsize=1)
def _default_scale() -> Scale:
    return load_scale()
