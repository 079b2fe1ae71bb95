"""The lesson pack's claims (docs/teaching/claims.yaml), measured as the lesson's commands
measure them: `intelsim compare A B --replications N` (same seeds, same pairing, same
intervals), or the events of the runs for claims about what happens in every run.

`python -m tests.lesson_claims` prints what each claim measures today (to write the docs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sim.experiments.compare import Comparison, run_comparison
from sim.experiments.executors import SerialExecutor
from sim.experiments.replications import column_values, replication_seed, rows_frame
from sim.experiments.stats import Interval, summarize
from sim.scenario.loader import load_scenario
from tests import teaching_story as story

ROOT = story.ROOT
TEACHING = ROOT / "docs" / "teaching"
CLAIMS = TEACHING / "claims.yaml"


@dataclass
class Claim:
    """One checkable sentence of an exercise's answer."""

    exercise: str
    doc: Path
    quote: str  # appears word for word in the exercise's text
    metric: str | None = None
    side: str | None = None  # "a" or "b": the interval of that side's mean lies in `within`
    within: tuple[float, float] | None = None
    diff_above: float | None = None  # the whole interval of B - A lies above it
    diff_below: float | None = None  # ... below it
    events: str | None = None  # a teaching_story check that finds events in every run
    runs: dict[str, str] = field(default_factory=dict)  # a, b: scenario files


def load_claims() -> tuple[int, list[Claim]]:
    """The replications the lesson's commands ask for, and every claim."""
    doc = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    claims = []
    for exercise in doc["exercises"]:
        for c in exercise["claims"]:
            runs = {side: c.get(side) or exercise.get(side) for side in ("a", "b")}
            runs = {side: path for side, path in runs.items() if path}
            within = c.get("within")
            claims.append(
                Claim(
                    exercise=exercise["id"],
                    doc=TEACHING / exercise["doc"],
                    quote=c["quote"],
                    metric=c.get("metric"),
                    side=c.get("side"),
                    within=None if within is None else (float(within[0]), float(within[1])),
                    diff_above=c.get("diff_above"),
                    diff_below=c.get("diff_below"),
                    events=c.get("events"),
                    runs=runs,
                )
            )
    return int(doc["replications"]), claims


@cache
def comparison(a: str, b: str, replications: int) -> Comparison:
    """`intelsim compare A B --replications N`, in this process (common random numbers)."""
    raw_a = load_scenario(ROOT / a).raw
    raw_b = load_scenario(ROOT / b).raw
    seed = load_scenario(ROOT / a).scenario.seed
    return run_comparison(raw_a, raw_b, seed, replications, SerialExecutor())


def side_interval(found: Comparison, metric: str, side: str) -> Interval:
    """The interval of one side's metric over the replications (as `intelsim run
    --replications` summarises it)."""
    frame = rows_frame(found.rows, ["point", "replication", "seed"])
    rows = frame[frame["point"] == ("ab".index(side))]
    return summarize(metric, column_values(rows, metric))


def measure(claim: Claim, replications: int) -> Any:
    """What the claim's runs give: an Interval, a PairedDiff, or events per run."""
    if claim.events is not None:
        path = ROOT / claim.runs["a"]
        seed = load_scenario(path).scenario.seed
        check = getattr(story, claim.events)
        return [
            check(story.run(path, seed=replication_seed(seed, i)).events)
            for i in range(replications)
        ]
    assert claim.metric is not None
    found = comparison(claim.runs["a"], claim.runs.get("b", claim.runs["a"]), replications)
    if claim.side is not None:
        return side_interval(found, claim.metric, claim.side)
    return found.diffs[claim.metric]


def holds(claim: Claim, measured: Any) -> bool:
    """Whether what was measured bears the claim out, interval and all."""
    if claim.events is not None:
        return all(measured)
    if claim.within is not None:
        low, high = claim.within
        return (
            measured.low is not None
            and measured.high is not None
            and low <= measured.low
            and measured.high <= high
        )
    diff = measured.diff
    if claim.diff_above is not None and not (diff.low is not None and diff.low > claim.diff_above):
        return False
    return not (
        claim.diff_below is not None
        and not (diff.high is not None and diff.high < claim.diff_below)
    )


def main() -> None:
    """Print what every claim measures today."""
    replications, claims = load_claims()
    for claim in claims:
        measured = measure(claim, replications)
        if claim.events is not None:
            shown = f"{sum(bool(m) for m in measured)} of {len(measured)} runs"
        elif claim.side is not None:
            shown = f"{measured.mean} [{measured.low}, {measured.high}]"
        else:
            shown = (
                f"A {measured.mean_a} B {measured.mean_b} "
                f"B-A {measured.diff.mean} [{measured.diff.low}, {measured.diff.high}]"
            )
        print(
            f"{claim.exercise} {claim.metric or claim.events}: {shown} -> {holds(claim, measured)}"
        )


if __name__ == "__main__":
    main()
