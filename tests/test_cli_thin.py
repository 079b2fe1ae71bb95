"""The command line is a thin face (docs/architecture.md, STYLE.md rule 20), read with `ast`.

Every function in `sim/cli/` (commands and their helpers) has a body of at most
MAX_BODY lines: the signature, where Typer's options are declared, does not count; the
docstring does not either. A command parses its arguments, calls one function that does
the work and renders what it returns:

- `sim/cli/` imports nothing of the engine's insides: no `sim.engine`, `sim.state`,
  `sim.fusion`, `sim.events`, and of `sim.store` only `resolve_run` (which turns a RUN
  argument into a directory);
- a function of `sim/cli/` calls at most one function of the layers that do the work,
  `sim.experiments` (runs the engine) and `sim.analysis` (reads a log), not counting the
  helpers that turn arguments into values (`open_run`, `parse_when`, `check_node`).
  Classes (requests, errors) are not calls of work: building a request is parsing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CLI = Path(__file__).resolve().parent.parent / "sim" / "cli"
MAX_BODY = 40
INSIDES = ("sim.engine", "sim.state", "sim.fusion", "sim.events")
STORE_ALLOWED = {"resolve_run"}
WORK_LAYERS = ("sim.experiments", "sim.analysis")
ARGUMENT_HELPERS = {"open_run", "parse_when", "check_node"}


@dataclass(frozen=True)
class Function:
    """One function of sim/cli, with its body's extent and what it imports and calls."""

    module: str
    node: ast.FunctionDef

    @property
    def name(self) -> str:
        return f"{self.module}.{self.node.name}"

    def body_lines(self) -> int:
        """Lines from the first statement after the docstring to the last."""
        body = self.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        if not body:
            return 0
        end = body[-1].end_lineno or body[-1].lineno
        return end - body[0].lineno + 1


def functions() -> Iterator[Function]:
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                yield Function(path.stem, node)


FUNCTIONS = list(functions())


def imported_names(tree: ast.AST) -> Iterator[tuple[str, str]]:
    """(module, name) of every `from sim... import name` in the tree."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
            for alias in node.names:
                yield node.module or "", alias.asname or alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sim"):
                    yield alias.name, ""


def work_called(function: Function) -> set[str]:
    """The work functions (of sim.experiments and sim.analysis) the function calls."""
    work = {
        name
        for module, name in imported_names(function.node)
        if module.startswith(WORK_LAYERS) and name[:1].islower()
    } - ARGUMENT_HELPERS
    return {
        node.func.id
        for node in ast.walk(function.node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in work
    }


def test_the_functions_are_found() -> None:
    names = {f.node.name for f in FUNCTIONS}
    assert {"run", "compare", "sweep", "sensitivity", "branch", "metrics_cmd"} <= names
    assert len(FUNCTIONS) > 20


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_no_function_of_the_cli_is_long(function: Function) -> None:
    lines = function.body_lines()
    assert lines <= MAX_BODY, (
        f"{function.name} has a body of {lines} lines (at most {MAX_BODY}): move what is "
        "not parsing or rendering into sim/experiments, sim/analysis or sim/report"
    )


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_a_function_of_the_cli_calls_one_function_that_works(function: Function) -> None:
    called = work_called(function)
    assert len(called) <= 1, (
        f"{function.name} calls {sorted(called)}: one function should do the work and "
        "return a value for the command to render"
    )


def test_the_cli_imports_no_engine_insides() -> None:
    bad = []
    for path in sorted(CLI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module, name in imported_names(tree):
            if module.startswith(INSIDES):
                bad.append(f"{path.name}: {module}")
            elif module.startswith("sim.store") and name not in STORE_ALLOWED:
                bad.append(f"{path.name}: {module}.{name}")
    assert not bad, f"sim/cli imports the engine's insides: {bad}"


def test_the_measure_sees_a_long_function_and_two_works(tmp_path: Path) -> None:
    """The checks above can fail: a made-up command of 41 lines calling two works."""
    body = "\n".join(f"    x{i} = {i}" for i in range(39))
    source = (
        "def cmd() -> None:\n"
        '    """doc."""\n'
        "    from sim.experiments.run import run_file\n"
        "    from sim.analysis.metric_changes import recompute\n"
        f"{body}\n"
        "    run_file(x0)\n"
        "    recompute(x1)\n"
    )
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    function = Function("made_up", node)
    assert function.body_lines() == 43
    assert work_called(function) == {"run_file", "recompute"}
