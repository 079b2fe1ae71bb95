"""The Typer app, shared options and output helpers; commands live in sibling modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sim.errors import IntelsimError
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

OutOption = Annotated[Path, typer.Option("--out", help="where run directories go")]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a field: PATH=VALUE (dotted path, YAML value)"),
]


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def main() -> None:
    """Entry point: run the app; bad input becomes one clear message, never a traceback."""
    configure_logging()
    code = 1
    try:
        app()  # Typer handles usage errors and --help itself, then exits
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            err_console.print(exc.code, highlight=False)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except IntelsimError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        code = getattr(exc, "exit_code", 2)  # 1: a log that failed a check; 2: bad input
    except BrokenPipeError:
        # `intelsim timeline RUN | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False)
        code = 130
    except Exception as exc:  # a bug, not bad input: say so plainly, traceback on request
        if os.environ.get("INTELSIM_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in intelsim. Run again with INTELSIM_DEBUG=1 for the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        code = 70
    _leave(code)


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
