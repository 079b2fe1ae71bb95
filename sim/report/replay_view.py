"""`intelsim replay`: the state of a run at a time, as a view (JSON-ready) and as tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from sim.analysis.replay import describe_state
from sim.scenario.models import Scenario
from sim.state import WorldState


def state_view(
    scenario: Scenario, state: WorldState, at: float | None, node: str | None
) -> dict[str, Any]:
    """The state as `replay --json` prints it (only `node`'s part, with no ground truth,
    when a node is given)."""
    return describe_state(scenario, state, at, node)


def _ids(items: list[str] | dict[str, str], limit: int = 8) -> str:
    """A few ids (with their band for assessments), the rest counted."""
    shown = [f"{k} ({v})" for k, v in items.items()] if isinstance(items, dict) else list(items)
    if not shown:
        return "—"
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" … +{more}" if more > 0 else "")


def print_state(view: dict[str, Any], out: Console) -> None:
    """Nodes (analysts, busy, queue, assessments) and links (status, in flight, held)."""

    out.print(f"state at {view['when']} (t = {view['t']:.2f} h, seq {view['seq']})")
    nodes = Table(title="Nodes", title_justify="left")
    for column in ("node", "analysts", "busy", "queue", "analysed", "assessments"):
        nodes.add_column(column, overflow="fold")
    for name, node in sorted(view["nodes"].items()):  # by name, as in every table of nodes
        known = {**node["assessments_issued"], **node["assessments_received"]}
        nodes.add_row(
            name,
            str(node["analysts"]),
            f"{len(node['busy'])}: {_ids(node['busy'])}",
            f"{len(node['queue'])}: {_ids(node['queue'])}",
            str(node["analysed"]),
            _ids(known),
        )
    out.print(nodes)
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
    out.print(links)
