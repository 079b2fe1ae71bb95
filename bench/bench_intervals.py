"""Cost of the intervals of a sweep's summary, per metric kind, against Student t.

    .venv/bin/python bench/bench_intervals.py [--points P] [--replications R]

A sweep or sensitivity study summarises every metric at every point (a 192-point study
of the baseline: about 94,000 intervals), so each interval's cost matters. Prints µs per
interval for each kind's method as a ratio to the plain t interval timed in the same
invocation (the machine is noisy), and the cost of summarising P and 8·P points of a
synthetic sweep, which must grow linearly.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.analysis.kinds import Kind
from sim.experiments.stats import interval
from sim.experiments.sweep import summary_table

METRICS = {
    "nodes.N.queue_wait_h.mean": Kind.TIME_MEAN,
    "nodes.N.coverage": Kind.SHARE,
    "run.messages_dropped": Kind.COUNT,
    "nodes.N.knowledge_median_h": Kind.CENSORED_TIME,
}


def per_interval(kind: Kind, values: list[float | None], repeats: int = 3000) -> float:
    """Best of three: µs per interval of `values` as a metric of `kind`."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeats):
            interval(kind, values)
        best = min(best, (time.perf_counter() - started) / repeats * 1e6)
    return best


def sweep_runs(points: int, replications: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = points * replications
    return pd.DataFrame(
        {
            "point": np.repeat(np.arange(points), replications),
            "replication": np.tile(np.arange(replications), points),
            "seed": np.tile(np.arange(replications), points),
            "x": np.repeat(rng.random(points), replications),
            "nodes.N.queue_wait_h.mean": rng.exponential(2.0, rows),
            "nodes.N.coverage": rng.binomial(12, 0.6, rows) / 12,
            "run.messages_dropped": rng.poisson(3.0, rows),
            "nodes.N.knowledge_median_h": rng.lognormal(3.0, 1.0, rows),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    values: list[float | None] = [*rng.exponential(2.0, args.replications - 1), None]
    shares: list[float | None] = [*(rng.binomial(12, 0.6, args.replications) / 12)]
    base = per_interval(Kind.NUMBER, values)
    print(f"Student t: {base:.0f} µs per interval (n = {args.replications})")
    for kind, sample in (
        (Kind.TIME_MEAN, values),
        (Kind.SHARE, shares),
        (Kind.COUNT, [float(v) for v in rng.poisson(3.0, args.replications)]),
        (Kind.CENSORED_TIME, values),
    ):
        cost = per_interval(kind, sample)
        print(f"{kind.value:>14}: {cost:6.0f} µs  {cost / base:4.2f}× t")
    seconds = []
    for scale in (1, 8):
        runs = sweep_runs(args.points * scale, args.replications, rng)
        started = time.perf_counter()
        summary_table(runs, ["x"])
        seconds.append(time.perf_counter() - started)
        n = args.points * scale * len(METRICS)
        print(f"summary of {args.points * scale} points: {seconds[-1]:.2f} s ({n} intervals)")
    print(f"8× the points: {seconds[1] / seconds[0]:.2f}× the time (linear: 8)")


if __name__ == "__main__":
    main()
