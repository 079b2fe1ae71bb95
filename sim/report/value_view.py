"""What a part is worth, for the terminal (rich, 80 columns) and as a forest plot."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from rich import box
from rich.table import Table

from sim.experiments.intervals import METHODS
from sim.experiments.value import PartSet, Valuation
from sim.report.plots import forest_plot
from sim.report.whatif_view import SHORT_NAMES, num
from sim.scenario.removal import Effect

PLURALS = {"sharing destination": "sharing destinations", "attack target": "attack targets"}


def _plural(what: str, count: int) -> str:
    if count == 1:
        return what
    return PLURALS.get(what, f"{what}s")


def removal_line(part: PartSet) -> str:
    """ "without KOR-NIS: removes node KOR-NIS; links A->B, …; collector c; …" in one line."""
    groups: dict[tuple[str, str], list[Effect]] = {}
    for effect in part.removal.effects:
        groups.setdefault((effect.action, effect.what), []).append(effect)
    said = []
    for (action, what), effects in groups.items():
        verb = "removes" if action == "removed" else "keeps"
        names = ", ".join(e.name for e in effects)
        said.append(f"{verb} {_plural(what, len(effects))} {names}")
    line = f"without {part.label}: " + "; ".join(said)
    for warning in part.removal.warnings:
        line += f"\n  warning: {warning}"
    return line


def _what(metric: str) -> str:
    return SHORT_NAMES.get(metric, metric.replace("_h.", " (h) ").replace("_", " "))


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "never" if number > 0 else "−∞"
    return num(number, digits)


def _signed(value: object) -> str:
    text = _number(value)
    if isinstance(value, float) and math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    if text not in ("—", "0") and not text.startswith("-"):
        return f"+{text}"
    return text.replace("-", "−")


def _interval(low: object, high: object) -> str:
    if low is None or high is None or any(pd.isna(v) for v in (low, high)):
        return "—"
    return f"[{_number(low).replace('-', '−')}, {_number(high).replace('-', '−')}]"


def part_table(valuation: Valuation, part: str, title: str) -> Table:
    """One part's value at each node: with, without, with − without [95% CI], VR."""
    rows = valuation.shown[valuation.shown["part"] == part]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("node", style="bold", overflow="fold")
    table.add_column("metric", overflow="fold")
    for name in ("with", "without", "with − w/o", "95% CI", "VR ×"):
        table.add_column(name, justify="right", no_wrap=name != "95% CI", overflow="fold")
    removed: set[str] = set()
    methods: list[str] = []
    for row in rows.to_dict("records"):
        node = str(row["node"])
        if str(row["note"]).startswith(f"{node} is removed"):
            if node not in removed:
                removed.add(node)
                table.add_row(node, "[dim]removed: no value without it[/]", "", "", "", "", "")
            continue
        methods.append(str(row["method"]))
        what = _what(str(row["metric"])) + (" *" if row["undefined"] else "")
        table.add_row(
            node,
            what,
            _number(row["with"]),
            _number(row["without"]),
            _signed(row["difference"]),
            _interval(row["ci_low"], row["ci_high"]),
            _number(row["variance_reduction"], 2),
        )
    if not len(rows):
        table.add_row("", "[dim]no metric shown differs with and without this part[/]")
    seen = dict.fromkeys(m for m in methods if m in METHODS)
    notes = [f"{METHODS[m].short}: {METHODS[m].description}" for m in seen]
    if any(rows["undefined"].fillna(0) > 0):
        notes.append("* some pairs left out (undefined, or not reached on either side)")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table


def value_tables(valuation: Valuation, scenario: str) -> list[Table]:
    """A table per part, titled with the part and the number of pairs."""
    parts = list(dict.fromkeys(valuation.table["part"]))
    return [
        part_table(
            valuation,
            part,
            f"{scenario} without {part}: with − without, {valuation.pairs} paired replications",
        )
        for part in parts
    ]


LEGEND = (
    "with − w/o: what the part adds (a share known that is higher with it is +, a time "
    "shorter with it is −); never: not reached by the end of the run; VR ×: (Var with + "
    "Var without) / Var(difference), how much pairing narrowed the interval"
)


def value_plot(valuation: Valuation, stem: Path, title: str) -> list[Path]:
    """The shown differences with their 95% CIs as one forest plot (PNG and SVG)."""
    diffs = {}
    for row in valuation.shown.to_dict("records"):
        key = (str(row["part"]), str(row["node"]), str(row["metric"]))
        if key in valuation.diffs:
            diffs[" · ".join(key)] = valuation.diffs[key]
    return forest_plot(
        diffs,
        stem,
        title,
        axis="with − without, % of the value without the part (95% CI, paired; red: excludes 0)",
        no_base="0 without the part",
        difference="with − without",
    )

