"""A short terminal summary of one run's metrics (what `intelsim run` prints at the end)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table

from sim.scenario.units import format_hours

NONE = "—"  # a metric the run cannot define


def _hours(value: float | None) -> str:
    return NONE if value is None else format_hours(value)


def _share(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def _run_table(metrics: dict[str, Any], run_dir: Path | None, wall_seconds: float) -> Table:
    run = metrics["run"]
    table = Table(title="Run", show_header=False, title_justify="left", box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("events", f"{run['events']:,}")
    uses = f"{run['usages_monitored']} in {run['episodes']} episode(s)"
    if run["usages_lookalike"]:
        uses += f", and {run['usages_lookalike']} look-alike use(s) of another origin"
    table.add_row("munition uses", uses)
    table.add_row(
        "reports",
        f"{run['reports']} ({run['reports_collected']} collected, "
        f"{run['reports_fabricated']} fabricated, {run['reports_denials']} denials, "
        f"{run['reports_misidentified']} misidentified)",
    )
    table.add_row(
        "messages",
        f"{run['messages_sent']} sent, {run['messages_delivered']} delivered, "
        f"{run['messages_held']} held, {run['messages_in_flight']} in flight at the end",
    )
    drops = metrics["drops_by_reason"]
    detail = ", ".join(f"{n} {reason}" for reason, n in drops.items())
    table.add_row("dropped", f"{run['messages_dropped']}" + (f" ({detail})" if detail else ""))
    table.add_row("intercepted", str(metrics["intercepted"]))
    violations = metrics["releasability_violations"]
    style = "bold red" if violations else "green"
    table.add_row("releasability violations", f"[{style}]{violations}[/]")
    table.add_row("wall time", f"{wall_seconds:.2f} s")
    if run_dir is not None:
        table.add_row("run directory", str(run_dir))
    return table


def _node_table(metrics: dict[str, Any]) -> Table:
    table = Table(
        title="Nodes",
        title_justify="left",
        caption="to know: median time from a use to the node holding a sound assessment of "
        "it (Kaplan-Meier, uses not known by the end censored; — when under half are ever "
        "known); in 7 d: share of uses known within a week; coverage: share of episodes "
        "known; issued / false: assessments issued, and false attributions held",
        caption_justify="left",
    )
    table.add_column("node", style="bold", no_wrap=True)
    table.add_column("reports", justify="right")
    table.add_column("wait", justify="right")
    table.add_column("to know", justify="right")
    table.add_column("in 7 d", justify="right")
    table.add_column("coverage", justify="right")
    table.add_column("issued", justify="right")
    table.add_column("false", justify="right")
    for name, node in metrics["nodes"].items():
        false = node["false_attributions"]
        table.add_row(
            name,
            str(node["reports_received"]),
            _hours(node["queue_wait_h"]["mean"]),
            _hours(node["knowledge_median_h"]),
            _share(node["known_within_7d"]),
            _share(node["coverage"]),
            str(node["assessments_issued"]),
            f"[red]{false}[/]" if false else "0",
        )
    return table


def run_summary(
    metrics: dict[str, Any], run_dir: Path | None, wall_seconds: float
) -> RenderableType:
    """A short rich summary of a run: totals, drops by reason, and one row per node."""
    return Group(_run_table(metrics, run_dir, wall_seconds), "", _node_table(metrics))
