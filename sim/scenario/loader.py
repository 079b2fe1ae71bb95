"""Loading scenario files: YAML, `extends` chains, `--set` overrides, validation.

`load_scenario` returns a validated scenario or raises ScenarioError carrying every
problem found; `validate_paths` is the same for many files and never raises.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import IntelsimError, Problem, ScenarioError
from sim.scenario.models import Scenario, link_name
from sim.scenario.paths import PathError, parse_override, parse_path, set_path, split_path
from sim.scenario.problems import Origin, validation_problems
from sim.scenario.references import check_references
from sim.scenario.yaml_reader import read_yaml, yaml_problem


def read_document(path: Path) -> dict[str, Any]:
    """The mapping a YAML scenario file holds; ScenarioError with one plain sentence if none."""

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(str(path), "", message)])

    if path.is_dir():
        raise fail("is a directory, not a scenario file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail("does not exist") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise fail("is a binary file, not YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        doc = read_yaml(text)
    except yaml.YAMLError as exc:
        raise fail(yaml_problem(exc)) from None
    if doc is None:
        raise fail("is empty; expected a scenario (a mapping with name, start, duration, …)")
    if not isinstance(doc, dict):
        kind = "a list" if isinstance(doc, list) else f"a single value ({doc!r:.40})"
        raise fail(f"holds {kind}; expected a mapping of sections (name:, nodes:, …) at the top")
    return doc


# --- links: a list of {from, to, ...} or a mapping {"FROM->TO": {...}} ---------------


def links_to_mapping(links: Any) -> Any:
    """Links in mapping form, so an extending file can change one link by name.

    Entries that cannot be named (not a mapping, no from/to) or repeat a name keep a
    key of their own, so validation still sees and reports them.
    """
    if not isinstance(links, list):
        return links
    out: dict[str, Any] = {}
    for i, item in enumerate(links):
        src = item.get("from") if isinstance(item, dict) else None
        dst = item.get("to") if isinstance(item, dict) else None
        key = link_name(src, dst) if isinstance(src, str) and isinstance(dst, str) else None
        out[f"{key or ''} (links[{i}])" if key is None or key in out else key] = item
    return out


def links_to_list(links: Any) -> tuple[Any, list[tuple[str, str]]]:
    """Links back in list form, from/to filled from mapping keys; with (key, why) problems."""
    if not isinstance(links, dict):
        return links, []
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    for key, item in links.items():
        src, arrow, dst = str(key).partition("->")
        if not isinstance(item, dict) or " (links[" in str(key):
            out.append(item)
            continue
        entry = dict(item)
        if arrow:
            for end, name in (("from", src.strip()), ("to", dst.strip())):
                if entry.setdefault(end, name) != name:
                    problems.append((key, f"`{end}: {entry[end]}` disagrees with the key {key}"))
        elif "from" not in entry or "to" not in entry:
            problems.append((key, "a link written in mapping form needs a FROM->TO key"))
            continue
        out.append(entry)
    return out, problems


def _with_link_mapping(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "links": links_to_mapping(doc["links"])} if "links" in doc else doc


def deep_merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings merge key by key; lists and scalars replace.

    A distribution written with its `dist` replaces the base one whole: merging
    {dist: lognormal, median, sigma} into {dist: exponential, mean} would keep `mean`.
    """
    if isinstance(base, dict) and isinstance(over, dict) and "dist" not in over:
        merged = dict(base)
        for key, value in over.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    return over


# --- extends -------------------------------------------------------------------------


@dataclass
class RawScenario:
    """A scenario document after `extends` and `--set`, before validation."""

    raw: dict[str, Any]
    files: list[Path]
    source_hash: str
    origin: Origin
    problems: list[Problem] = field(default_factory=list)


def _chain(path: Path) -> list[tuple[Path, dict[str, Any], bytes]]:
    """The file and its bases, extending file first; ScenarioError on a cycle or bad base."""
    chain: list[tuple[Path, dict[str, Any], bytes]] = []
    seen: list[Path] = []
    current = path
    while True:
        try:
            resolved = current.resolve()
        except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop
            loop = "is a symbolic link that loops back on itself"
            if not chain:
                raise ScenarioError([Problem(str(path), "", loop)]) from None
            why = f"{current} {loop}"
            raise ScenarioError([Problem(str(chain[-1][0]), "extends", why)]) from None
        if resolved in seen:
            names = " -> ".join(str(p) for p, _, _ in chain) + f" -> {current}"
            raise ScenarioError([Problem(str(path), "extends", f"extends cycle: {names}")])
        seen.append(resolved)
        try:
            doc = read_document(current)
        except ScenarioError as exc:
            if not chain:
                raise
            names = " -> ".join(str(p) for p, _, _ in chain) + f" -> {current}"
            why = "; ".join(p.message for p in exc.problems)
            message = f"cannot use base {current}: it {why} (chain: {names})"
            raise ScenarioError([Problem(str(chain[-1][0]), "extends", message)]) from None
        chain.append((current, doc, current.read_bytes()))
        base = doc.get("extends")
        if base is None:
            return chain
        if not isinstance(base, str) or not base.strip():
            raise ScenarioError(
                [Problem(str(current), "extends", f"expected a file path, found {base!r}")]
            )
        # normpath, not resolve: keep the path as relative as the user wrote it
        current = Path(os.path.normpath(current.parent / base))


def load_raw(path: Path, overrides: Sequence[str] = ()) -> RawScenario:
    """The merged, overridden document of a file and its bases, links in list form.

    Raises ScenarioError when there is no document to validate (unreadable file, YAML
    error, bad `extends`); other problems (a bad `--set`) are returned with it.
    """
    chain = _chain(path)
    top = str(path)
    docs = [(str(p), _with_link_mapping(doc)) for p, doc, _ in chain]
    merged: dict[str, Any] = {}
    for _, doc in reversed(docs):
        merged = deep_merge(merged, doc)
    merged.pop("extends", None)

    problems: list[Problem] = []
    applied: list[str] = []
    for text in overrides:
        try:
            where, value = parse_override(text)
            merged = set_path(merged, where, value)
            applied.append(where)
        except PathError as exc:
            problems.append(Problem(top, f"--set {text}", str(exc)))

    if "links" in merged:
        merged["links"], link_problems = links_to_list(merged["links"])
        problems += [Problem(top, f"links.{key}", why) for key, why in link_problems]

    digest = hashlib.sha256()
    for _, _, data in chain:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    origin = Origin(top=top, docs=docs, overrides=applied)
    return RawScenario(merged, [p for p, _, _ in chain], digest.hexdigest(), origin, problems)


# --- validation ----------------------------------------------------------------------


def validate_raw(raw: dict[str, Any], origin: Origin) -> tuple[Scenario | None, list[Problem]]:
    """The validated scenario (None if invalid) and every problem, warnings included."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        return None, validation_problems(exc, raw, origin)
    problems = check_references(scenario, origin.top)
    problems += check_interventions(raw, scenario, origin.top, problems)
    return scenario, [_relocate(p, origin) for p in problems]


def _relocate(problem: Problem, origin: Origin) -> Problem:
    """The problem named by the file (of an `extends` chain) that wrote the bad value."""
    file, note = origin.locate(parse_path(problem.path))
    return Problem(file, problem.path, problem.message + note, problem.severity)


FIXED_DURING_RUN = ("name", "description", "start", "duration", "seed", "interventions")


def check_interventions(
    raw: dict[str, Any], scenario: Scenario, file: str, known: Sequence[Problem] = ()
) -> list[Problem]:
    """Problems of applying every intervention, in time order, to the scenario.

    Each `set` path must name a field; the document after each intervention must
    still be a valid scenario. Problems the unchanged scenario already has
    (`known`) are not repeated.
    """
    problems: list[Problem] = []
    seen = {(p.path, p.message) for p in known}
    order = sorted(range(len(scenario.interventions)), key=lambda i: scenario.interventions[i].at)
    current = raw
    for i in order:
        for where, value in scenario.interventions[i].set.items():
            at = f"interventions[{i}].set.{where}"
            try:
                if split_path(where)[0] in FIXED_DURING_RUN:
                    raise PathError(f"`{split_path(where)[0]}` cannot change during a run")
                changed = set_path(current, where, value)
            except PathError as exc:
                problems.append(Problem(file, at, str(exc)))
                continue
            after, found = validate_raw_quietly(changed, file)
            new = [p for p in found if (p.path, p.message) not in seen]
            for p in new:
                seen.add((p.path, p.message))
                if p.severity == "error":
                    detail = p.message if p.path == where else f"{p.path}: {p.message}"
                    problems.append(Problem(file, at, f"after this change, {detail}"))
            if after is not None:
                current = changed
    return problems


def validate_raw_quietly(raw: dict[str, Any], file: str) -> tuple[Scenario | None, list[Problem]]:
    """Validate and check references, but not interventions (they are being applied)."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        return None, validation_problems(exc, raw, Origin(top=file))
    return scenario, check_references(scenario, file)


@dataclass
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    raw: dict[str, Any]
    source_hash: str
    files: list[Path]
    warnings: list[Problem] = field(default_factory=list)


def load_scenario(path: Path, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Load, merge, override and validate a scenario; ScenarioError lists every problem."""
    loaded = load_raw(Path(path), overrides)
    scenario, problems = validate_raw(loaded.raw, loaded.origin)
    problems = loaded.problems + problems
    if scenario is None or any(p.severity == "error" for p in problems):
        raise ScenarioError(problems)
    return LoadedScenario(scenario, loaded.raw, loaded.source_hash, loaded.files, problems)


def validate_paths(paths: Sequence[Path]) -> list[Problem]:
    """Every error and warning of every file; never raises for bad input."""
    problems: list[Problem] = []
    for path in paths:
        try:
            problems += load_scenario(Path(path)).warnings
        except ScenarioError as exc:
            problems += exc.problems
        except IntelsimError as exc:
            problems.append(Problem(str(path), "", str(exc)))
    return problems
