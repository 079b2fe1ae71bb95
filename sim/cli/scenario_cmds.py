"""Commands about scenario files: validate, schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.cli.app import app, err_console, out_console

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="SCENARIO", help="scenario files")],
) -> None:
    """Check scenario files; exit 0, or 2 listing every problem (file, field path, why)."""
    from sim.scenario.loader import validate_paths

    problems = validate_paths(files)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err_console.print(f"[{style}]{escape(str(problem))}[/]", highlight=False, soft_wrap=True)
    if errors:
        err_console.print(f"{len(errors)} error(s) in {len(files)} file(s)", highlight=False)
        raise typer.Exit(2)
    for path in files:
        out_console.print(f"[green]ok[/] {path}", highlight=False)


@app.command()
def schema(
    events: Annotated[
        bool, typer.Option("--events", help="the schema of event log lines instead")
    ] = False,
) -> None:
    """Print the JSON Schema of the scenario language (or, with --events, of the event log)."""
    import json

    if events:
        from sim.event_models import event_json_schema

        document = event_json_schema()
    else:
        from sim.scenario.schema import scenario_json_schema

        document = scenario_json_schema()
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
