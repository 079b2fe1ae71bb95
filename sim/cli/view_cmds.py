"""Commands that look at a finished run: timeline, metrics, replay, explain."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.app import AsOption, OutOption, RunArgument, app, err_console, out_console

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).

DEFAULT_OUT = Path("logs")


def _json(obj: Any) -> None:
    import orjson

    data = orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    sys.stdout.write(data.decode() + "\n")


@app.command("timeline")
def timeline_cmd(
    run: RunArgument,
    as_node: AsOption = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="WHEN", help='stop at a time: "10d" after the start, or ISO'
        ),
    ] = None,
    plain: Annotated[bool, typer.Option("--plain", help="plain text, no colours")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """The story of a run, line by line, in UTC: who reported, sent, assessed what, when."""
    from sim.analysis.source import open_run
    from sim.analysis.timeline import parse_when
    from sim.report.timeline_view import show_timeline
    from sim.store import resolve_run

    source = open_run(resolve_run(run, out))
    limit = None if until is None else parse_when(until, source.scenario)
    reading = source.reading()
    try:
        show_timeline(
            source.scenario, reading, out_console, as_node=as_node, until=limit, plain=plain
        )
    except BrokenPipeError:  # `intelsim timeline RUN | head`: the reader has all it wanted
        reader_left()
    reading.raise_if_broken()


def reader_left() -> None:
    """Leave quietly with exit 0 when the program reading our output has gone."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush into a closed pipe
    raise typer.Exit(0)


@app.command("metrics")
def metrics_cmd(
    run: RunArgument,
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Recompute a run's metrics from its event log alone, and compare with metrics.json."""
    from sim.analysis.metric_changes import recompute
    from sim.report.summary import recomputed_summary
    from sim.store import resolve_run

    recomputed = recompute(resolve_run(run, out))
    if as_json:
        _json(recomputed.metrics)
    else:
        out_console.print(recomputed_summary(recomputed))
    recomputed.reading.raise_if_broken()  # metrics of a broken log are not compared
    if recomputed.recorded is None:
        err_console.print(f"no metrics.json in {recomputed.run_dir} to compare with")
        return
    for diff in recomputed.differences()[:10]:
        err_console.print(f"  {diff}", highlight=False, markup=False)
    recomputed.check()
    err_console.print("[green]same as metrics.json[/]", highlight=False)


@app.command("replay")
def replay_cmd(
    run: RunArgument,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="WHEN", help='a time: "10d" after the start, or ISO; default: the end'
        ),
    ] = None,
    as_node: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the state as JSON")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """The state of a run at a time, rebuilt from its log: queues, analysts, assessments, links."""
    from sim.analysis.perspective import check_node
    from sim.analysis.replay_at import replay_at
    from sim.analysis.source import open_run
    from sim.analysis.timeline import parse_when
    from sim.report.replay_view import print_state, state_view
    from sim.store import resolve_run

    source = open_run(resolve_run(run, out))
    if as_node is not None:
        check_node(source.scenario, as_node)
    limit = None if at is None else parse_when(at, source.scenario)
    replayed = replay_at(source, limit)
    shown = None if replayed.note else limit
    view = state_view(source.scenario, replayed.state, shown, as_node)
    if as_json:
        _json(view)
    else:
        print_state(view, out_console)
    if replayed.note:
        err_console.print(replayed.note, highlight=False)
    replayed.reading.raise_if_broken()


@app.command("explain")
def explain_cmd(
    run: RunArgument,
    item: Annotated[
        str,
        typer.Argument(metavar="ITEM", help="an assessment (A-…), report (R…) or usage (U…)"),
    ],
    as_node: AsOption = None,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Provenance of an assessment or report: its sources, ground truth, and path to every node."""
    from sim.analysis.provenance import explain_run
    from sim.analysis.source import open_run
    from sim.store import resolve_run

    lines, reading = explain_run(open_run(resolve_run(run, out)), item, as_node=as_node)
    for line in lines:
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)
    reading.raise_if_broken()
