"""Paired comparison of two scenarios with common random numbers.

Replication i of A and of B run with the same seed (derived from A's scenario seed),
so every component draws the same random numbers on both sides, and a difference
comes from what changed between the scenarios rather than from luck. The interval of
B − A is computed from the paired differences; the variance-reduction factor
(Var A + Var B) / Var(B − A) says how much tighter that is than unpaired runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.metrics import kind_of
from sim.experiments.executors import Executor
from sim.experiments.replications import (
    Evaluator,
    Job,
    ReplicationError,
    Row,
    column_values,
    replication_seed,
    rows_frame,
    run_jobs,
    simulate_metrics,
)
from sim.experiments.stats import PairedDiff, paired_diff_ci

SIDES = ("A", "B")


@dataclass
class Comparison:
    """Rows of both sides and B − A for every metric."""

    rows: list[Row] = field(default_factory=list)
    diffs: dict[str, PairedDiff] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """One row per (side, replication): side, replication, seed, every metric."""
        frame = rows_frame(self.rows, ["point", "replication", "seed"])
        frame.insert(0, "side", [SIDES[p] for p in frame["point"]])
        return frame.drop(columns="point")

    def table(self) -> pd.DataFrame:
        """One row per metric: A and B means, B − A with its CI, zero excluded, VR factor."""
        records = [{"metric": m, **d.as_dict()} for m, d in self.diffs.items()]
        columns = [
            "metric",
            "mean_a",
            "mean_b",
            "diff",
            "ci_low",
            "ci_high",
            "half_width",
            "excludes_zero",
            "n",
            "undefined",
            "variance_reduction",
        ]
        return pd.DataFrame.from_records(records, columns=columns)


def paired_differences(rows: list[Row]) -> dict[str, PairedDiff]:
    """B − A per metric from rows of points 0 (A) and 1 (B), paired by replication."""
    frame = rows_frame(rows, ["point", "replication", "seed"])
    a = frame[frame["point"] == 0].set_index("replication")
    b = frame[frame["point"] == 1].set_index("replication")
    common = a.index.intersection(b.index)
    a, b = a.loc[common], b.loc[common]
    metrics = [c for c in frame.columns if c not in ("point", "replication", "seed")]
    return {
        m: paired_diff_ci(column_values(a, m), column_values(b, m), kind=kind_of(m))
        for m in metrics
    }


def run_comparison(
    raw_a: dict[str, Any],
    raw_b: dict[str, Any],
    base_seed: int,
    replications: int,
    executor: Executor,
    *,
    on_rows: Callable[[list[Row]], None] | None = None,
    evaluator: Evaluator = simulate_metrics,
    comparison: Comparison | None = None,
) -> Comparison:
    """Run both scenarios with the same replication seeds and pair them up.

    Rows are collected in `comparison` (pass one in to keep them if interrupted).
    """
    if replications < 2:
        msg = f"--replications must be at least 2 for a paired interval, not {replications}"
        raise ReplicationError(msg)
    comparison = comparison if comparison is not None else Comparison()
    seeds = [replication_seed(base_seed, i) for i in range(replications)]
    # interleaved, so an interrupted comparison still holds complete pairs
    jobs = [Job(side, i, seed) for i, seed in enumerate(seeds) for side in (0, 1)]

    def keep(rows: list[Row]) -> None:
        comparison.rows.extend(rows)
        if on_rows is not None:
            on_rows(rows)

    run_jobs(executor, jobs, {0: raw_a, 1: raw_b}, keep, evaluator=evaluator)
    comparison.diffs = paired_differences(comparison.rows)
    return comparison
