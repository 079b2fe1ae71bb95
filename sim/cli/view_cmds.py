"""Commands that look at a finished run: timeline, metrics, replay, explain."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.cli.app import OutOption, app, err_console, out_console

# Commands import the library inside their functions, for start-up time: `intelsim --help`
# and each command load only what that command uses (the import rules: docs/architecture.md).

RunArgument = Annotated[
    str, typer.Argument(help='a run directory, a run id under --out, or "latest"')
]
AsOption = Annotated[
    str | None, typer.Option("--as", help="only what this node saw (no ground truth)")
]
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
        str | None, typer.Option("--until", help='stop at a time: "10d" after the start, or ISO')
    ] = None,
    plain: Annotated[bool, typer.Option("--plain", help="plain text, no colours")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """The story of a run, line by line, in UTC: who reported, sent, assessed what, when."""
    from sim.analysis.source import open_run
    from sim.analysis.timeline import parse_when, timeline
    from sim.report.timeline_view import print_timeline
    from sim.store import resolve_run

    source = open_run(resolve_run(run, out))
    limit = None if until is None else parse_when(until, source.scenario)
    reading = source.reading()
    events = reading.events(until_t=limit)
    lines = timeline(source.scenario, events, as_node=as_node, until=limit)
    try:
        print_timeline(lines, out_console, plain=plain)
    except BrokenPipeError:  # `intelsim timeline RUN | head`: the reader has all it wanted
        reader_left()
    reading.raise_if_broken()


def reader_left() -> None:
    """Leave quietly with exit 0 when the program reading our output has gone."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush into a closed pipe
    raise typer.Exit(0)


def _differences(recomputed: dict[str, Any], recorded: Any) -> list[str]:
    from sim.analysis.metrics import flatten

    if not isinstance(recorded, dict):
        return ["metrics.json is not a metrics document"]
    new, old = flatten(recomputed), flatten(recorded)
    return [
        f"{key}: {old.get(key)!r} recorded, {new.get(key)!r} recomputed"
        for key in sorted(set(new) | set(old))
        if new.get(key) != old.get(key)
    ]


@app.command("metrics")
def metrics_cmd(
    run: RunArgument,
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Recompute a run's metrics from its event log alone, and compare with metrics.json."""
    from sim.analysis.metrics import metrics_from_events
    from sim.analysis.source import open_run
    from sim.report.summary import run_summary
    from sim.store import METRICS_FILE, read_json, resolve_run

    source = open_run(resolve_run(run, out))
    reading = source.reading()
    metrics = metrics_from_events(source.scenario, reading.events())
    if as_json:
        _json(metrics)
    else:
        wall = source.manifest.get("wall_seconds")
        out_console.print(run_summary(metrics, source.run_dir, float(wall or 0.0)))
    reading.raise_if_broken()  # metrics of a broken log are not compared with anything
    recorded_path = source.run_dir / METRICS_FILE
    if not recorded_path.is_file():
        err_console.print(f"no {METRICS_FILE} in {source.run_dir} to compare with", highlight=False)
        return
    _compare(_differences(metrics, read_json(recorded_path)))


def _compare(diffs: list[str]) -> None:
    from sim.store import METRICS_FILE
    from sim.store.reading import LogIntegrityError

    if not diffs:
        err_console.print(f"[green]same as {METRICS_FILE}[/]", highlight=False)
        return
    for diff in diffs[:10]:
        err_console.print(f"  {diff}", highlight=False, markup=False)
    more = f"; and {len(diffs) - 10} more" if len(diffs) > 10 else ""
    msg = (
        f"the metrics recomputed from the log differ from {METRICS_FILE} "
        f"in {len(diffs)} value(s){more}"
    )
    raise LogIntegrityError(msg)


@app.command("replay")
def replay_cmd(
    run: RunArgument,
    at: Annotated[
        str | None, typer.Option("--at", help='a time: "10d" after the start, or ISO; default end')
    ] = None,
    as_node: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the state as JSON")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """The state of a run at a time, rebuilt from its log: queues, analysts, assessments, links."""
    from sim.analysis.perspective import check_node
    from sim.analysis.replay import describe_state
    from sim.analysis.replay_at import replay_at
    from sim.analysis.source import open_run
    from sim.analysis.timeline import parse_when
    from sim.store import resolve_run

    source = open_run(resolve_run(run, out))
    if as_node is not None:
        check_node(source.scenario, as_node)
    limit = None if at is None else parse_when(at, source.scenario)
    replayed = replay_at(source, limit)
    shown = None if replayed.note else limit
    view = describe_state(source.scenario, replayed.state, shown, as_node)
    if as_json:
        _json(view)
    else:
        _print_state(view)
    if replayed.note:
        err_console.print(replayed.note, highlight=False)
    replayed.reading.raise_if_broken()


def _ids(items: list[str] | dict[str, str], limit: int = 8) -> str:
    """A few ids (with their band for assessments), the rest counted."""
    shown = [f"{k} ({v})" for k, v in items.items()] if isinstance(items, dict) else list(items)
    if not shown:
        return "—"
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" … +{more}" if more > 0 else "")


def _print_state(view: dict[str, Any]) -> None:
    from rich.table import Table

    out_console.print(f"state at {view['when']} (t = {view['t']:.2f} h, seq {view['seq']})")
    nodes = Table(title="Nodes", title_justify="left")
    for column in ("node", "analysts", "busy", "queue", "analysed", "assessments"):
        nodes.add_column(column, overflow="fold")
    for name, node in view["nodes"].items():
        known = {**node["assessments_issued"], **node["assessments_received"]}
        nodes.add_row(
            name,
            str(node["analysts"]),
            f"{len(node['busy'])}: {_ids(node['busy'])}",
            f"{len(node['queue'])}: {_ids(node['queue'])}",
            str(node["analysed"]),
            _ids(known),
        )
    out_console.print(nodes)
    links = Table(title="Links", title_justify="left")
    for column in ("link", "status", "in flight", "held"):
        links.add_column(column)
    for name, link in view["links"].items():
        if link["up"]:
            status = "[green]up[/]"
        elif not link["enabled"]:
            status = "[red]closed[/]"
        else:
            status = f"[red]down[/] ({', '.join(link['down_causes'])})"
        links.add_row(name, status, str(link["in_flight"]), str(link["held"]))
    out_console.print(links)


@app.command("explain")
def explain_cmd(
    run: RunArgument,
    item: Annotated[str, typer.Argument(help="an assessment (A-…), report (R…) or usage (U…)")],
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Provenance of an assessment or report: its sources, ground truth, and path to every node."""
    from sim.analysis.provenance import explain_run
    from sim.analysis.source import open_run
    from sim.store import resolve_run

    lines, reading = explain_run(open_run(resolve_run(run, out)), item)
    for line in lines:
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)
    reading.raise_if_broken()
