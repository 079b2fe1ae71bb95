"""Benchmark: `intelsim run` against a bare SimPy script of the same queue, whole process each.

Both write the same events of the same M/M/2 queue (~50,000 reports, ~250,000 events)
as JSON lines; intelsim also validates the scenario, hash-chains every line, folds
every event into the domain state, computes metrics and writes a manifest. The
machine is noisy, so the two alternate and the figure that matters is the ratio of
medians measured in this same invocation.

It then says where the time of `intelsim run` goes, by component (`--breakdown`, on by
default), in CPU seconds: in the run process, start-up (imports, scenario), the engine
with its fold (SimPy, decide, evolve), what the event log adds (numbering, encoding,
the pipe, the fork of the sidecar) and the end of the run (metrics.json, manifest,
summary); in the log sidecar, a fork on the other core, the hash chain with its writes
and the metrics it makes from the log; and what is left of the whole process's CPU
(interpreter start, the command line, exit), which in-process timings cannot see. Each
part is a difference between in-process runs (medians of `--repeats`; cProfile's
per-call overhead would inflate the many small calls of the hot loop; each is good to
about 0.1 s on a busy machine). The sidecar adds to the wall time only when no core is
free, and at the end, when the run waits for it (shown in wall seconds).

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
import io, json, resource, sys, tempfile, time
from pathlib import Path

def cpu_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

t0 = time.process_time()
from rich.console import Console
from sim.cli import app  # noqa: F401  (the command line, as `intelsim run` imports it)
from sim.report import summary, watching  # noqa: F401
from sim.engine import build_world, run_world
from sim.experiments.log_metrics import MetricsFollower
from sim.experiments.run import RunOutcome
from sim.scenario.loader import load_scenario
from sim.store import write_json
from sim.store.piped import PipedEventLogWriter
imports = time.process_time() - t0
t0 = time.process_time()
loaded = load_scenario(Path(sys.argv[1]), [])
scenario = loaded.scenario
load = time.process_time() - t0

def engine():
    run_world(build_world(scenario, scenario.seed))

def logged(metrics):
    directory = Path(tempfile.mkdtemp())
    with PipedEventLogWriter(
        directory / "events.jsonl",
        follower=MetricsFollower(scenario, directory) if metrics else None,
    ) as writer:
        world = run_world(build_world(scenario, scenario.seed, writer))
        closing = time.perf_counter()
    times["wait"].append(time.perf_counter() - closing)
    if metrics:  # what the run does once the sidecar has answered
        started = time.process_time()
        made = writer.report["metrics"]
        write_json(directory / "metrics.json", made)
        write_json(directory / "manifest.json", loaded.raw)
        outcome = RunOutcome(directory, writer.written, writer.last_hash, 1.0, made, world)
        summary.print_run(outcome, Console(file=io.StringIO(), width=100))
        times["end"].append(time.process_time() - started)

names = ["engine", "log", "metrics", "sidecar", "sidecar_metrics", "wait", "end"]
times = {name: [] for name in names}
steps = [
    ("engine", engine),
    ("log", lambda: logged(False)),
    ("metrics", lambda: logged(True)),
]
for _ in range(int(sys.argv[2])):
    for name, step in steps:
        children = cpu_children()
        started = time.process_time()
        step()
        times[name].append(time.process_time() - started)
        if name == "metrics":
            times[name][-1] -= times["end"][-1]
        if name != "engine":
            key = "sidecar" if name == "log" else "sidecar_metrics"
            times[key].append(cpu_children() - children)
print(json.dumps({"imports": imports, "load": load, **times}))
"""


def fixed_cost(work: Path, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of a whole `intelsim run` of the queue at a 1 h horizon
    (a few dozen events): what every run pays whatever its length (interpreter, imports,
    the command line, the scenario, the sidecar, the summary, exit)."""
    runs = []
    for i in range(repeats):
        runs.append(timed([*intelsim_cmd(work / f"fixed-{i}", 1), "--set", "duration=1h"]))
    return statistics.median(w for w, _, _ in runs), statistics.median(c for _, _, c in runs)


def breakdown(repeats: int, work: Path) -> None:
    """Where the time of `intelsim run` goes, by component (see the module docstring)."""
    cmd = [sys.executable, "-c", BREAKDOWN, str(SCENARIO), str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"breakdown failed:\n{done.stderr}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    med = {name: statistics.median(v) if isinstance(v, list) else v for name, v in times.items()}
    fixed_wall, fixed_cpu = fixed_cost(work, repeats)
    print(f"where the time of intelsim run goes (CPU s, medians of {repeats})")
    print(
        f"  fixed: a whole run at a 1 h horizon                  {fixed_cpu:6.2f} s"
        f"  ({fixed_wall:.2f} s wall), of which"
    )
    for name, seconds in [
        ("imports (command line, engine, models)", med["imports"]),
        ("scenario load and validation", med["load"]),
        ("end: metrics.json, manifest, summary", med["end"]),
        ("interpreter, command line, sidecar, exit (rest)", None),
    ]:
        if seconds is None:
            rest = fixed_cpu - med["imports"] - med["load"]
            # measured apart from the parts above: on a busy machine it can come out < 0
            print(f"    {name:<50} {rest:6.2f} s  (whole less the parts; noise ~0.1 s)")
        else:
            print(f"    {name:<50} {seconds:6.2f} s")
    print("  with the events (in-process differences, 1x horizon)")
    for name, seconds in [
        ("run process: engine + fold (SimPy, decide, evolve)", med["engine"]),
        ("run process: event log (numbering, encoding, pipe)", med["log"] - med["engine"]),
        ("sidecar, other core: hash chain, write, seal", med["sidecar"]),
        ("sidecar, other core: metrics from the log", med["sidecar_metrics"] - med["sidecar"]),
    ]:
        print(f"    {name:<50} {seconds:6.2f} s")
    print(f"  the run waits for the sidecar at its end (wall)      {med['wait']:6.2f} s")


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
            breakdown(args.repeats, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
