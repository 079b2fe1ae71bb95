"""Benchmark: `intelsim run` against a bare SimPy script of the same queue, whole process each.

Both write the same events of the same M/M/2 queue (~50,000 reports, ~250,000 events)
as JSON lines; intelsim also validates the scenario, hash-chains every line, folds
every event into the domain state, computes metrics and writes a manifest. The
machine is noisy, so the two alternate and the figure that matters is the ratio of
medians measured in this same invocation.

Usage: python bench/bench_run.py [--repeats 5] [--scale 10]
"""

from __future__ import annotations

import argparse
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


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one command run to completion."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr}")
    return wall, usage.ru_maxrss


def intelsim_cmd(out: Path, scale: float) -> list[str]:
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    if scale != 1:
        cmd += ["--set", f"duration={HORIZON_HOURS * scale}h"]
    return cmd


def bare_cmd(out: Path, scale: float) -> list[str]:
    return [sys.executable, str(HERE / "bare_simpy.py"), str(out), str(HORIZON_HOURS * scale)]


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", type=float, default=10.0, help="horizon multiple for memory")
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
        t_ours = statistics.median(w for w, _ in ours)
        t_bare = statistics.median(w for w, _ in bare)
        print(f"queue scenario, 1x horizon, median of {args.repeats} whole-process runs")
        print(f"  bare SimPy + orjson lines : {t_bare:6.2f} s  {events_bare:>9,} events")
        print(f"  intelsim run              : {t_ours:6.2f} s  {events_ours:>9,} events")
        print(f"  ratio intelsim / bare     : {t_ours / t_bare:6.2f}x   (target <= 1.5x)")
        mem_1 = max(m for _, m in ours)
        _, mem_n = timed(intelsim_cmd(work / "runs-big", args.scale))
        _, bare_n = timed(bare_cmd(work / "bare-big.jsonl", args.scale))
        events_big = count_lines(next((work / "runs-big").glob("*/events.jsonl")))
        print(f"peak memory (max RSS) of intelsim run, 1x vs {args.scale:g}x horizon")
        print(f"  1x : {mem_1 / 1024:7.1f} MiB")
        print(
            f"  {args.scale:g}x: {mem_n / 1024:7.1f} MiB  ({events_big:,} events;"
            f" bare SimPy {bare_n / 1024:.1f} MiB)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
