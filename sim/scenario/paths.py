"""Dotted field paths into a raw scenario document, as `--set` and interventions write them.

A path names a field the way a user sees the file: ``nodes.NATO-JISD.analysts``,
``links.UKR-HUR->NATO-JISD.latency.median``, ``theater.usage.0.rate``. Each step is
checked against the `Scenario` model, so a typo is an error with a "did you mean"
rather than a silently ignored key. Names never contain dots; link names contain "->".
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.errors import IntelsimError, suggest
from sim.scenario.models import Scenario, link_name
from sim.scenario.yaml_reader import read_yaml, yaml_problem

Segment = str | int


class PathError(IntelsimError):
    """A dotted path that does not name a field of the scenario."""


@dataclass(frozen=True)
class Shape:
    """What a value at some place of the document must look like, as far as paths care."""

    kind: Literal["model", "mapping", "list", "union", "value", "any"]
    model: type[BaseModel] | None = None
    item: Any = None  # the type of a mapping's values or a list's items
    tag_key: str = ""
    tags: dict[str, type[BaseModel]] = field(default_factory=dict)

    def field_type(self, key: str) -> Any:
        """The annotation of the field written `key` (its alias if it has one), or None."""
        return fields_of(self.model).get(key) if self.model else None


def fields_of(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key a file uses for them (the alias when there is one)."""
    return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}


def _strip(tp: Any) -> Any:
    """The type under Annotated[...] and Optional[...] layers."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _tagged(members: Sequence[Any]) -> tuple[str, dict[str, type[BaseModel]]] | None:
    """The discriminator key and tag -> model of a union of models, or None."""
    if not members or not all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
        return None
    for key in fields_of(members[0]):
        tags: dict[str, type[BaseModel]] = {}
        for member in members:
            annotation = fields_of(member).get(key)
            if get_origin(annotation) is not Literal:
                break
            tags.update({str(tag): member for tag in get_args(annotation)})
        else:
            return key, tags
    return None


def shape_of(tp: Any) -> Shape:
    """The Shape of a type from the Scenario model."""
    core = _strip(tp)
    if core is Any:
        return Shape("any")
    if isinstance(core, type) and issubclass(core, BaseModel):
        return Shape("model", model=core)
    origin = get_origin(core)
    if origin is dict:
        return Shape("mapping", item=get_args(core)[1])
    if origin is list:
        return Shape("list", item=get_args(core)[0])
    if origin in (Union, types.UnionType):
        tagged = _tagged([a for a in get_args(core) if a is not type(None)])
        if tagged:
            return Shape("union", tag_key=tagged[0], tags=tagged[1])
    return Shape("value")


def format_path(segments: Sequence[Segment]) -> str:
    """``nodes.UKR-HUR.analysts``; list indices as ``links[0]``."""
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += f".{seg}" if out else seg
    return out


def parse_path(path: str) -> list[Segment]:
    """The segments of a path as `format_path` writes it: ``links[0].latency``."""
    segments: list[Segment] = []
    for part in path.split("."):
        name, *indices = part.split("[")
        if name:
            segments.append(name)
        segments += [int(i.rstrip("]")) for i in indices if i.rstrip("]").isdigit()]
    return segments


def split_path(path: str) -> list[str]:
    """The segments of a dotted path; raises PathError for an empty one."""
    segments = [s.strip() for s in path.strip().split(".")]
    if not path.strip() or any(not s for s in segments):
        raise PathError(f"`{path}` is not a dotted field path such as nodes.NATO-JISD.analysts")
    return segments


def item_name(item: Any) -> str | None:
    """The name a list item is addressed by: a link's "FROM->TO", else its `name`."""
    if not isinstance(item, Mapping):
        return None
    src, dst = item.get("from"), item.get("to")
    if isinstance(src, str) and isinstance(dst, str):
        return link_name(src, dst)
    name = item.get("name")
    return name if isinstance(name, str) else None


def list_index(items: Sequence[Any], seg: str) -> int | None:
    """The index a segment names in a list: a number, or an item's name (unique)."""
    if seg.lstrip("-").isdigit():
        index = int(seg)
        return index if -len(items) <= index < len(items) else None
    matches = [i for i, item in enumerate(items) if item_name(item) == seg]
    return matches[0] if len(matches) == 1 else None


def set_path(raw: dict[str, Any], path: str, value: Any, model: type[BaseModel] = Scenario) -> dict:
    """A copy of `raw` with the field at dotted `path` set to `value`; `raw` is not changed.

    Fields the model knows but the document leaves out (a default) may be set; names
    of nodes, links, collectors, … must exist. Raises PathError naming the bad step.
    """
    result = _set(raw, split_path(path), value, Shape("model", model=model), [])
    return dict(result)


def with_changes(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """The scenario with each dotted-path change set in turn, validated again.

    The one way a parameter changes: `--set` edits the document before validation (the
    loader) and an intervention edits the scenario in force (``sim.state.evolve``), both
    through :func:`set_path`. The scenario is written back as the document it was read
    from (only the fields the file set, so a scripted usage keeps no `from`), which
    validates to an equal scenario. Raises PathError naming the bad path or value.
    """
    doc: dict[str, Any] = scenario.model_dump(by_alias=True, exclude_unset=True)
    for path, value in changes.items():
        try:
            doc = set_path(doc, path, value)
        except PathError as exc:
            raise PathError(f"{path}: {exc}") from None
    try:
        return Scenario.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PathError(f"after {', '.join(changes)}: {where}: {first['msg']}") from None


def _here(trail: list[str]) -> str:
    return f"`{'.'.join(trail)}`" if trail else "the scenario"


def _set(node: Any, segs: list[str], value: Any, shape: Shape, trail: list[str]) -> Any:
    seg, rest = segs[0], segs[1:]
    if shape.kind == "union":
        return _set_in_union(node, segs, value, shape, trail)
    if shape.kind == "any":
        # free-form values (an intervention's `set`): the rest of the path is one key
        base = dict(node) if isinstance(node, Mapping) else {}
        base[".".join(segs)] = value
        return base
    if shape.kind == "value":
        raise PathError(f"{_here(trail)} is a single value; it has no field `{seg}`")
    if shape.kind == "model":
        assert shape.model is not None
        known = fields_of(shape.model)
        if seg not in known:
            listing = ", ".join(sorted(known))
            raise PathError(
                f"{_here(trail)} has no field `{seg}`{suggest(seg, list(known))}"
                + ("" if suggest(seg, list(known)) else f" (its fields: {listing})")
            )
        if node is None:
            node = {}
        if not isinstance(node, Mapping):
            raise PathError(f"{_here(trail)} is {node!r}, not a section with fields")
        child_shape = shape_of(known[seg])
        return _replace(node, seg, rest, value, child_shape, trail)
    if shape.kind == "mapping" or isinstance(node, Mapping):
        # a list written in mapping form (links as {"FROM->TO": {...}}) is addressed by key
        item_shape = shape_of(shape.item)
        if not isinstance(node, Mapping) or seg not in node:
            keys = [str(k) for k in node] if isinstance(node, Mapping) else []
            raise PathError(f"{_here(trail)} has no entry `{seg}`{suggest(seg, keys)}")
        return _replace(node, seg, rest, value, item_shape, trail)
    # a list: by index or by name
    items = node if isinstance(node, list) else []
    index = list_index(items, seg)
    if index is None:
        names = [n for n in (item_name(i) for i in items) if n]
        what = f"index {seg} is out of range" if seg.lstrip("-").isdigit() else f"no `{seg}`"
        raise PathError(f"{_here(trail)} has {what} ({len(items)} entries){suggest(seg, names)}")
    copy = list(items)
    child = copy[index]
    copy[index] = _set(child, rest, value, shape_of(shape.item), [*trail, seg]) if rest else value
    return copy


def _replace(
    node: Mapping[str, Any], key: str, rest: list[str], value: Any, shape: Shape, trail: list[str]
) -> dict[str, Any]:
    copy = dict(node)
    copy[key] = _set(node.get(key), rest, value, shape, [*trail, key]) if rest else value
    return copy


def _set_in_union(node: Any, segs: list[str], value: Any, shape: Shape, trail: list[str]) -> Any:
    seg, rest = segs[0], segs[1:]
    tags = ", ".join(shape.tags)
    if not isinstance(node, Mapping):
        if seg == "value" and not rest and node is not None:
            # a bare duration is a fixed distribution; its one parameter is its value
            return {shape.tag_key: "fixed", "value": value} if "fixed" in shape.tags else value
        raise PathError(
            f"{_here(trail)} is a fixed duration ({node!r}), which has no `{seg}`; set "
            f"{_here(trail)} itself, or write it in full, e.g. "
            "{dist: lognormal, median: 6h, sigma: 0.5}"
        )
    tag = node.get(shape.tag_key, "fixed")
    member = shape.tags.get(str(tag))
    if member is None:
        raise PathError(f"{_here(trail)} has `{shape.tag_key}: {tag}`; expected one of {tags}")
    known = fields_of(member)
    if seg not in known:
        raise PathError(
            f"{_here(trail)} is a {tag} distribution, which has no `{seg}`"
            f"{suggest(seg, list(known))} (its fields: {', '.join(known)})"
        )
    return _replace(node, seg, rest, value, shape_of(known[seg]), trail)


def parse_yaml_value(text: str, what: str) -> Any:
    """One YAML scalar or flow value (``8``, ``2h``, ``false``, ``[NATO, KOR]``)."""
    import yaml  # here: a log's readers apply paths but never parse values (~7 ms)

    try:
        return read_yaml(text)
    except yaml.YAMLError as exc:
        raise PathError(f"{what} is not a YAML value: {yaml_problem(exc)}") from None


def parse_override(text: str) -> tuple[str, Any]:
    """Split "PATH=VALUE"; VALUE is read as YAML (``8`` an int, ``2h`` text, ``[A, B]`` a list)."""
    path, sep, value = text.partition("=")
    if not sep:
        raise PathError(f"`{text}` is not PATH=VALUE, e.g. nodes.NATO-JISD.analysts=8")
    split_path(path)
    return path.strip(), parse_yaml_value(value, f"the value of `{path.strip()}`")
