"""Reading YAML as scenario files need it: strict, fast, and bounded.

- Duplicate keys are errors, and only true/false are booleans (YAML 1.1 also reads
  yes/no/on/off as booleans, which would turn Norway's code `NO` into False).
- libyaml parses when it is installed (about seven times faster than pure Python);
  our construction rules apply either way.
- A document is measured as a node graph before anything is built from it: a "billion
  laughs" file (aliases of aliases: small on disk, quick to parse into shared nodes)
  would otherwise take minutes to validate, and a recursive alias nests forever.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

MAX_VALUES = 100_000  # a scenario of a thousand collectors holds about 20,000
MAX_DEPTH = 40  # a scenario nests about 8 levels deep

_Parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Parser):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys and reads only true/false as booleans."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # unhashable key: the base constructor reports it
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key `{key}` (first at line {first.start_mark.line + 1})",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def yaml_error(exc: yaml.YAMLError) -> str:
    """One sentence for a YAML error, with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    why = f"{problem} ({context})" if context and context not in problem else problem
    kind = (
        "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    )
    return f"{kind}{where}: {why}"


def too_big(node: yaml.Node | None) -> str | None:
    """Why a parsed document cannot be a scenario by its size alone, or None.

    Counts nodes as building the document would visit them: an alias once per use.
    """
    count, stack = 0, [(node, 0)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return (
                f"holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded; "
                "a scenario is far smaller"
            )
        if depth > MAX_DEPTH:
            return f"nests more than {MAX_DEPTH} levels deep (or an alias contains itself)"
        if isinstance(item, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in item.value)
        elif isinstance(item, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in item.value for child in pair)
    return None


def load_yaml(text: str) -> Any:
    """Parse YAML text: the value, YAMLError, or ValueError for an absurd document."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        why = too_big(node)
        if why is not None:
            raise ValueError(why)
        return None if node is None else loader.construct_document(node)
    except RecursionError:  # the pure-Python parser recurses per level
        msg = f"nests more than {MAX_DEPTH} levels deep"
        raise ValueError(msg) from None
    finally:
        loader.dispose()


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
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        raise fail(yaml_error(exc)) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    if doc is None:
        raise fail("is empty; expected a scenario (a mapping with name, start, duration, …)")
    if not isinstance(doc, dict):
        kind = "a list" if isinstance(doc, list) else f"a single value ({doc!r:.40})"
        raise fail(f"holds {kind}; expected a mapping of sections (name:, nodes:, …) at the top")
    return doc
