"""Replications per second: 1 worker, 2 worker processes, and a 2-worker Dask LocalCluster.

    .venv/bin/python bench/bench_replications.py [SCENARIO] [--replications N] [--repeats R]

Default scenario: scenarios/baseline-2024.yaml if present, else DESIGN.md's example.
Executors are started and warmed up before timing (start-up is not a replication
cost); each configuration runs R times and the best rate is kept. Targets: ≥ 1.8×
from 1 to 2 workers, Dask within 10% of the pool.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sim.experiments.executors import (
    DaskExecutor,
    Executor,
    ProcessExecutor,
    SerialExecutor,
    local_cluster,
)
from sim.experiments.replications import run_replications
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = (ROOT / "scenarios" / "baseline-2024.yaml", Path("/tmp/design-example.yaml"))


def rate(executor: Executor, raw: dict[str, Any], seed: int, n: int, repeats: int) -> float:
    """Best replications per second over `repeats` runs of n replications."""
    run_replications(raw, seed + 10_000, max(4, executor.workers * 2), executor)  # warm-up
    best = 0.0
    for r in range(repeats):
        started = time.perf_counter()
        run_replications(raw, seed + r, n, executor)
        best = max(best, n / (time.perf_counter() - started))
    return best


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_speedup() -> float:
    """What 2 processes give a perfectly parallel pure-Python job right now (other load shows)."""
    times = []
    for workers in (1, 2):
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_burn, [10] * 4))
            started = time.perf_counter()
            list(pool.map(_burn, [2_000_000] * 8))
            times.append(time.perf_counter() - started)
    return times[0] / times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path)
    parser.add_argument("--replications", type=int, default=0, help="default: ~8 s of work")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = args.scenario or next(p for p in CANDIDATES if p.is_file())
    loaded = load_scenario(path)
    raw, seed = loaded.raw, loaded.scenario.seed

    run_replications(raw, seed, 1, SerialExecutor())  # warm-up
    started = time.perf_counter()
    run_replications(raw, seed, 5, SerialExecutor())
    per_rep = (time.perf_counter() - started) / 5
    n = args.replications or max(20, round(8.0 / per_rep))
    print(f"scenario {path} ({loaded.scenario.name}); {n} replications a measurement, ")
    print(f"about {per_rep * 1000:.1f} ms each; best of {args.repeats}")

    with ProcessExecutor(1) as one:
        r1 = rate(one, raw, seed, n, args.repeats)
    print(f"process pool, 1 worker : {r1:8.1f} replications/s")
    from distributed import Client, LocalCluster

    # the pool and the cluster take turns, so drift in the machine's load hits both alike
    pool_rates, dask_rates = [], []
    with (
        ProcessExecutor(2) as two,
        local_cluster(LocalCluster, 2) as cluster,
        Client(cluster) as client,
    ):
        dask = DaskExecutor.from_client(client)
        for _ in range(args.repeats):
            pool_rates.append(rate(two, raw, seed, n, 1))
            dask_rates.append(rate(dask, raw, seed, n, 1))
    r2, rd = max(pool_rates), max(dask_rates)
    ratios = sorted(d / p for d, p in zip(dask_rates, pool_rates, strict=True))
    print(f"process pool, 2 workers: {r2:8.1f} replications/s")
    print(f"Dask LocalCluster, 2   : {rd:8.1f} replications/s")
    print(f"Dask / pool, each turn : {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"speed-up 1 -> 2 workers: {r2 / r1:.2f}x (target >= 1.8x)")
    print(
        f"Dask / pool (2 workers): {rd / r2:.2f} best/best, {statistics.median(ratios):.2f} median"
        " of turns (target >= 0.90)"
    )
    print(f"control: a perfectly parallel job gets {machine_speedup():.2f}x from 2 processes now")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average during the run: {load} on {os.cpu_count()} CPUs (other work skews rates)")


if __name__ == "__main__":
    main()
