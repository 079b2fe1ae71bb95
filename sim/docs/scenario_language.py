"""The Markdown reference of the scenario language, generated from the models so it cannot drift.

``python -m sim.docs.scenario_language > docs/scenario-language.md`` writes it; a test
asserts the committed file equals :func:`scenario_reference_markdown`. Field types,
defaults and descriptions come from :mod:`sim.scenario.models`; units, distributions,
the classification ladder and the Admiralty grades from the modules that define them.
Only the prose around them is written here.
"""

from __future__ import annotations

import functools
import operator
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from sim import grading
from sim.scenario.distributions import AnyDist
from sim.scenario.loader import FIXED_DURING_RUN  # the loader's list is the rule itself
from sim.scenario.markings import CLASSIFICATIONS
from sim.scenario.models import DISCIPLINES, Scenario
from sim.scenario.units import HOURS_PER_UNIT, format_hours, parse_duration, parse_rate

COMMAND = "python -m sim.docs.scenario_language > docs/scenario-language.md"

DIST_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(AnyDist)[0])

RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
DISCIPLINE_WORDS = {
    "FORENSIC": "examination of debris and remains (prosecutors, forensic institutes)",
    "OSINT": "open sources: press, social media, public reports",
    "IMINT": "imagery: photographs, satellite and drone images",
    "HUMINT": "human sources",
    "SIGINT": "signals: intercepted communications and emissions",
    "MASINT": "measurement and signature (e.g. radar tracks of a missile)",
    "GEOINT": "geospatial analysis",
    "OFFICIAL": "official statements and government releases",
}
UNIT_WORDS = {
    "s": "seconds",
    "m": "minutes",
    "min": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}

# --- types in plain words ------------------------------------------------------------


def _unwrap(tp: Any) -> tuple[Any, bool, list[Any]]:
    """The core type under Annotated/Optional layers, whether None is allowed, the metadata."""
    nullable, meta = False, []
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                meta += item.metadata if isinstance(item, FieldInfo) else [item]
        elif origin in (Union, types.UnionType) and type(None) in get_args(tp):
            nullable = True
            members = [a for a in get_args(tp) if a is not type(None)]
            tp = members[0] if len(members) == 1 else functools.reduce(operator.or_, members)
        else:
            return tp, nullable, meta


def _class_name(model: type) -> str:
    return model.__name__


def _number(value: Any) -> str:
    if isinstance(value, int) and value > 2**32 and value & (value - 1) == 0:
        return f"2^{value.bit_length() - 1}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(meta: Sequence[Any]) -> str:
    """ " ≥ 1", " 1–10000", " 0 < x < 1" from annotated-types metadata ("" if unbounded)."""
    low: tuple[Any, str] | None = None
    high: tuple[Any, str] | None = None
    for m in meta:
        if isinstance(m, at.Ge | at.Gt):
            low = (m.ge, "≥") if isinstance(m, at.Ge) else (m.gt, ">")
        elif isinstance(m, at.Le | at.Lt):
            high = (m.le, "≤") if isinstance(m, at.Le) else (m.lt, "<")
    if low and high:
        if low[1] == "≥" and high[1] == "≤":
            return f" {_number(low[0])}–{_number(high[0])}"
        low_op = "<" if low[1] == ">" else "≤"
        return f" {_number(low[0])} {low_op} x {high[1]} {_number(high[0])}"
    bound = low or high
    return f" {bound[1]} {_number(bound[0])}" if bound else ""


def _validator(meta: Sequence[Any]) -> Callable[..., Any] | None:
    return next((m.func for m in meta if isinstance(m, BeforeValidator)), None)


def type_words(tp: Any, meta: Sequence[Any] = (), ref: Callable[[type], str] | None = None) -> str:
    """A field type in plain words: "duration", "probability 0–1", "list of names", …

    ``ref`` names a nested model (a Markdown link); by default its class name.
    """
    core, nullable, inner = _unwrap(tp)
    meta = [*meta, *inner]
    words = _core_words(core, meta, ref or _class_name)
    if any(isinstance(m, at.MinLen) and m.min_length >= 1 for m in meta) and (
        words.startswith(("list", "mapping"))
    ):
        words = "non-empty " + words
    return words + (", or none" if nullable and not words.endswith("none") else "")


def _core_words(core: Any, meta: Sequence[Any], ref: Callable[[type], str]) -> str:
    validator = _validator(meta)
    if validator is parse_duration:
        return "duration" + _bounds(meta)
    if validator is parse_rate:
        return "rate"
    members = set(get_args(core)) if get_origin(core) in (Union, types.UnionType) else set()
    if members and members <= set(DIST_MODELS):
        return "[distribution](#distributions)"
    if isinstance(core, type) and issubclass(core, BaseModel):
        return ref(core)
    origin = get_origin(core)
    if origin is list:
        item = get_args(core)[0]
        words = _core_words(*_unwrap(item)[::2], ref)
        return "list of " + ("names" if words == "text" else _plural(words))
    if origin is dict:
        value = get_args(core)[1]
        value_words = "value" if value is Any else _core_words(*_unwrap(value)[::2], ref)
        key_words = "path" if value is Any else "name"
        return f"mapping {key_words} → {value_words}"
    if origin is Literal:
        options = get_args(core)
        if set(options) == set(DISCIPLINES):
            return "[discipline](#disciplines)"
        return " or ".join(f"`{o}`" for o in options)
    if core is bool:
        return "true or false"
    if core is int:
        return "integer" + _bounds(meta)
    if core is float:
        if _bounds(meta) == " 0–1":
            return "probability 0–1"
        return "number" + _bounds(meta)
    if core is datetime:
        return "UTC date-time"
    if core is str:
        patterns = [getattr(m, "pattern", None) for m in meta]
        if r"^[A-F][1-6]$" in patterns:
            return "[Admiralty grade](#admiralty-grades)"
        return "name" if any(patterns) else "text"
    return getattr(core, "__name__", str(core))


def _plural(words: str) -> str:
    if words.startswith("["):  # a link: [Usage](#usage) -> [Usage](#usage) items
        return words + " items"
    return words + "s"


# --- tables --------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml_flow(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [_yaml_flow(v) for v in value]
        if len(items) > 3:
            items = [items[0], "…", items[-1]]
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_flow(v)}" for k, v in value.items()) + "}"
    if value == "":
        return '""'
    return _number(value) if isinstance(value, int | float) else str(value)


def default_words(info: FieldInfo) -> str:
    """ "**required**", "none", or the default as a file would write it."""
    if info.is_required():
        return "**required**"
    factory: Any = info.default_factory
    value = factory() if factory is not None else info.default
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "empty"
    if _validator([*info.metadata, *_unwrap(info.annotation)[2]]) is parse_duration:
        return f"`{format_hours(value)}`" if value else "`0h`"
    return f"`{_yaml_flow(value)}`"


def field_table(model: type[BaseModel], ref: Callable[[type], str]) -> list[str]:
    """A Markdown table of a model's fields: key (alias), type, default, description."""
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        words = type_words(info.annotation, list(info.metadata), ref)
        row = [f"`{key}`", words, default_words(info), info.description or ""]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


# --- sections ------------------------------------------------------------------------


def _models_in(tp: Any) -> Iterator[type[BaseModel]]:
    """The scenario models a type holds directly (not distributions)."""
    core = _unwrap(tp)[0]
    if isinstance(core, type) and issubclass(core, BaseModel) and core not in DIST_MODELS:
        yield core
    elif get_origin(core) in (list, dict):
        yield from _models_in(get_args(core)[-1])


def _where(tp: Any, path: str) -> str:
    """How a value of this type is addressed below `path`: `nodes.NAME`, `links[]`."""
    core = _unwrap(tp)[0]
    if get_origin(core) is dict:
        return f"{path}.NAME"
    if get_origin(core) is list:
        return f"{path}[]"
    return path


class _Plan:
    """Which model is documented where: a section's own model, or a sub-model table."""

    def __init__(self) -> None:
        self.anchor: dict[type, str] = {}
        self.subs: dict[str, list[tuple[type[BaseModel], str]]] = {}
        for key, info in _sections():
            own = next(_models_in(info.annotation), None)
            self.subs[key] = []
            if own is None:
                continue
            self.anchor[own] = key
            self._walk(key, own, _where(info.annotation, key))

    def _walk(self, key: str, model: type[BaseModel], path: str) -> None:
        for name, info in model.model_fields.items():
            for sub in _models_in(info.annotation):
                if sub in self.anchor:
                    continue
                self.anchor[sub] = sub.__name__.lower()
                where = _where(info.annotation, f"{path}.{info.alias or name}")
                self.subs[key].append((sub, where))
                self._walk(key, sub, where)

    def ref(self, model: type) -> str:
        return f"[{model.__name__}](#{self.anchor[model]})" if model in self.anchor else "section"


def _sections() -> list[tuple[str, FieldInfo]]:
    """The top-level keys of a scenario file, in declaration order (`$schema` aside)."""
    return [
        (info.alias or name, info)
        for name, info in Scenario.model_fields.items()
        if (info.alias or name) != "$schema"
    ]


def _section(key: str, info: FieldInfo, plan: _Plan) -> list[str]:
    lines = [f"## `{key}`", ""]
    own = next(_models_in(info.annotation), None)
    words = type_words(info.annotation, list(info.metadata), plan.ref)
    default = default_words(info)
    default = "required" if info.is_required() else f"default {default}"
    lines += [f"{_sentence(info.description or '')} Type: {words}; {default}.", ""]
    if own is not None:
        where = _where(info.annotation, key)
        each = "Each entry, " if where != key else ""
        lines += [f"{each}`{where}`: {_doc(own)}", ""]
        lines += [*field_table(own, plan.ref), ""]
    if key in NOTES:
        lines += [NOTES[key]().strip(), ""]
    for sub, where in plan.subs[key]:
        lines += [f"### {sub.__name__}", "", f"`{where}`: {_doc(sub)}", ""]
        lines += [*field_table(sub, plan.ref), ""]
    return lines


def _sentence(text: str) -> str:
    """A description as a sentence: capitalised, ending with a full stop."""
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _doc(model: type) -> str:
    """The first line of a model's docstring, starting in lower case."""
    line = (model.__doc__ or "").strip().splitlines()[0]
    return line[:1].lower() + line[1:]


# --- hand-written notes, with generated tables -------------------------------------


def _units() -> str:
    rows = "\n".join(
        f"| `{unit}` | {UNIT_WORDS[unit]} | {_number(round(hours, 6))} |"
        for unit, hours in HOURS_PER_UNIT.items()
    )
    return f"""
## Values

**Durations and times** are written `"90m"`, `"6h"`, `"2.5d"`, `"1w"`, or as a number
of hours (`36`). Times such as `at`, `from` and `until` are durations since `start`.
Inside the simulation every time is in hours.

| unit | meaning | hours |
| --- | --- | --- |
{rows}

**Rates** are written `"3/d"`, `"0.5/h"` (any unit above after the slash), or as a
number per hour. **Probabilities** are numbers from 0 to 1. **Names** (of the scenario,
sectors, campaigns, attacks) start with a letter or digit and hold letters, digits,
`_ : + -` and spaces; names never contain dots, since dotted paths are made of them.
"""


def _distributions() -> str:
    rows = []
    for model in DIST_MODELS:
        tag = get_args(model.model_fields["dist"].annotation)[0]
        params = ", ".join(
            f"{name}: {type_words(info.annotation, list(info.metadata))}"
            for name, info in model.model_fields.items()
            if name != "dist"
        )
        doc = (model.__doc__ or "").strip()
        rows.append(f"| `{tag}` | `{{dist: {tag}, {params}}}` | {doc} |")
    table = "\n".join(rows)
    return f"""
## Distributions

A duration that varies (analysis time, link latency, reporting delay, outage length) is
a distribution. A bare duration (`6h`) means a fixed one; otherwise write `dist:` and
its parameters, e.g. `{{dist: lognormal, median: 12h, sigma: 0.5}}`.

| `dist` | parameters | meaning |
| --- | --- | --- |
{table}

Every sample takes exactly one uniform random number (inverse transform), so changing
a parameter changes the values drawn but never how many draws later samples see: what-if
variants keep their random streams aligned (common random numbers).
"""


def _extends() -> str:
    return """
`extends: base.yaml` (a path relative to this file) loads the base first, then lays
this file over it; a base may extend another (a cycle is an error). The rules:

- mappings merge key by key (`nodes`, `collectors`, a node's fields, …);
- lists and plain values replace the base's whole (`sharing`, `theater.usage`,
  `adversary.disinformation`, …);
- `links` merge by their `"FROM->TO"` name: write them as a mapping,
  `links: {"KOR-NIS->NATO-JISD": {latency: 2h}}`, to change one link of the base;
- a distribution written with `dist:` replaces the base's whole (so no parameter of
  another distribution lingers); without `dist:` its parameters merge.

`--set` overrides apply after the merge; the manifest of a run keeps the merged
scenario (`resolved`) and the hash of every file in the chain.
"""


def _classifications() -> str:
    rows = "\n".join(f"| {i} | `{name}` |" for i, name in enumerate(CLASSIFICATIONS))
    return f"""
The default ladder, lowest first. A marking's classification, a link's
`max_classification` and a node's `clearance` must be on the scenario's ladder.

| rank | classification |
| --- | --- |
{rows}

An item may cross a link only if its REL TO admits the receiving node's nation (a
community admits its members and itself), its classification is at most the link's
`max_classification` and at most the receiving node's `clearance`; otherwise the message
is dropped with reason `not-releasable`, `over-classification` or `insufficient-clearance`.
A node re-sharing an item it received never loosens its marking: the higher
classification and only the nations both markings admit. The rules are those in force:
after an intervention changes a clearance, a ceiling, a marking or a community, what is
sent is judged by the new rules, and a message already on its way is judged again when
it arrives (and dropped, with the reason, if the new rules refuse it).
"""


def _collectors() -> str:
    disciplines = "\n".join(f"| `{d}` | {DISCIPLINE_WORDS[d]} |" for d in DISCIPLINES)
    reliability = "\n".join(
        f"| `{r}` | {RELIABILITY_WORDS[r]} | {_number(grading.RELIABILITY_WEIGHT[r])} |"
        for r in grading.RELIABILITIES
    )
    credibility = "\n".join(
        f"| `{c}` | {CREDIBILITY_WORDS[c]} | {_number(grading.CREDIBILITY_LOG_LR[c])} |"
        for c in grading.CREDIBILITIES
    )
    return f"""
Each usage in a sector a collector watches is detected with probability `detection`
times the munition's `recognisability`; a detected use is reported after `delay`,
naming another munition with probability `misidentification`.

### Disciplines

| discipline | meaning |
| --- | --- |
{disciplines}

### Admiralty grades

A grade (NATO STANAG 2511) is a letter for the source's reliability and a digit for the
information's credibility, e.g. `B2`. Fusion counts each independent source once, with
its best grade: the evidence it lends (the natural log of a likelihood ratio) is the
reliability weight times the credibility evidence.

| reliability | meaning | weight |
| --- | --- | --- |
{reliability}

| credibility | meaning | evidence |
| --- | --- | --- |
{credibility}
"""


def _interventions() -> str:
    fixed = ", ".join(f"`{k}`" for k in FIXED_DURING_RUN)
    return f"""
### Dotted paths

`--set PATH=VALUE` (on `run`, `sweep`, …) and an intervention's `set` use the same
dotted paths, checked against the model (a typo is an error with a "did you mean"):

- a field: `seed`, `nodes.NATO-JISD.analysts`, `nodes.NATO-JISD.fusion.min_sources`;
- an entry of a mapping by its name: `collectors.kharkiv-prosecutors.detection`;
- an entry of a list by index, or by name: links by `FROM->TO`
  (`links.UKR-HUR->NATO-JISD.enabled`), campaigns and attacks by `name`
  (`adversary.disinformation.denial.rate`), others by index (`theater.usage.0.rate`);
- a parameter of a distribution written with `dist:`:
  `links.UKR-HUR->NATO-JISD.latency.median`; a bare duration (`latency: 6h`) is
  changed by setting the field itself.

VALUE is read as YAML: `8` is a number, `2h` a duration, `[NATO, KOR]` a list.
An intervention may not change {fixed}; the scenario after each
intervention must still be valid, which `intelsim validate` checks at load time.
"""


def _links() -> str:
    return """
A link is named `FROM->TO` in paths, events and `adversary.cyber[].links`. In a file,
`links` may also be a mapping from that name to the link's other fields, which is how a
variant changes one link of its base. Messages wait in order when `capacity` is
exceeded; while the link is down they are held and sent when it is back up
(`on_outage: hold`) or dropped (`on_outage: drop`).
"""


def _sharing() -> str:
    return """
A node forwards every report once it has analysed it (`items: reports`), and every
assessment it issues, updates or receives (`items: assessments`, at or above
`threshold`), never back to where the item came from. An item that arrived under a
marking is re-shared under the stricter of the two: the higher classification, and
only who both REL TO lists admit.
"""


def _adversary() -> str:
    return """
A campaign's fabricated sightings enter its node like any collector's report, each
marked in the log by a ground-truth `DisinformationInjected`. A cyber attack's outages
take its links down with cause `cyber:NAME`; while a link is compromised, every message
crossing it is also recorded as `MessageIntercepted` (ground truth).
"""


NOTES: dict[str, Callable[[], str]] = {
    "extends": _extends,
    "classifications": _classifications,
    "links": _links,
    "sharing": _sharing,
    "adversary": _adversary,
    "collectors": _collectors,
    "interventions": _interventions,
}

INTRO = """
# The scenario language

A scenario is a YAML file describing the world of one run: the nations and communities,
the munitions and where they are used (ground truth), the intelligence nodes, the links
between them, the collectors that report to them, the sharing rules, the adversary and
timed interventions. `scenarios/teaching-minimal.yaml` is a small complete example.

- Unknown keys are errors, with a "did you mean" suggestion.
- Every reference (a link's endpoints, a collector's node, a munition, a sector, a nation
  in REL TO) is checked at load time; `intelsim validate FILE...` lists every problem
  with its file and field path.
- `intelsim schema` prints the JSON Schema; with
  `# yaml-language-server: $schema=../schemas/scenario.schema.json` as the first line,
  editors complete and check a file as you type.

This reference is generated from the code (`sim/docs/scenario_language.py`); do not edit it
by hand, regenerate it with `{command}`.
"""


def scenario_reference_markdown() -> str:
    """The whole scenario-language reference as Markdown (deterministic)."""
    plan = _Plan()
    top = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, info in Scenario.model_fields.items():
        key = info.alias or name
        link = f"[`{key}`](#{key})" if key != "$schema" else f"`{key}`"
        words = type_words(info.annotation, list(info.metadata), plan.ref)
        row = [link, words, default_words(info), info.description or ""]
        top.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines = [INTRO.format(command=COMMAND).strip(), "", "## Top-level keys", "", *top]
    lines += ["", _units().strip(), "", _distributions().strip(), ""]
    for key, info in _sections():
        lines += _section(key, info, plan)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(scenario_reference_markdown())
