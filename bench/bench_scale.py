"""Benchmark: does the cost of `intelsim run` and `intelsim verify` grow linearly with the work?

Runs the baseline scenario at 1x, 8x and 32x its horizon (180, 1440, 5760 days), then
verifies each run, and prints events per second at each scale and its ratio to 1x
measured in this same invocation (the machine is noisy: the ratios are the figures that
matter). Two measures: the work itself, timed inside a fresh process after its imports
(`run_to_directory`, `verify_run`: the whole log written and read back, metrics, replay),
and whole `python -m sim run|verify` processes, where start-up (~1 s) weighs on short
runs, so their ratios rise above 1. Linear cost means work ratios near 1: per-event work
never scans what came before (fusion clusters are indexed by munition, sector and
period; DESIGN.md, "A cost you can see"). The target is >= 0.9 at 32x for both.

Usage: python bench/bench_scale.py [--repeats 2] [--scales 1,8,32]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "baseline-2024.yaml"
DAYS = 180


def timed(cmd: list[str]) -> float:
    """Wall seconds of one command run to completion (raises on failure)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return wall


WORK = """
import json, sys, time
from pathlib import Path
from sim.analysis.verify import verify_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
loaded = load_scenario(Path(sys.argv[1]), overrides=[f"duration={sys.argv[2]}d"])
t0 = time.perf_counter()
outcome = run_to_directory(loaded, Path(sys.argv[3]))
t1 = time.perf_counter()
verdict = verify_run(outcome.run_dir)
t2 = time.perf_counter()
assert verdict.ok, verdict
print(json.dumps([t1 - t0, t2 - t1]))
"""


def work_once(out: Path, scale: int) -> tuple[int, float, float]:
    """Events, run and verify seconds of the work alone, in a fresh process."""
    cmd = [sys.executable, "-c", WORK, str(SCENARIO), str(DAYS * scale), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): work at {scale}x\n{done.stderr}")
    run_s, verify_s = json.loads(done.stdout.strip().splitlines()[-1])
    return _events(out), run_s, verify_s


def process_once(out: Path, scale: int) -> tuple[int, float, float]:
    """Events, run and verify seconds of whole `python -m sim` processes."""
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    cmd += ["--set", f"duration={DAYS * scale}d"]
    run_s = timed(cmd)
    verify_s = timed([sys.executable, "-m", "sim", "verify", str(next(out.iterdir()))])
    return _events(out), run_s, verify_s


def _events(out: Path) -> int:
    run_dir = next(out.iterdir())
    return int(json.loads((run_dir / "manifest.json").read_text())["events"])


Rates = dict[int, tuple[list[float], list[float], int]]


def measure(how: str, scales: list[int], repeats: int, work: Path) -> Rates:
    """Events/s of run and verify at each scale, scales interleaved (drifts hit all)."""
    once = work_once if how == "work" else process_once
    rates: Rates = {s: ([], [], 0) for s in scales}
    for i in range(repeats):
        for scale in scales:
            out = work / f"{how}-x{scale}-{i}"
            events, run_s, verify_s = once(out, scale)
            runs, verifies, _ = rates[scale]
            runs.append(events / run_s)
            verifies.append(events / verify_s)
            rates[scale] = (runs, verifies, events)
            shutil.rmtree(out)
    return rates


def table(title: str, rates: Rates, scales: list[int]) -> None:
    base_run = statistics.median(rates[scales[0]][0])
    base_verify = statistics.median(rates[scales[0]][1])
    print(title)
    head = ("scale", "events", "run ev/s", "ratio", "verify ev/s", "ratio")
    print("{:>6} {:>10} {:>10} {:>6} {:>12} {:>6}".format(*head))
    for scale in scales:
        runs, verifies, events = rates[scale]
        r, v = statistics.median(runs), statistics.median(verifies)
        print(
            f"{scale:>5}x {events:>10,} {r:>10,.0f} {r / base_run:>6.2f} "
            f"{v:>12,.0f} {v / base_verify:>6.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--scales", default="1,8,32")
    parser.add_argument("--processes", action="store_true", help="also whole processes")
    args = parser.parse_args()
    scales = [int(x) for x in args.scales.split(",")]
    work = Path(tempfile.mkdtemp(prefix="intelsim-scale-"))
    try:
        n = args.repeats
        rates = measure("work", scales, n, work)
        table(f"baseline-2024: the work (events/s, median of {n}; ratio to 1x)", rates, scales)
        if args.processes:
            rates = measure("process", scales, n, work)
            table(f"whole processes (events/s, median of {n}; ratio to 1x)", rates, scales)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
