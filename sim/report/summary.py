"""A short terminal summary of one run's metrics (what `intelsim run` prints at the end)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from sim.report.glossary import glossary_text
from sim.report.names import name_of
from sim.scenario.units import format_hours

if TYPE_CHECKING:
    from sim.analysis.metric_changes import Recomputed
    from sim.experiments.run import RunOutcome

NONE = "—"  # a metric the run cannot define


def _hours(value: float | None) -> str:
    return NONE if value is None else format_hours(value)


def _share(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


@dataclass(frozen=True)
class RunIdentity:
    """What was run: the scenario's name, the seed and the horizon (hours)."""

    scenario: str
    seed: int
    horizon_h: float


def identity(outcome: RunOutcome) -> RunIdentity:
    """What was run: the scenario, the seed and the horizon."""
    world = outcome.world
    return RunIdentity(world.scenario.name, world.seed, world.horizon)


def print_run(outcome: RunOutcome, out: Console) -> None:
    """The summary of one run and where its directory is."""
    out.print(run_summary(outcome.metrics, None, outcome.wall_seconds, identity(outcome)))
    out.print(f"run directory: [bold]{outcome.run_dir}[/]", highlight=False)


def _messages(metrics: dict[str, Any]) -> tuple[str, str]:
    """Messages and drops in words that add up on their face.

    Every message sent is delivered, dropped on its way (its link closed or went down
    with `on_outage: drop`, or the rules changed while it travelled) or still in flight at
    the end; "held" counts those that waited for a link, whatever became of them. A drop
    before sending (refused by the rules, no link) was never sent.
    """
    run = metrics["run"]
    sent, delivered = run["messages_sent"], run["messages_delivered"]
    in_flight, dropped = run["messages_in_flight"], run["messages_dropped"]
    on_the_way = sent - delivered - in_flight
    refused = dropped - on_the_way
    messages = (
        f"{sent} sent = {delivered} delivered + {on_the_way} dropped on the way + "
        f"{in_flight} in flight at the end; {run['messages_held']} of them waited for a link "
        f"that was down (held)"
    )
    detail = ", ".join(f"{n} {reason}" for reason, n in metrics["drops_by_reason"].items())
    drops = f"{dropped} = {on_the_way} on the way + {refused} refused before sending" + (
        f" (by reason: {detail})" if detail else ""
    )
    return messages, drops


def _run_table(
    metrics: dict[str, Any],
    run_dir: Path | None,
    wall_seconds: float,
    identity: RunIdentity | None,
) -> Table:
    run = metrics["run"]
    table = Table(title="Run", show_header=False, title_justify="left", box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    if identity is not None:
        table.add_row("scenario", identity.scenario)
        table.add_row("seed", str(identity.seed))
        table.add_row("horizon", format_hours(identity.horizon_h))
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
    messages, drops = _messages(metrics)
    table.add_row("messages", messages)
    table.add_row("dropped", drops)
    table.add_row("intercepted", str(metrics["intercepted"]))
    violations = metrics["releasability_violations"]
    style = "bold red" if violations else "green"
    table.add_row("releasability violations", f"[{style}]{violations}[/]")
    table.add_row("wall time", f"{wall_seconds:.2f} s")
    if run_dir is not None:
        table.add_row("run directory", str(run_dir))
    return table


NODE_COLUMNS = (
    "reports_received",
    "queue_wait_h.mean",
    "knowledge_median_h",
    "known_within_7d",
    "coverage",
    "assessments_issued",
    "false_attributions",
)
LEGEND_TERMS = ("episode", "misidentified", "held")


def legend() -> Text:
    """What the summary's own words mean (from the glossary `intelsim report` shows too)."""
    terms = glossary_text()["terms"]["entries"]
    return Text("; ".join(f"{term}: {terms[term]}" for term in LEGEND_TERMS), style="dim")


def _node_table(metrics: dict[str, Any]) -> Table:
    table = Table(
        title="Nodes",
        title_justify="left",
        caption="time to knowledge: from a use to the node holding a sound assessment of it "
        "(Kaplan-Meier median; uses not known by the end censored; — when under half are "
        "ever known); known within 7 d: share of uses; coverage: share of episodes known; "
        "false attributions: held at the end",
        caption_justify="left",
        # eight columns in the 80 of a pipe or a narrow terminal: a space between
        # columns, each as wide as its longest word (no name cut to "…")
        box=box.SIMPLE_HEAD,
        padding=0,
        show_edge=False,
    )
    table.add_column("node", style="bold", no_wrap=True)
    for metric in NODE_COLUMNS:
        name = name_of(metric)
        width = max(map(len, name.split()))
        table.add_column(name, justify="right", width=width, overflow="fold")
    # by name: a run, its metrics read back and a branch of it list the nodes alike
    for name, node in sorted(metrics["nodes"].items()):
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
    metrics: dict[str, Any],
    run_dir: Path | None,
    wall_seconds: float,
    identity: RunIdentity | None = None,
) -> RenderableType:
    """A short rich summary of a run: what was run, totals, drops, and one row per node."""
    return Group(
        _run_table(metrics, run_dir, wall_seconds, identity), legend(), "", _node_table(metrics)
    )


def recomputed_summary(recomputed: Recomputed) -> RenderableType:
    """The summary of metrics recomputed from a log (`intelsim metrics`)."""
    identity = None
    if recomputed.seed is not None:
        identity = RunIdentity(recomputed.scenario, recomputed.seed, recomputed.horizon_h)
    return run_summary(recomputed.metrics, recomputed.run_dir, recomputed.wall_seconds, identity)
