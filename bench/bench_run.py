"""Benchmark: `intelsim run` against a bare SimPy script of the same queue, whole process each.

Both write the same events of the same M/M/2 queue (~50,000 reports, ~250,000 events)
as JSON lines; intelsim also validates the scenario, hash-chains every line, folds
every event into the domain state, computes metrics and writes a manifest. The
machine is noisy, so the two alternate and the figure that matters is the ratio of
medians measured in this same invocation.

It then says where the time of `intelsim run` goes, by component (`--breakdown`, on by
default): CPU seconds of start-up (imports, scenario), of the engine with the fold
(SimPy processes, decide, evolve), and what the live metrics listener and the event log
add on top, each measured as the difference between two in-process runs (medians of
`--repeats`; cProfile's per-call overhead would inflate the many small calls of the hot
loop; each difference is good to about 0.2 s on a busy machine), and the metrics made at
the end. The log's sidecar process hashes and writes on the other core: its CPU is shown
apart, since it adds to the wall time only when no core is free.

Usage: python bench/bench_run.py [--repeats 5] [--scale 10] [--no-breakdown]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "queue-50k.yaml"
HORIZON_HOURS = 5000.0


def timed(cmd: list[str]) -> tuple[float, int, float]:
    """Wall seconds, peak resident memory (KiB) and CPU seconds (its children's included:
    the log sidecar) of one command run to completion."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def intelsim_cmd(out: Path, scale: float) -> list[str]:
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    if scale != 1:
        cmd += ["--set", f"duration={HORIZON_HOURS * scale}h"]
    return cmd


def bare_cmd(out: Path, scale: float) -> list[str]:
    return [sys.executable, str(HERE / "bare_simpy.py"), str(out), str(HORIZON_HOURS * scale)]


BREAKDOWN = """
import json, resource, sys, tempfile, time
t0 = time.process_time()
from sim.cli import app  # noqa: F401  (the command line, as `intelsim run` imports it)
from sim.report import summary, watching  # noqa: F401
from sim.analysis.metrics import MetricsProjection
from sim.engine import build_world, run_world
from sim.scenario.loader import load_scenario
from sim.store.piped import PipedEventLogWriter
from pathlib import Path
loaded = load_scenario(Path(sys.argv[1]), [])
scenario = loaded.scenario
startup = time.process_time() - t0

def engine():
    run_world(build_world(scenario, scenario.seed))

def metrics():
    world = build_world(scenario, scenario.seed)
    projection = MetricsProjection(scenario, world.state)
    world.recorder.listeners.append(projection.apply)
    run_world(world)

def logged():
    with PipedEventLogWriter(Path(tempfile.mkdtemp()) / "events.jsonl") as writer:
        world = build_world(scenario, scenario.seed, writer)
        projection = MetricsProjection(scenario, world.state)
        world.recorder.listeners.append(projection.apply)
        run_world(world)
    started = time.process_time()
    projection.result()
    times["result"].append(time.process_time() - started)

times = {"engine": [], "metrics": [], "logged": [], "result": [], "sidecar": []}
steps = [("engine", engine), ("metrics", metrics), ("logged", logged)]
for _ in range(int(sys.argv[2])):
    for name, step in steps:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.process_time()
        step()
        times[name].append(time.process_time() - started)
        if name == "logged":
            times[name][-1] -= times["result"][-1]
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times["sidecar"].append(
                after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            )
print(json.dumps({"startup": startup, **times}))
"""


def breakdown(repeats: int) -> None:
    """Where the CPU time of `intelsim run` goes, by component (see the module docstring)."""
    cmd = [sys.executable, "-c", BREAKDOWN, str(SCENARIO), str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"breakdown failed:\n{done.stderr}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    med = {name: statistics.median(v) if isinstance(v, list) else v for name, v in times.items()}
    parts = [
        ("start-up: imports, scenario validation", med["startup"]),
        ("engine + fold (SimPy, decide, evolve)", med["engine"]),
        ("live metrics listener", med["metrics"] - med["engine"]),
        ("event log: numbering, encoding, pipe", med["logged"] - med["metrics"]),
        ("metrics at the end (quantiles, survival)", med["result"]),
    ]
    total = sum(seconds for _, seconds in parts)
    print(f"where the time of intelsim run goes (CPU s, median of {repeats}; differences)")
    for name, seconds in parts:
        print(f"  {name:<40} {seconds:6.2f} s  {seconds / total:5.0%}")
    print(f"  {'total in the run process':<40} {total:6.2f} s")
    print(f"  {'log sidecar (other process: hash, write)':<40} {med['sidecar']:6.2f} s")


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", type=float, default=10.0, help="horizon multiple for memory")
    parser.add_argument(
        "--breakdown",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="where the time goes, by component",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="intelsim-bench-"))
    try:
        ours, bare = [], []
        for i in range(args.repeats):
            bare_out = work / f"bare-{i}.jsonl"
            bare.append(timed(bare_cmd(bare_out, 1)))
            ours.append(timed(intelsim_cmd(work / f"runs-{i}", 1)))
        events_bare = count_lines(work / "bare-0.jsonl")
        events_ours = count_lines(next((work / "runs-0").glob("*/events.jsonl")))
        t_ours = statistics.median(w for w, _, _ in ours)
        t_bare = statistics.median(w for w, _, _ in bare)
        cpu_ours = statistics.median(c for _, _, c in ours)
        cpu_bare = statistics.median(c for _, _, c in bare)
        print(f"queue scenario, 1x horizon, median of {args.repeats} whole-process runs")
        print(f"  bare SimPy + orjson lines : {t_bare:6.2f} s  {events_bare:>9,} events")
        print(f"  intelsim run              : {t_ours:6.2f} s  {events_ours:>9,} events")
        print(f"  ratio intelsim / bare     : {t_ours / t_bare:6.2f}x   (target <= 1.3x)")
        print(
            f"  CPU (sidecar included)    : {cpu_bare:.2f} s bare, {cpu_ours:.2f} s intelsim,"
            f" ratio {cpu_ours / cpu_bare:.2f}x"
        )
        mem_1 = max(m for _, m, _ in ours)
        _, mem_n, _ = timed(intelsim_cmd(work / "runs-big", args.scale))
        _, bare_n, _ = timed(bare_cmd(work / "bare-big.jsonl", args.scale))
        events_big = count_lines(next((work / "runs-big").glob("*/events.jsonl")))
        print(f"peak memory (max RSS) of intelsim run, 1x vs {args.scale:g}x horizon")
        print(f"  1x : {mem_1 / 1024:7.1f} MiB")
        print(
            f"  {args.scale:g}x: {mem_n / 1024:7.1f} MiB  ({events_big:,} events;"
            f" bare SimPy {bare_n / 1024:.1f} MiB)"
        )
        if args.breakdown:
            breakdown(args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
