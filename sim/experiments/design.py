"""Experimental designs over scenario parameters: a grid of levels, a Latin hypercube, or
the designs of global sensitivity analysis (Sobol, Morris).

A factor is a dotted scenario path and the values it takes. `--vary PATH=V1,V2,...`
gives levels (each a YAML value, like `--set`); `--vary PATH=LOW..HIGH` gives a range
for `--design lhs`: numbers, durations ("2h..10d") or rates ("1/d..6/d"). Sampled
durations and rates keep the unit of the bounds when both share one ("1d..10d" gives
"3.7d"), else hours; integer bounds ("2..8") give integers.

Each factor also has a numeric *x* per value (for tables and plots) in its `unit`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import qmc

from sim.errors import IntelsimError
from sim.scenario.paths import parse_override
from sim.scenario.units import HOURS_PER_UNIT

_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(/\s*)?(s|min|m|h|d|w)?\s*$")


class DesignError(IntelsimError):
    """A --vary or --design that cannot be turned into points."""


@dataclass(frozen=True)
class Quantity:
    """A number with an optional duration unit ("6h") or rate unit ("3/d")."""

    value: float
    unit: str  # "" for a plain number, "h", "d", … for durations, "/d", … for rates
    integer: bool = False

    def in_unit(self, unit: str) -> float:
        """This quantity expressed in `unit` (same kind)."""
        if unit == self.unit:
            return self.value
        if unit.startswith("/"):
            return self.value / HOURS_PER_UNIT[self.unit[1:]] * HOURS_PER_UNIT[unit[1:]]
        return self.value * HOURS_PER_UNIT[self.unit] / HOURS_PER_UNIT[unit]

    @property
    def kind(self) -> str:
        return "number" if not self.unit else "rate" if self.unit.startswith("/") else "duration"


def parse_quantity(value: Any) -> Quantity | None:
    """A Quantity from a YAML value (8, 2.5, "6h", "3/d"), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Quantity(float(value), "", integer=True)
    if isinstance(value, float):
        return Quantity(value, "")
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if match is None:
        return None
    number, slash, unit = match.groups()
    if slash and not unit:
        return None
    if not unit:
        return Quantity(float(number), "", integer="." not in number)
    return Quantity(float(number), f"/{unit}" if slash else unit)


def common_unit(quantities: Sequence[Quantity]) -> str | None:
    """The unit to show values of one factor in: theirs if shared, else hours (per hour)."""
    kinds = {q.kind for q in quantities}
    if len(kinds) != 1:
        return None
    units = {q.unit for q in quantities}
    if len(units) == 1:
        return units.pop()
    return "/h" if kinds == {"rate"} else "h"


def format_value(value: float, unit: str, integer: bool) -> Any:
    """A sampled value as the scenario file would write it."""
    if integer:
        return round(value)
    rounded = float(f"{value:.6g}")
    return f"{rounded:g}{unit}" if unit else rounded


@dataclass(frozen=True)
class Factor:
    """A varied path: its levels (grid) or its range (lhs)."""

    path: str
    values: tuple[Any, ...] = ()
    low: Quantity | None = None
    high: Quantity | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def unit(self) -> str | None:
        """Unit of the numeric x of this factor's values; None when they are not numbers."""
        if self.low is not None and self.high is not None:
            return common_unit([self.low, self.high])
        quantities = [parse_quantity(v) for v in self.values]
        if any(q is None for q in quantities):
            return None
        return common_unit([q for q in quantities if q is not None])

    def x(self, value: Any) -> float | str:
        """A value as plotted and tabulated: a number in `unit`, else its text."""
        unit, quantity = self.unit, parse_quantity(value)
        if unit is None or quantity is None:
            return str(value)
        result = quantity.in_unit(unit)
        return int(result) if quantity.integer and result == int(result) else result


def split_levels(text: str) -> list[str]:
    """Split "a,b,[c, d]" at top-level commas (lists and mappings keep theirs)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts]


def parse_vary(text: str) -> Factor:
    """A factor from `--vary PATH=V1,V2,...` or `--vary PATH=LOW..HIGH`."""
    path, sep, rest = text.partition("=")
    if not sep or not rest.strip():
        msg = f"--vary {text!r}: expected PATH=V1,V2,... or PATH=LOW..HIGH"
        raise DesignError(msg)
    if path.strip() == "seed":
        msg = (
            f"--vary {text!r}: the seed is not a factor: every point runs the same replication "
            "seeds, drawn from the base seed (common random numbers); set that with --seed, "
            "and ask for more --replications to see more of the noise"
        )
        raise DesignError(msg)
    if ".." in rest and not rest.strip().startswith(("[", "{")):
        low_text, _, high_text = rest.partition("..")
        low, high = parse_quantity(low_text.strip()), parse_quantity(high_text.strip())
        if low is None or high is None or common_unit([low, high]) is None:
            msg = (
                f"--vary {text!r}: a range needs two numbers, durations or rates of one kind, "
                "e.g. 2..8, 2h..10d or 1/d..6/d"
            )
            raise DesignError(msg)
        unit = common_unit([low, high]) or ""
        if low.in_unit(unit) >= high.in_unit(unit):
            msg = f"--vary {text!r}: the low end must be below the high end"
            raise DesignError(msg)
        return Factor(path.strip(), low=low, high=high)
    levels = split_levels(rest)
    if any(not level for level in levels):
        msg = f"--vary {text!r}: an empty value in the list"
        raise DesignError(msg)
    values = tuple(parse_override(f"{path}={level}")[1] for level in levels)
    return Factor(path.strip(), values=values)


@dataclass(frozen=True)
class Point:
    """One point of a design: the value of every factor, as set on the scenario."""

    index: int
    values: tuple[tuple[str, Any], ...]

    def overrides(self) -> list[str]:
        """The point as `--set PATH=VALUE` texts (values in YAML flow form)."""
        import yaml

        out = []
        for path, value in self.values:
            text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
            text = text.removesuffix("...").strip()
            out.append(f"{path}={text}")
        return out


def grid(factors: Sequence[Factor]) -> list[Point]:
    """Every combination of levels, the last factor varying fastest."""
    if any(f.is_range for f in factors):
        bad = next(f for f in factors if f.is_range)
        msg = (
            f"--vary {bad.path}: a range LOW..HIGH needs `--design lhs --samples K`; "
            "for a grid list the levels, e.g. V1,V2,V3"
        )
        raise DesignError(msg)
    combos = itertools.product(*(f.values for f in factors))
    return [
        Point(i, tuple((f.path, v) for f, v in zip(factors, combo, strict=True)))
        for i, combo in enumerate(combos)
    ]


def value_at(factor: Factor, u: float) -> Any:
    """The value of a range factor at `u` in [0, 1] of its range, as a scenario file writes it."""
    assert factor.low is not None and factor.high is not None
    unit = factor.unit or ""
    lo, hi = factor.low.in_unit(unit), factor.high.in_unit(unit)
    integer = factor.low.integer and factor.high.integer
    if integer:
        # equal-width bins over the integers lo..hi, so the ends are as likely as the rest
        value: float = min(hi, lo + int(u * (hi - lo + 1)))
    else:
        value = lo + float(u) * (hi - lo)
    return format_value(value, unit, integer)


def _need_ranges(factors: Sequence[Factor], design: str) -> None:
    for factor in factors:
        if not factor.is_range:
            msg = f"--vary {factor.path}: {design} needs a range LOW..HIGH, e.g. 2h..10d"
            raise DesignError(msg)


def points_at(factors: Sequence[Factor], unit_cube: Any) -> list[Point]:
    """A point per row of `unit_cube` (one column per factor, values in [0, 1])."""
    return [
        Point(i, tuple((f.path, value_at(f, u)) for f, u in zip(factors, row, strict=True)))
        for i, row in enumerate(unit_cube)
    ]


def latin_hypercube(factors: Sequence[Factor], samples: int, seed: int) -> list[Point]:
    """`samples` points spread over every range by a Latin hypercube (seeded)."""
    if samples < 1:
        msg = f"--samples must be at least 1, not {samples}"
        raise DesignError(msg)
    _need_ranges(factors, "--design lhs")
    return points_at(factors, qmc.LatinHypercube(d=len(factors), seed=seed).random(samples))


SENSITIVITY_DESIGNS = ("sobol", "morris")
MORRIS_LEVELS = 4


def unit_sample(design: str, factors: int, samples: int, seed: int) -> Any:
    """The design of a sensitivity method in the unit cube (SALib), one row per point.

    sobol: Saltelli's scheme for first-order and total indices, samples × (factors + 2)
    points; `samples` must be a power of two (the Sobol' sequence is balanced only
    then). morris: `samples` trajectories of factors + 1 points over 4 levels.
    """
    problem = {"num_vars": factors, "names": [f"x{i}" for i in range(factors)]}
    problem["bounds"] = [[0.0, 1.0]] * factors
    if design == "sobol":
        if samples < 2 or samples & (samples - 1):
            msg = f"--samples {samples}: Sobol indices need a power of two (e.g. 32, 64, 128)"
            raise DesignError(msg)
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    if samples < 2:
        msg = f"--samples {samples}: Morris needs at least 2 trajectories"
        raise DesignError(msg)
    from SALib.sample import morris

    return morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def build_design(
    factors: Sequence[Factor], design: str = "grid", samples: int | None = None, seed: int = 0
) -> list[Point]:
    """The points of a design named on the command line ("grid" or "lhs")."""
    if not factors:
        msg = "nothing to vary: give at least one --vary PATH=V1,V2,..."
        raise DesignError(msg)
    paths = [f.path for f in factors]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        msg = f"--vary names {', '.join(repeated)} more than once"
        raise DesignError(msg)
    if design == "grid":
        if samples is not None:
            msg = "--samples is for --design lhs; a grid runs every combination of levels"
            raise DesignError(msg)
        return grid(factors)
    if design == "lhs":
        if samples is None:
            msg = "--design lhs needs --samples K"
            raise DesignError(msg)
        return latin_hypercube(factors, samples, seed)
    if design in SENSITIVITY_DESIGNS:
        if samples is None:
            msg = f"--method {design} needs --samples N"
            raise DesignError(msg)
        _need_ranges(factors, f"--method {design}")
        return points_at(factors, unit_sample(design, len(factors), samples, seed))
    msg = f"--design {design!r}: expected grid or lhs"
    raise DesignError(msg)
