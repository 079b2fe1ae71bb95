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
    from sim.analysis.replay import load_run
    from sim.analysis.timeline import parse_when, timeline
    from sim.report.timeline_view import print_timeline
    from sim.store import events_path, read_events, resolve_run

    run_dir = resolve_run(run, out)
    scenario, _ = load_run(run_dir)
    limit = None if until is None else parse_when(until, scenario)
    lines = timeline(scenario, read_events(events_path(run_dir)), as_node=as_node, until=limit)
    print_timeline(lines, out_console, plain=plain)


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
    from sim.analysis.replay import load_run
    from sim.report.summary import run_summary
    from sim.store import METRICS_FILE, events_path, read_events, read_json, resolve_run

    run_dir = resolve_run(run, out)
    scenario, manifest = load_run(run_dir)
    metrics = metrics_from_events(scenario, read_events(events_path(run_dir)))
    if as_json:
        _json(metrics)
    else:
        wall = manifest.get("wall_seconds")
        out_console.print(run_summary(metrics, run_dir, float(wall or 0.0)))
    recorded_path = run_dir / METRICS_FILE
    if not recorded_path.is_file():
        err_console.print(f"no {METRICS_FILE} in {run_dir} to compare with", highlight=False)
        return
    diffs = _differences(metrics, read_json(recorded_path))
    if not diffs:
        err_console.print(f"[green]same as {METRICS_FILE}[/]", highlight=False)
        return
    err_console.print(
        f"[yellow]differs from {METRICS_FILE} in {len(diffs)} value(s):[/]", highlight=False
    )
    for diff in diffs[:10]:
        err_console.print(f"  {diff}", highlight=False, markup=False)
    if len(diffs) > 10:
        err_console.print(f"  … and {len(diffs) - 10} more", highlight=False)


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
    from sim.analysis.replay import describe_state, load_run, replay_events
    from sim.analysis.timeline import parse_when
    from sim.store import events_path, read_events, resolve_run

    run_dir = resolve_run(run, out)
    scenario, _ = load_run(run_dir)
    if as_node is not None:
        check_node(scenario, as_node)
    limit = None if at is None else parse_when(at, scenario)
    state = replay_events(scenario, read_events(events_path(run_dir)), limit)
    view = describe_state(scenario, state, limit, as_node)
    if as_json:
        _json(view)
    else:
        _print_state(view)


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
    from sim.analysis.provenance import explain
    from sim.store import resolve_run

    for line in explain(resolve_run(run, out), item):
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)
