"""Reading YAML as scenarios mean it: strict, fast, and bounded.

- Duplicate keys are refused, and only true/false are booleans (YAML 1.1 also reads
  yes/no/on/off as booleans, which would turn Norway's code `NO` into False). The
  loader reads whole files with it and `--set`/intervention values are read with it,
  so `NO` is Norway in both.
- libyaml parses when it is installed (about seven times faster than pure Python);
  our construction rules apply either way.
- A document is measured as a node graph before anything is built from it: a "billion
  laughs" text (aliases of aliases: small on disk, quick to parse into shared nodes)
  would otherwise take minutes to validate, and a recursive alias nests forever.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

MAX_VALUES = 100_000  # a scenario of a thousand collectors holds about 20,000
MAX_DEPTH = 40  # a scenario nests about 8 levels deep

# The loader and its error subclass PyYAML's, so they are made on first use, not at
# import: every reader of a log imports this module (through field paths, which an
# intervention in the log needs) and most never parse YAML; PyYAML is ~7 ms of their
# start-up. They are this module's names all the same: `yaml_reader.StrictLoader`,
# `yaml_reader.Parser` and `yaml_reader.TooBig` (PEP 562, `__getattr__` below).


@cache
def _classes() -> dict[str, Any]:
    """Parser (libyaml's safe loader when installed), TooBig and StrictLoader, made once."""
    import yaml

    parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TooBig(yaml.YAMLError):
        """A YAML text too big (once its aliases are expanded) or too deep to be a scenario."""

    class StrictLoader(parser):  # type: ignore[valid-type,misc]
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

        def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
            """A date-time, or a YAML error naming it (`2024-13-40` looks like one, is none)."""
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"`{node.value}` is not a date: {exc} (quote it if it is text)",
                    node.start_mark,
                ) from None

    StrictLoader.add_constructor(
        "tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp
    )
    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    for made in (TooBig, StrictLoader):  # named as if made at the top (pickle, reprs)
        made.__qualname__ = made.__name__
        made.__module__ = __name__
    return {"Parser": parser, "TooBig": TooBig, "StrictLoader": StrictLoader}


def __getattr__(name: str) -> Any:
    """Parser, TooBig and StrictLoader, made on first use (PyYAML is imported then)."""
    if name in ("Parser", "TooBig", "StrictLoader"):
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def yaml_problem(exc: yaml.YAMLError) -> str:
    """One line saying what is wrong with a YAML text and where."""
    import yaml

    if isinstance(exc, _classes()["TooBig"]):
        return str(exc)
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
    import yaml

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


def read_yaml(text: str) -> Any:
    """The value a YAML text holds; raises yaml.YAMLError (describe it with yaml_problem),
    TooBig for a text that is no scenario by its size or depth alone."""
    classes = _classes()
    loader = classes["StrictLoader"](text)
    try:
        node = loader.get_single_node()
        why = too_big(node)
        if why is not None:
            raise classes["TooBig"](why)
        return None if node is None else loader.construct_document(node)
    except RecursionError:  # the pure-Python parser recurses once per level
        msg = f"nests more than {MAX_DEPTH} levels deep"
        raise classes["TooBig"](msg) from None
    finally:
        loader.dispose()
