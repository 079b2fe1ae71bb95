"""Start-up of the command line: what each command's process imports, and the shortcuts
that keep it small held to what Typer itself does (bench/bench_startup.py measures time).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from sim.cli import app as typer_app
from sim.cli.app import (
    _command,
    _command_names,
    plain_runtime_param,
    typer_runtime_param,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "tests" / "fixtures" / "one-fusion-node.yaml"

# never needed to read a small run: the analysis stack and the engine (seconds or tens
# of ms each) and Typer's Pydantic conversions, which the reading commands skip
NEVER_READING = (
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "pyarrow",
    "duckdb",
    "simpy",
    "sim.engine",
    "typer._adapters",
)
# and what a line that reads no run (help, a usage error) needs no more than that
NEVER_WITHOUT_A_RUN = (*NEVER_READING, "pydantic", "sim.scenario.models")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
    (run,) = out.iterdir()
    return run


def imported(*argv: str) -> tuple[set[str], int]:
    """The modules `intelsim ARGV` imports (python -X importtime) and its exit code."""
    cmd = [sys.executable, "-X", "importtime", "-m", "sim", *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return names, done.returncode


# the commands that rebuild state or tell the story read no YAML (the metrics' legend
# and verify's recomputed metrics read the packaged glossary and PHIA yardstick)
NO_YAML = ("yaml",)
READING = [
    (("verify",), ()),
    (("replay", "--at", "0h"), NO_YAML),
    (("replay", "--json"), NO_YAML),
    (("metrics",), ()),
    (("metrics", "--json"), ()),
    (("explain", "R1"), NO_YAML),
    (("timeline", "--plain"), NO_YAML),
    (("timeline", "--as", "UKR-HUR", "--until", "10d"), NO_YAML),
]


@pytest.mark.parametrize(
    "verb,also_never", [pytest.param(v, n, id=" ".join(v)) for v, n in READING]
)
def test_a_reading_command_imports_only_what_reading_needs(
    run_dir: Path, verb: tuple[str, ...], also_never: tuple[str, ...]
) -> None:
    names, code = imported(verb[0], str(run_dir), *verb[1:])
    assert code == 0
    assert "sim.scenario.models" in names and "sim.events" in names  # it did read the run
    never = {*NEVER_READING, *also_never}
    assert not names & never, sorted(names & never)


@pytest.mark.parametrize(
    "argv",
    [("--version",), ("--help",), ("replay", "--help"), ("nosuch",), ("replay",)],
    ids=" ".join,
)
def test_a_line_that_reads_no_run_imports_no_models(argv: tuple[str, ...]) -> None:
    names, code = imported(*argv)
    assert code == (0 if "--help" in argv or "--version" in argv else 2)
    assert "typer" in names  # it did parse the line
    never = set(NEVER_WITHOUT_A_RUN)
    assert not names & never, sorted(names & never)


# --- the conversions that skip Pydantic give what Typer's give --------------------------

SAMPLES: list[Any] = [
    "",
    " ",
    "logs",
    "a run",
    "10d",
    "2024-07-20T12:00Z",
    "ünïcode",
    "bundle.json",
    "rows.CSV",
    "-",
    Path("logs"),
    Path("x.json"),
    True,
    False,
    0,
    1,
    2.5,
    b"bytes",
    ["a"],
]


def group(name: str | None = None) -> Any:
    """The click group a command line runs (the whole app, or one command in it)."""
    return _command(name)


def _params() -> list[tuple[str, Any, Any]]:
    """(where, the command, a parameter) for every parameter of every command that is
    converted without Pydantic (Typer converts the others itself)."""
    group_ = group()
    found = []
    for param in group_.params:
        found.append((f"intelsim {param.name}", group_, param))
    for name, command in group_.commands.items():
        for param in [*command.params, command.get_help_option(typer.Context(command))]:
            found.append((f"{name} {param.name}", command, param))
    return [(where, command, p) for where, command, p in found if plain_runtime_param(p)]


def _outcome(convert: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        result = convert._coerce_value(value, param=param, ctx=ctx)
    except Exception as exc:
        return "error", (type(exc).__name__, str(exc))
    return "value", (type(result).__name__, result)


def test_the_shortcut_covers_the_reading_commands_options() -> None:
    group_ = group()
    for name in ("verify", "replay", "metrics", "explain", "timeline"):
        command = group_.commands[name]
        params = [*command.params, command.get_help_option(typer.Context(command))]
        assert all(plain_runtime_param(p) is not None for p in params), name


@pytest.mark.parametrize("where,command,param", [pytest.param(*p, id=p[0]) for p in _params()])
def test_a_value_converted_without_pydantic_is_what_typer_makes_of_it(
    where: str, command: Any, param: Any
) -> None:
    plain = plain_runtime_param(param)
    assert plain is not None
    ctx = typer.Context(command)
    full = typer_runtime_param(param)
    for value in SAMPLES:
        assert _outcome(plain, value, param, ctx) == _outcome(full, value, param, ctx), (
            where,
            value,
        )


# --- a line builds the command it names, the same as in the whole app --------------------


def _help(group_for: str | None, name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        group(group_for)(args=[name, "--help"], prog_name="intelsim")
    return capsys.readouterr().out


def test_a_command_built_alone_is_the_command_of_the_whole_app(
    capsys: pytest.CaptureFixture[str],
) -> None:
    whole = group()
    assert set(whole.commands) == _command_names()
    for name in sorted(_command_names()):
        alone = group(name)
        assert list(alone.commands) == [name]
        assert [p.name for p in alone.commands[name].params] == [
            p.name for p in whole.commands[name].params
        ]
        shown = _help(name, name, capsys)
        assert f"Usage: intelsim {name} " in shown
        assert shown == _help(None, name, capsys)
    assert list(group("--version").commands) == []
    assert typer_app.registered_commands  # the app itself keeps every command


# --- no search for Pydantic plugins, unless the user says otherwise ---------------------

PLUGINS = """
import os
from unittest import mock
import pydantic.plugin._loader as loader
from sim.cli.app import without_pydantic_plugins
without_pydantic_plugins()
with mock.patch.object(loader, "entry_points", side_effect=AssertionError) as search:
    try:
        import sim.scenario.models
    except AssertionError:
        pass
print(search.called, os.environ["PYDANTIC_DISABLE_PLUGINS"])
"""


@pytest.mark.parametrize(
    "env,searched", [(None, "False __all__"), ("", "True "), ("__all__", "False __all__")]
)
def test_pydantic_looks_for_plugins_only_when_the_user_asks(env: str | None, searched: str) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env is not None:
        environ["PYDANTIC_DISABLE_PLUGINS"] = env
    cmd = [sys.executable, "-c", PLUGINS]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=environ, cwd=ROOT)
    assert done.stdout.rstrip("\n") == searched


# --- the YAML loader is made on first use, and is the module's all the same ---------------

LAZY_YAML = """
import sys
import sim.scenario.paths
from sim.scenario import yaml_reader
before = "yaml" in sys.modules
loader = yaml_reader.StrictLoader
print(before, "yaml" in sys.modules, loader is yaml_reader.StrictLoader)
"""


def test_field_paths_import_no_yaml_until_a_loader_is_asked_for() -> None:
    cmd = [sys.executable, "-c", LAZY_YAML]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "True", "True"]


def test_the_loader_classes_are_named_and_pickled_as_the_modules() -> None:
    import pickle

    import yaml

    from sim.scenario import yaml_reader

    assert issubclass(yaml_reader.StrictLoader, yaml_reader.Parser)
    assert issubclass(yaml_reader.TooBig, yaml.YAMLError)
    too_big = yaml_reader.TooBig("holds too much")
    again = pickle.loads(pickle.dumps(too_big))
    assert type(again) is yaml_reader.TooBig and str(again) == "holds too much"
    with pytest.raises(AttributeError):
        _ = yaml_reader.NoSuchLoader
    with pytest.raises(yaml_reader.TooBig):
        yaml_reader.read_yaml("a: [" * 50 + "]" * 50)
