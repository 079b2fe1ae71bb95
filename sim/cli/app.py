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
    try:
        app()
    except IntelsimError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except BrokenPipeError:
        # `intelsim timeline RUN | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so plainly, traceback on request
        if os.environ.get("INTELSIM_DEBUG"):
            raise
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in intelsim. Run again with INTELSIM_DEBUG=1 for the traceback.",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(70)
