"""Pydantic validation errors as Problem lines: field path, what was found, what was expected.

Paths are written the way a user reads the file (``nodes.UKR-HUR.analysts``,
``links.UKR-HUR->NATO-JISD.latency``, ``theater.usage[0].rate``), found by walking
the Scenario model along each error's location.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.errors import Problem, suggest
from sim.scenario.models import Scenario
from sim.scenario.paths import (
    Segment,
    Shape,
    fields_of,
    format_path,
    item_name,
    shape_of,
    split_path,
)

_PATTERNS = {
    r"^[A-F][1-6]$": "an Admiralty code: a letter A–F (source reliability) and a digit 1–6 "
    "(credibility), e.g. B2",
    r"^[A-Za-z0-9][A-Za-z0-9_:+ -]*$": "a name of letters, digits, spaces and - _ : + "
    "(no dots), starting with a letter or digit",
}

_PLAIN = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "list_type": "expected a list, e.g. [A, B]",
    "dict_type": "expected a mapping of names to entries",
    "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
    "datetime_type": "expected a date and time such as 2024-07-11T00:00:00Z",
    "datetime_parsing": "expected a date and time such as 2024-07-11T00:00:00Z",
    "datetime_from_date_parsing": "expected a date and time such as 2024-07-11T00:00:00Z",
    "finite_number": "expected a finite number",
}

_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", "≥"),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "≤"),
}

DISTRIBUTION_HELP = (
    'a duration such as "6h" (fixed), or a mapping such as {dist: exponential, mean: 6h}'
)


@dataclass
class Origin:
    """Which file wrote which part of a merged document, to name it in a problem."""

    top: str
    docs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    def locate(self, keys: Sequence[Segment]) -> tuple[str, str]:
        """The file to name for a problem at `keys`, and a note to add to its message."""
        for override in self.overrides:
            segs = split_path(override)
            n = min(len(segs), len(keys))
            if [str(k) for k in keys[:n]] == segs[:n]:
                return self.top, f" (after --set {override})"
        if len(self.docs) <= 1:
            return self.top, ""
        for file, doc in self.docs:
            if _has(doc, keys):
                return (file, "") if file == self.top else (file, f" (extended by {self.top})")
        return self.top, " (after extends)"


def _has(doc: Any, keys: Sequence[Segment]) -> bool:
    for key in keys:
        if isinstance(doc, list) and isinstance(key, int) and 0 <= key < len(doc):
            doc = doc[key]
            continue
        # display paths write every mapping key as text, even a number
        by_text = {str(k): k for k in doc} if isinstance(doc, Mapping) else {}
        if str(key) not in by_text:
            return False
        doc = doc[by_text[str(key)]]
    return True


@dataclass
class _Where:
    path: list[Segment]  # as displayed; link names instead of list indices
    parent: Shape  # the shape holding the last segment
    shape: Shape  # the shape at the error's location
    tag: str = ""  # the distribution (or other union member) the error is inside


def _walk(loc: Sequence[str | int], raw: Any) -> _Where:
    shape = Shape("model", model=Scenario)
    parent = shape
    node: Any = raw
    path: list[Segment] = []
    tag = ""
    for seg in loc:
        if shape.kind == "union":
            if not isinstance(node, Mapping):
                break  # a bare duration, coerced to {dist: fixed, ...}: the rest is invented
            if isinstance(seg, str) and seg in shape.tags:
                shape, tag = Shape("model", model=shape.tags[seg]), seg
                continue
        if seg == "[key]":
            break  # the error is about the name (the last segment) itself
        parent = shape
        if shape.kind == "model" and shape.model is not None and isinstance(seg, str):
            annotation = fields_of(shape.model).get(seg)
            shape = shape_of(annotation) if annotation is not None else Shape("value")
        elif shape.kind in ("mapping", "list"):
            shape = shape_of(shape.item)
        else:
            shape = Shape("value")
        display: Segment = seg
        if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
            name = item_name(node[seg])
            names = [item_name(item) for item in node]
            if name and "->" in name and names.count(name) == 1:
                display = name
            node = node[seg]
        elif isinstance(node, Mapping):
            node = node.get(seg)
            display = str(seg)  # a mapping key, even a number, is a name, not an index
        else:
            node = None
        path.append(display)
    return _Where(path, parent, shape, tag)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expected_literals(ctx: Mapping[str, Any]) -> list[str]:
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))


def explain(err: ErrorDetails, where: _Where) -> str:
    """One plain sentence for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    found = _short(err.get("input"))
    if kind == "extra_forbidden":
        key = str(where.path[-1]) if where.path else "?"
        model = where.parent.model
        choices = list(fields_of(model)) if where.parent.kind == "model" and model else []
        hint = suggest(key, choices) or f"; expected one of: {', '.join(choices)}"
        return f"unknown field `{key}`{hint}"
    if kind == "missing":
        owner = f" for a {where.tag} distribution" if where.tag else ""
        return f"required{owner} but missing"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "dist")).strip("'")
        tags = _expected_literals({"expected": ctx.get("expected_tags", "")}) or list(
            where.shape.tags
        )
        if kind == "union_tag_not_found":
            return f"`{key}` is missing; expected {DISTRIBUTION_HELP}; found {found}"
        tag = str(ctx.get("tag", ""))
        return (
            f"unknown distribution `{key}: {tag}`{suggest(tag, tags)}; "
            f"`{key}` must be one of: {', '.join(tags)}"
        )
    if kind in ("value_error", "assertion_error"):
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if "found" in message or isinstance(err.get("input"), Mapping):
            return message  # a whole section's input says nothing a user does not see
        return f"{message} (found {found})"
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        bound = ctx.get(key)
        probability = " (a probability, 0 to 1)" if kind.startswith("less") and bound == 1 else ""
        shown = f"{bound:g}" if isinstance(bound, int | float) else bound
        return f"expected a number {sign} {shown}{probability}, found {found}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"expected {_PATTERNS.get(pattern, f'text matching {pattern}')}, found {found}"
    if kind == "literal_error":
        options = _expected_literals(ctx)
        return f"expected one of {', '.join(options)}{suggest(str(err.get('input')), options)}" + (
            f"; found {found}"
        )
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        least = "at least" if "short" in kind else "at most"
        count = ctx.get("min_length", ctx.get("max_length"))
        unit = "character" if kind.startswith("string") else "entry"
        amount = f"one {unit}" if count == 1 else f"{count} {unit.replace('y', 'ie')}s"
        return f"expected {least} {amount}, found {found}"
    if where.shape.kind == "union" and kind in ("model_type", "model_attributes_type"):
        return f"expected {DISTRIBUTION_HELP}, found {found}"
    if err["loc"] and err["loc"][-1] == "[key]":
        return f"a name must be text, found {found}"
    if kind in _PLAIN:
        return f"{_PLAIN[kind]}, found {found}"
    return f"{err['msg']} (found {found})"


def validation_problems(exc: ValidationError, raw: Any, origin: Origin) -> list[Problem]:
    """One Problem per pydantic error, named by file and field path."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        where = _walk(err["loc"], raw)
        keys = where.path[:-1] if err["type"] == "missing" else where.path
        file, note = origin.locate(keys)
        problem = Problem(file, format_path(where.path), explain(err, where) + note)
        if problem not in problems:
            problems.append(problem)
    return problems
