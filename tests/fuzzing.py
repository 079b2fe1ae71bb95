"""Hypothesis strategies that break scenario files and command lines the way people do.

Structure-aware: every case starts from a shipped scenario (merged over its `extends`)
and changes it by field (drop, add, misspell), by type (a value of another kind, or
an extreme of the same kind), by reference (a name pointing elsewhere or nowhere), by
YAML syntax (text edits of its YAML), or by raw bytes. Command-line cases draw
`--set`, `--vary`, `--seed` and `--at` from the same vocabulary.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from sim.scenario.loader import load_raw

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SMALL = ("teaching-minimal", "kharkiv-2024-01")  # every section, quick to check

Key = str | int


@cache
def seeds() -> list[dict[str, Any]]:
    """Every shipped scenario as one document (extends merged), `start` as text."""
    docs = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        raw = copy.deepcopy(load_raw(path).raw)
        raw["start"] = str(raw["start"]).replace(" ", "T")
        docs.append(raw)
    return docs


@cache
def weighted() -> list[dict[str, Any]]:
    """The seeds, the small ones (teaching-minimal, kharkiv-2024-01) drawn more often:
    they hold every section and are quick to check; the big ones are variants of one
    baseline."""
    small = [doc for doc in seeds() if doc["name"] in SMALL]
    return seeds() + 3 * small


@cache
def dumped() -> list[tuple[str, ...]]:
    """The weighted seeds as YAML lines (dumping is slow: once)."""
    return [
        tuple(yaml.safe_dump(doc, sort_keys=False).splitlines(keepends=True)) for doc in weighted()
    ]


@cache
def names() -> list[str]:
    """Names the scenarios use (nodes, links, sectors, munitions, nations, ...), and typos."""
    found: set[str] = set()
    for doc in seeds():
        found.update(doc.get("nodes", {}))
        found.update(doc.get("collectors", {}))
        found.update(doc.get("munitions", {}))
        found.update(doc.get("nations", {}))
        found.update(doc.get("communities", {}))
        found.update(doc.get("theater", {}).get("sectors", []))
        found.update(f"{link['from']}->{link['to']}" for link in doc.get("links", []))
    typos = ["NATO-JISX", "KOR-", "->", "UKR-HUR->", "A->B->C", "nato", "Kharkiv ", "NO"]
    return sorted(found) + typos


def paths(doc: Any) -> list[tuple[Key, ...]]:
    """Every place in a document, depth first: keys of mappings, indices of lists."""
    found: list[tuple[Key, ...]] = []
    _paths(doc, (), found)
    return found


def _paths(doc: Any, prefix: tuple[Key, ...], found: list[tuple[Key, ...]]) -> None:
    # appended to one list, not yielded through nested generators: a document has
    # thousands of places, listed again for every case drawn
    if isinstance(doc, dict):
        items: Iterable[tuple[Key, Any]] = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        return
    for key, value in items:
        path = (*prefix, key)
        found.append(path)
        _paths(value, path, found)


@cache
def _teaching_paths() -> list[tuple[Key, ...]]:
    """The places of teaching-minimal (the last seed), which `override` draws from."""
    return paths(seeds()[-1])


def dotted(path: tuple[Key, ...]) -> str:
    """A document path as `--set` writes it."""
    return ".".join(str(key) for key in path)


def _parent(doc: Any, path: tuple[Key, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


TEXTS = [
    "",
    " ",
    "6h",
    "-1h",
    "0h",
    "5x",
    "3/d",
    "0/d",
    "-2/d",
    "1e309h",
    "nan",
    ".inf",
    "1e-320/h",
    "NO",
    "yes",
    "2024-13-40",
    "2024-07-11T00:00:00Z",
    "A1",
    "Z9",
    "F6",
    "reports",
    "assessments",
    "exponential",
    "NATO-SECRET",
    "TOP",
    "hold",
    "drop",
    "a.b",
    "é→",
    "\x00",
    "${x}",
    "*a",
    "&a",
    "{{x}}",
]

DISTRIBUTIONS = st.one_of(
    st.fixed_dictionaries({"dist": st.just("exponential"), "mean": st.sampled_from(TEXTS[2:11])}),
    st.fixed_dictionaries(
        {
            "dist": st.just("lognormal"),
            "median": st.sampled_from(["1h", "1e300h", "0h", "1e-300h"]),
            "sigma": st.sampled_from([0, 0.5, 5, 50, 1000, -1, 1e308]),
        }
    ),
    st.fixed_dictionaries(
        {"dist": st.just("uniform"), "low": st.sampled_from(TEXTS[2:6]), "high": st.just("2h")}
    ),
    st.fixed_dictionaries(
        {
            "dist": st.just("triangular"),
            "low": st.just("0h"),
            "mode": st.sampled_from(["0h", "1h", "3h"]),
            "high": st.sampled_from(["0h", "2h", "1e300h"]),
        }
    ),
    st.fixed_dictionaries(
        {"dist": st.sampled_from(["fixed", "gamma", ""]), "value": st.just("1h")}
    ),
)

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, -1, 10_000, 10_001, 2**63 - 1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 0.5, 1.5, -0.0, 1e-320, 1e308]),
    st.sampled_from(TEXTS),
    st.text(max_size=12),
    st.lists(st.sampled_from(["UKR", "NATO", "KOR", 1, None]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "mean", "dist", "set", "at"]), st.integers(), max_size=2),
    DISTRIBUTIONS,
)

KINDS = ("drop", "add", "misspell", "retype", "extreme", "reference", "duplicate")


@st.composite
def mutated_document(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A shipped scenario changed in one to three places; (what was done, the document)."""
    doc = copy.deepcopy(draw(st.sampled_from(weighted())))
    done = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = list(paths(doc))
        if not places:
            break
        path = draw(st.sampled_from(places))
        kind = draw(st.sampled_from(KINDS))
        parent, key = _parent(doc, path), path[-1]
        done.append(f"{kind} {dotted(path)}")
        if kind == "drop":
            del parent[key]
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "nodez", "link", "$schema", "from", "1"]))] = (
                draw(VALUES)
            )
        elif kind == "add" and isinstance(parent, list):
            parent.append(draw(VALUES))
        elif kind == "misspell" and isinstance(parent, dict) and isinstance(key, str):
            parent[key[:-1] + draw(st.sampled_from(["s", "_", "X", ""]))] = parent.pop(key)
        elif kind == "reference":
            parent[key] = draw(st.sampled_from(names()))
        elif kind == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:  # retype, extreme, or a kind that does not fit this place
            parent[key] = draw(VALUES)
    return "; ".join(done), doc


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    """A shipped scenario's YAML with its syntax broken: characters, lines, indentation."""
    lines = list(draw(st.sampled_from(dumped())))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        edit = draw(st.sampled_from(["insert", "delete", "indent", "dedent", "copy", "cut"]))
        line = lines[i]
        if edit == "insert":
            at = draw(st.integers(min_value=0, max_value=len(line)))
            token = draw(
                st.sampled_from([":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!python/tuple ",
                                 "\t", '"', "'", "#", "%YAML 1.1\n", "---\n", "? ", "|", ">",
                                 "<<: *a\n", "\ufeff", "\u2028"])
            )  # fmt: skip
            lines[i] = line[:at] + token + line[at:]
        elif edit == "delete" and line:
            at = draw(st.integers(min_value=0, max_value=len(line) - 1))
            lines[i] = line[:at] + line[at + 1 :]
        elif edit == "indent":
            lines[i] = "  " + line
        elif edit == "dedent":
            lines[i] = line.lstrip()
        elif edit == "copy":
            lines.insert(i, line)
        else:
            lines = lines[:i]
    return "".join(lines)


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    """A shipped scenario file's bytes with some flipped, inserted or cut."""
    files = sorted(SCENARIOS.glob("*.yaml"))
    path = draw(st.sampled_from(files + 3 * [f for f in files if f.stem in SMALL]))
    data = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        edit = draw(st.sampled_from(["flip", "insert", "cut"]))
        if edit == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            data = data[:at]
    return bytes(data)


# --- command lines ---------------------------------------------------------------------


@st.composite
def override(draw: st.DrawFn) -> str:
    """A `--set PATH=VALUE`: a real path (or a near miss) and a YAML value."""
    # teaching-minimal: every section, small (still drawn: the same draws, the same cases)
    draw(st.sampled_from(seeds()[-1:]))
    path = dotted(draw(st.sampled_from(_teaching_paths())))
    path = draw(st.sampled_from([path, path + ".x", path.upper(), path.replace(".", "..", 1), ""]))
    value = draw(
        st.one_of(
            st.sampled_from(TEXTS),
            st.text(max_size=10),
            st.sampled_from(["[", "{a: 1", "[1, 2]", "{}", "null", "~", "'x", "!!binary x"]),
            VALUES.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()),
        )
    )
    broken = f"{path}{draw(st.sampled_from(['=', '==', ' = ', '']))}{value}"
    return draw(st.sampled_from([broken, broken, draw(st.sampled_from(GOOD_SETS))]))


GOOD_SETS = [
    "nodes.NATO-JISD.analysts=3",
    "links.UKR-HUR->NATO-JISD.latency.median=2h",
    "links.UKR-HUR->NATO-JISD.capacity=5/d",
    "collectors.kharkiv-prosecutors.detection=0.5",
    "theater.usage.0.rate=1/d",
    "duration=10d",
    "seed=3",
    "nodes.UKR-HUR.fusion={window: 24h}",
]


@st.composite
def vary(draw: st.DrawFn) -> str:
    """A `--vary PATH=V1,V2` or `PATH=LOW..HIGH`."""
    path = draw(
        st.sampled_from(
            ["nodes.NATO-JISD.analysts", "links.UKR-HUR->NATO-JISD.latency.median",
             "theater.usage.0.rate", "seed", "nodes.NOPE.analysts", "duration", ""]
        )
    )  # fmt: skip
    levels = draw(
        st.one_of(
            st.lists(st.sampled_from([*TEXTS[:12], "2", "4", "1.5", "true"]), max_size=3).map(
                ",".join
            ),
            st.sampled_from(["2..8", "8..2", "1h..1d", "1/d..2h", "..", "2..", "[1,2],[3]"]),
        )
    )
    good = draw(
        st.sampled_from(
            ["nodes.NATO-JISD.analysts=2,4", "duration=10d,20d", "theater.usage.0.rate=1/d,2/d",
             "links.UKR-HUR->NATO-JISD.latency.median=1h,1d"]
        )
    )  # fmt: skip
    return draw(st.sampled_from([f"{path}={levels}", good]))


SEED_TEXTS = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
    st.sampled_from(["", "x", "1.5", "0x10", "1e3", " 7", "-0", "９"]),
)
TIMES = st.one_of(
    st.sampled_from(["10d", "0", "-1h", "1e309h", "30d", "31d", "2024-07-12T00:00", "2024-07-12",
                     "2023-01-01T00:00Z", "2024-07-12T00:00+09:00", "yesterday", "", "nan"]),
    st.text(max_size=8),
)  # fmt: skip
