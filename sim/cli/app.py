"""The Typer app, shared options and output helpers; commands live in sibling modules."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperArgument, TyperOption

from sim.errors import IntelsimError
from sim.interrupts import Interrupted, as_interrupted, install
from sim.limits import SEED_LIMIT
from sim.logging import configure_logging

app = typer.Typer(
    name="intelsim",
    help="Event-sourced simulation of NATO–ROK intelligence sharing on DPRK munitions in Ukraine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)


# what a file an export, a query or a report writes is called: given to --out (the
# directory of runs), it would be a directory nobody looks in and the file written elsewhere
FILE_SUFFIXES = frozenset({".json", ".jsonl", ".csv", ".parquet", ".html", ".stix", ".misp"})


def _directory(text: str | Path) -> Path:
    """An --out directory; an empty one would silently mean the current directory."""
    if not str(text).strip():
        raise typer.BadParameter("is empty; give a directory (the default is logs)")
    path = Path(text)
    if path.suffix.lower() in FILE_SUFFIXES and not path.is_dir():
        msg = (
            f"{text} names a file, but --out is the directory where runs go and are found; "
            "to choose the file a command writes, give --to FILE"
        )
        raise typer.BadParameter(msg)
    return path


# Positional arguments are named alike in every command: SCENARIO (a scenario file), RUN
# (a run directory, a run id under --out, or "latest"), DIR (an output directory).
ScenarioArgument = Annotated[Path, typer.Argument(metavar="SCENARIO", help="scenario file")]
RunArgument = Annotated[
    str,
    typer.Argument(metavar="RUN", help='a run directory, a run id under --out, or "latest"'),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out", metavar="DIR", parser=_directory, help="where run directories go (and are found)"
    ),
]
MaxEventsOption = Annotated[
    int,
    typer.Option(
        "--max-events",
        min=1,
        metavar="N",
        help="refuse a run expected to produce more than N events (the estimate is printed "
        "when it is refused)",
    ),
]
SeedOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        max=SEED_LIMIT - 1,
        metavar="N",
        help="the seed, 0 to 2^63 - 1 (default: the scenario's)",
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="override a field: dotted path, YAML value (repeatable)",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, metavar="N", help="local worker processes (default: one per CPU)"),
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="Dask scheduler tcp://HOST:PORT, or 'local' for a LocalCluster",
    ),
]
MetricOption = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        metavar="METRIC",
        help="metric to show: a name or a glob, e.g. 'nodes.*.coverage' (repeatable)",
    ),
]
ReplicationsOption = Annotated[
    int, typer.Option(min=1, metavar="N", help="replications per scenario or point, at least 1")
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", metavar="NODE", help="only what this node saw (no ground truth)"),
]


def _version(asked: bool) -> None:
    if asked:
        from importlib import metadata  # ~15 ms to import: only --version reads it

        out_console.print(f"intelsim {metadata.version('intelsim')}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="print the version of intelsim and exit",
        ),
    ] = False,
) -> None:
    """Event-sourced simulation of NATO–ROK intelligence sharing on DPRK munitions in Ukraine."""


def warn(message: str) -> None:
    """One warning line on stderr (the command goes on)."""
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: run the app; bad input becomes one clear message, never a traceback."""
    configure_logging()
    without_pydantic_plugins()
    install()  # SIGINT and SIGTERM stop the command cleanly, keeping what it finished
    _leave(dispatch())


def without_pydantic_plugins() -> None:
    """Build the scenario models without looking for Pydantic plugins (intelsim uses none).

    Pydantic looks for plugins when it builds its first model, reading the entry points
    of every installed package (`python -X importtime -m sim ...`). Its documented switch,
    PYDANTIC_DISABLE_PLUGINS, skips that; a value the user set is left as it is.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def dispatch(argv: Sequence[str] | None = None) -> int:
    """Run one command line and return its exit code.

    0 done; 1 a check failed (`verify`); 2 bad input, named in one line per problem;
    128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM), saying what was kept;
    70 a bug in intelsim (the traceback with INTELSIM_DEBUG=1).
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _command(_named(args))(args=args, prog_name="intelsim")
        return 0  # Typer handles usage errors and --help itself, then exits
    except SystemExit as exc:
        stop = _interruption(exc)
        if stop is not None:  # Typer turns Ctrl-C into a bare exit 130: say what was kept
            return _interrupted(stop)
        if isinstance(exc.code, str):
            err_console.print(exc.code, highlight=False)
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except IntelsimError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return int(getattr(exc, "exit_code", 2))  # 1: a log that failed a check; 2: bad input
    except BrokenPipeError:
        # `intelsim timeline RUN | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt as exc:
        return _interrupted(as_interrupted(exc))
    except Exception as exc:  # a bug, not bad input: say so plainly, traceback on request
        if os.environ.get("INTELSIM_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in intelsim. Run again with INTELSIM_DEBUG=1 for the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        return 70


def _named(args: Sequence[str]) -> str | None:
    """The command a command line names first, if it names one (`replay` in `replay RUN`);
    "--version" for a line that asks only that (it needs no command at all)."""
    if list(args) == ["--version"]:
        return "--version"
    if args and args[0] in _command_names():
        return args[0]
    return None


@cache
def _command_names() -> frozenset[str]:
    """The names of the registered commands, as typed on the command line."""
    return frozenset(
        info.name or typer.main.get_command_name(info.callback.__name__)
        for info in app.registered_commands
        if info.callback is not None
    )


@cache
def _command(name: str | None = None) -> Callable[..., Any]:
    """The app as a click command, built once (Typer rebuilds it on every call).

    Given the command a line names, the group holds that command alone: building all
    twenty took ~15 ms of every command's start-up, and a subcommand's parsing, help and
    errors never look at its siblings; `intelsim --version` alone needs none of them.
    Anything else (`--help`, a name that is no command) gets the whole group, so lists and
    suggestions stay complete.
    """
    if name is None:
        return in_words(typer.main.get_command(app))
    one = copy.copy(app)
    one.registered_commands = [
        info
        for info in app.registered_commands
        if info.callback is not None
        and (info.name or typer.main.get_command_name(info.callback.__name__)) == name
    ]
    return in_words(typer.main.get_command(one))


@dataclass(frozen=True)
class _PlainValue(RuntimeParam):
    """A parameter's value converted without Pydantic, falling back to Typer on any doubt.

    Typer converts every value with a Pydantic TypeAdapter built on first use: importing
    and building them cost a reading command ~40 ms before it did anything. A text value
    is already the str it becomes, a flag's value already the bool, and a `parser=`
    option calls its parser (pure: a value it refuses is parsed again by Typer); any
    other type, and any value that fails, goes through Typer's own conversion, so results
    and error messages are Typer's (tests/test_cli_startup.py holds the two together).
    """

    convert: Any  # Callable[[Any], Any]; a dataclass field of callable type reads as a method

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.convert(value)
        except Exception:
            return typer_runtime_param(param)._coerce_value(value, param=param, ctx=ctx)


def _as_text(value: Any) -> str:
    if type(value) is not str:  # bytes, numbers: Typer's rules
        raise TypeError(value)
    return value


def _as_flag(value: Any) -> bool:
    if type(value) is not bool:  # "yes", "0", …: Typer's rules
        raise TypeError(value)
    return value


def plain_runtime_param(param: Any) -> RuntimeParam | None:
    """The Pydantic-free conversion of a parameter's value, or None when Typer's is needed."""
    desc = param.type_descriptor
    info = desc.parameter_info
    if desc.file_annotation is not None or desc.is_list or desc.is_tuple:
        return None
    if info.parser is not None:
        convert = info.parser
    elif desc.annotation is str:
        convert = _as_text
    elif desc.annotation is bool:
        convert = _as_flag
    else:
        return None
    return _PlainValue(parameter_info=info, annotation=desc.annotation, convert=convert)


def typer_runtime_param(param: Any) -> RuntimeParam:
    """Typer's own conversion of a parameter's value (a Pydantic TypeAdapter)."""
    return build_runtime_param(param.type_descriptor)


def _runtime_param(param: Any) -> RuntimeParam:
    if param._runtime_param is None:
        param._runtime_param = plain_runtime_param(param) or typer_runtime_param(param)
    return param._runtime_param


class _ArgumentInWords(TyperArgument):
    """An argument whose help shows its name (SCENARIO, RUN) and not its Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_runtime_param(self) -> RuntimeParam:
        return _runtime_param(self)

    def _get_number_range_help_str(self) -> str | None:
        return None


class _OptionInWords(TyperOption):
    """An option whose help shows its metavar (N, PATH=VALUE), nothing for a flag, and
    not its Python type (<int range> [x>=1], <list[str]>, <bool>): the help text says
    what values are allowed, in words."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return "" if self.is_flag or self.metavar is None else self.metavar

    def get_runtime_param(self) -> RuntimeParam:
        return _runtime_param(self)

    def _get_number_range_help_str(self) -> str | None:
        return None


def in_words(command: Any) -> Any:
    """The command (and its subcommands) with help that speaks in words, not types."""
    for param in [*command.params, command.get_help_option(typer.Context(command))]:
        if isinstance(param, TyperOption):
            param.__class__ = _OptionInWords
        elif isinstance(param, TyperArgument):
            param.__class__ = _ArgumentInWords
    for sub in getattr(command, "commands", {}).values():
        in_words(sub)
    return command


def _interruption(exc: BaseException) -> Interrupted | None:
    """The stop signal behind an exit, if any (Typer raises Exit(130) from it)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return as_interrupted(cause)
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _interrupted(stop: Interrupted) -> int:
    """One plain line: which signal, what was kept and how to go on; 128 + the signal."""
    detail = f": {stop.detail}" if stop.detail else ""
    err_console.print(f"interrupted by {stop.name}{detail}", highlight=False, soft_wrap=True)
    return stop.exit_code


def _leave(code: int) -> None:
    """Exit without tearing down the interpreter object by object.

    Every command has closed its files, pools and clusters by now (context managers).
    Freeing a finished run's objects one at a time took 0.16 s after a 250,000-event run
    (bench/bench_run.py), about a tenth of the whole command; the OS frees them at once.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)
