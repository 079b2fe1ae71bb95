"""What a part is worth, for the terminal (rich, 80 columns) and as a forest plot."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from sim.analysis.kinds import Kind
from sim.experiments.intervals import METHODS
from sim.experiments.value import PartSet, Valuation
from sim.report.whatif_view import num
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


NAMES = {
    "knowledge_median_h": "to know, median h",
    "known_within_2d": "known ≤2 d",
    "known_within_7d": "known ≤7 d",
    "known_within_30d": "known ≤30 d",
    "usage_coverage": "uses covered",
    "coverage": "coverage",
    "false_attributions": "false attrib.",
    "false_attribution_rate": "false attrib. rate",
    "on_partner_evidence": "on partners",
}  # short enough for 80 columns


def _what(metric: str) -> str:
    if metric in NAMES:
        return NAMES[metric]
    if metric.startswith("partner_evidence."):
        return f"on {metric.split('.', 1)[1]}"
    return metric.replace("_h.", " h ").replace("_", " ")


def _scaled(value: object, kind: str) -> float | None:
    if not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value) * (100.0 if kind == Kind.SHARE else 1.0)


def _cell(value: object, kind: str, *, signed: bool = False, percent: bool = False) -> str:
    """A value as shown: shares in % (differences in points), 3 significant digits,
    "never" for a time not reached, ±∞ for a difference against one."""
    number = _scaled(value, kind)
    if number is None:
        return "—"
    if math.isinf(number):
        return ("+∞" if number > 0 else "−∞") if signed else "never"
    text = num(number, 3).replace("-", "−")
    if signed and number > 0:
        text = f"+{text}"
    return f"{text}%" if percent and kind == Kind.SHARE else text


def _interval(low: object, high: object, kind: str) -> Text:
    """ "[low, high]" as plain text (rich would read "[a, b]" as markup); a bound against a
    side never reached is ±∞."""
    if _scaled(low, kind) is None or _scaled(high, kind) is None:
        return Text("—")
    bounds = [_cell(v, kind, signed=math.isinf(_scaled(v, kind) or 0.0)) for v in (low, high)]
    return Text(f"[{bounds[0]}, {bounds[1]}]")


def part_table(valuation: Valuation, part: str, title: str) -> Table:
    """One part's value at each node: with, without, with − without [95% CI], VR."""
    rows = valuation.shown[valuation.shown["part"] == part]
    # no box: its separators would cost 8 of the 80 columns the table has
    table = Table(
        title=title,
        title_justify="left",
        box=None,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold",
        min_width=72,  # the title on one line even when few rows are shown
    )
    table.add_column("node", style="bold", no_wrap=True)
    table.add_column("metric", overflow="fold")
    for name in ("with", "without", "adds", "95% CI", "VR ×"):
        table.add_column(name, justify="right", no_wrap=name != "95% CI", overflow="fold")
    removed: set[str] = set()
    methods: list[str] = []
    for row in rows.to_dict("records"):
        node = str(row["node"])
        if str(row["note"]).startswith(f"{node} is removed"):
            if node not in removed:
                removed.add(node)
                table.add_row(node, "[dim]removed[/]")
            continue
        methods.append(str(row["method"]))
        kind = str(row["kind"])
        table.add_row(
            node,
            _what(str(row["metric"])) + (" *" if row["undefined"] else ""),
            _cell(row["with"], kind, percent=True),
            _cell(row["without"], kind, percent=True),
            _cell(row["difference"], kind, signed=True),
            _interval(row["ci_low"], row["ci_high"], kind),
            _cell(row["variance_reduction"], Kind.NUMBER),
        )
    seen = dict.fromkeys(m for m in methods if m in METHODS)
    said = "; ".join(f"{METHODS[m].short}: {METHODS[m].description}" for m in seen)
    notes = [f"95% CI by {said}"] if seen else []
    if not len(rows):
        notes.append("no metric shown differs with and without this part (value.csv has all)")
    if any(rows["undefined"].fillna(0) > 0):
        notes.append("* some pairs left out (undefined, or not reached on either side)")
    if removed:
        notes.append("removed: the part takes the node with it; it has no value without it")
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
    "adds: with − without, what the part adds (a share higher with it is +, a time shorter "
    "with it is −); shares in %, what is added in percentage points; times in "
    "hours (never: not reached by the end of the run); VR ×: (Var with + Var without) / "
    "Var(with − without), how much pairing narrowed the interval"
)
