"""The import rules of docs/architecture.md, read from the source with `ast`.

Every `import` and `from ... import` counts, at module level or inside a function: a
function-level import hides nothing from these checks. The rules:

- layers, top to bottom: cli → report, docs → experiments → analysis, engine →
  store, state, fusion → events, scenario, grading → errors, logging (and `sim` itself,
  for its version); a package imports only from layers below its own, plus the sideways
  imports listed in SIDEWAYS;
- no import cycle among modules;
- only `sim.engine` imports simpy;
- no private name (`_x`) is imported from another module;
- outside `sim.cli`, a `sim` module is imported at module level (the CLI imports lazily
  for start-up time; anywhere else a function-level import would only hide a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"

LAYERS: dict[str, int] = {
    "cli": 6,
    "report": 5,
    "docs": 5,
    "experiments": 4,
    "analysis": 3,
    "engine": 3,
    "store": 2,
    "state": 2,
    "fusion": 2,
    "events": 1,
    "scenario": 1,
    "grading": 1,
    "errors": 0,
    "logging": 0,
    "interrupts": 0,
    "limits": 0,
    "sim": 0,
}
# Imports within one layer, between different packages, that the design allows.
SIDEWAYS: set[tuple[str, str]] = {("state", "fusion")}  # the state holds fusion's clusters
# Top-level modules that belong to a package's layer without living in its folder.
MEMBER_OF = {"event_models": "events", "__main__": "cli"}


@dataclass(frozen=True)
class Import:
    """One import statement's target, as read from the importing module."""

    importer: str
    target: str
    names: tuple[str, ...]
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def package_of(module: str) -> str:
    """The layer-bearing package of a module: `sim.analysis.metrics` -> `analysis`."""
    parts = module.split(".")
    if len(parts) == 1:
        return "sim"
    return MEMBER_OF.get(parts[1], parts[1])


def _function_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    lines.add(node.lineno)
    return lines


def imports_of(module: str) -> Iterator[Import]:
    """Every import in a module, relative ones resolved, `from pkg import mod` as `pkg.mod`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    inside = _function_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno, node.lineno in inside)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            names = tuple(a.name for a in node.names)
            submodules = [n for n in names if f"{source}.{n}" in MODULES]
            for name in submodules:
                yield Import(module, f"{source}.{name}", (), node.lineno, node.lineno in inside)
            rest = tuple(n for n in names if n not in submodules)
            if rest or not submodules:
                yield Import(module, source, rest, node.lineno, node.lineno in inside)


ALL_IMPORTS: list[Import] = [i for m in MODULES for i in imports_of(m)]
SIM_IMPORTS: list[Import] = [
    i for i in ALL_IMPORTS if i.target == "sim" or i.target.startswith("sim.")
]


def _where(i: Import) -> str:
    return f"{MODULES[i.importer].relative_to(ROOT)}:{i.line} imports {i.target}"


def test_the_reader_sees_imports() -> None:
    # the checks below are only as good as this reading: it must find known edges
    targets = {(i.importer, i.target) for i in SIM_IMPORTS}
    assert ("sim.experiments.run", "sim.analysis.metrics") in targets
    assert ("sim.engine.nodes", "sim.fusion") in targets  # `from sim import fusion`
    assert any(i.in_function for i in SIM_IMPORTS if i.importer.startswith("sim.cli."))
    assert set(map(package_of, MODULES)) <= set(LAYERS), "a package without a layer"


def test_no_upward_or_sideways_import() -> None:
    bad = []
    for i in SIM_IMPORTS:
        src, dst = package_of(i.importer), package_of(i.target)
        if src == dst or (src, dst) in SIDEWAYS:
            continue
        if LAYERS[dst] >= LAYERS[src]:
            bad.append(f"{_where(i)} ({src}, layer {LAYERS[src]} -> {dst}, layer {LAYERS[dst]})")
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in SIM_IMPORTS:
        if i.target in MODULES and i.target != i.importer:
            graph[i.importer].add(i.target)
    assert _cycles(graph) == []


def test_only_the_engine_imports_simpy() -> None:
    bad = [
        _where(i)
        for i in ALL_IMPORTS
        if i.target.split(".")[0] == "simpy" and package_of(i.importer) != "engine"
    ]
    assert not bad


def test_no_private_name_imported_across_modules() -> None:
    bad = [
        f"{_where(i)}: {name}"
        for i in SIM_IMPORTS
        for name in i.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not bad


def test_function_level_imports_only_in_the_cli() -> None:
    bad = [_where(i) for i in SIM_IMPORTS if i.in_function and package_of(i.importer) != "cli"]
    assert not bad, "function-level imports outside sim.cli:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", ["analysis", "state", "fusion"])
def test_projections_and_rules_never_run_the_engine(package: str) -> None:
    # the layers already forbid it; said once more where the design says it
    bad = [
        _where(i)
        for i in SIM_IMPORTS
        if package_of(i.importer) == package and package_of(i.target) in ("engine", "experiments")
    ]
    assert not bad
