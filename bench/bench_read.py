"""Benchmark: reading a run against making it, whole process each, in one invocation.

Runs `intelsim run bench/queue-50k.yaml` (~250,000 events) and, alternating with it,
each reading command on that run: replay at the end and half way, verify, metrics,
explain, timeline and timeline --as (output to a file). The machine is noisy, so the
figure that matters is each command's median wall time over the median of `run`
measured in the same invocation; CPU time (the child's rusage) is shown beside it, the
steadier figure when other work shares the machine. Then peak memory of every reading
command on a run 10x as long, against 1x, and whether `timeline | head` leaves at once,
quietly.

Usage: python bench/bench_read.py [--repeats 3] [--scale 10] [--only verify,metrics]
(``--scale 0`` leaves out the memory part; ``--only`` times just the commands named.)
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
HORIZON = 5000.0
TARGETS = {
    "verify": 0.5,
    "replay --at end": 0.25,
    "replay --at half": 0.25,
    "replay --at 0.37": 0.25,
    "metrics": 0.3,
    "explain R100": 0.25,
    "timeline": 0.5,
    "timeline --as": 0.5,
}


def timed(cmd: list[str], stdout: Path | None = None) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system, from the child's
    rusage: steadier than wall on a shared machine) of one command; stdout to a file."""
    sink = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if stdout:
        sink.close()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def intelsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


def make_run(out: Path, scale: float) -> tuple[Path, float, int, float]:
    extra = [] if scale == 1 else ["--set", f"duration={HORIZON * scale}h"]
    wall, rss, cpu = timed(intelsim("run", str(SCENARIO), "--out", str(out), *extra))
    return next(out.glob("*/events.jsonl")).parent, wall, rss, cpu


def readers(run: Path, horizon: float) -> dict[str, list[str]]:
    r = str(run)
    return {  # verify first: it leaves the snapshots replay starts from
        "verify": intelsim("verify", r),
        "replay --at end": intelsim("replay", r, "--at", f"{horizon}h"),
        "replay --at half": intelsim("replay", r, "--at", f"{horizon / 2}h"),
        # "any t": between snapshots (verify leaves one every 25,000 events of this run)
        "replay --at 0.37": intelsim("replay", r, "--at", f"{horizon * 0.37}h"),
        "metrics": intelsim("metrics", r),
        "explain R100": intelsim("explain", r, "R100"),
        "timeline": intelsim("timeline", r, "--plain"),
        "timeline --as": intelsim("timeline", r, "--as", "UKR-HUR", "--plain"),
    }


def head_exits_quietly(run: Path) -> str:
    cmd = " ".join(intelsim("timeline", str(run), "--plain")) + " | head -3 >/dev/null"
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    quiet = "quietly" if not done.stderr.strip() else f"saying {done.stderr.strip()[:80]!r}"
    return f"exit {done.returncode} after {wall:.2f} s, {quiet}"


def fold_rate(run: Path) -> float:
    """Events per second of `evolve` folded over the whole log, events already decoded."""
    from sim.analysis.replay import replay_events
    from sim.analysis.source import open_run

    source = open_run(run)
    events = list(source.reading().events())
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        replay_events(source.scenario, events)
        best = min(best, time.perf_counter() - started)
    return len(events) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--only", default="", help="comma-separated command names to time")
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    work = Path(tempfile.mkdtemp(prefix="intelsim-bench-read-"))
    try:
        run, _, rss_run, _ = make_run(work / "base", 1)
        events = sum(1 for _ in (run / "events.jsonl").open("rb"))
        commands = {k: v for k, v in readers(run, HORIZON).items() if not only or k in only}
        if only - set(commands):
            raise SystemExit(f"no such command to time: {', '.join(sorted(only - set(commands)))}")
        walls: dict[str, list[float]] = {name: [] for name in ["run", *commands]}
        cpus: dict[str, list[float]] = {name: [] for name in ["run", *commands]}
        rss: dict[str, int] = {"run": rss_run}
        lines: dict[str, int] = {}
        for i in range(args.repeats):
            _, wall, _, cpu = make_run(work / f"again-{i}", 1)
            walls["run"].append(wall)
            cpus["run"].append(cpu)
            for name, cmd in commands.items():
                out = work / "out.txt"
                wall, peak, cpu = timed(cmd, out)
                walls[name].append(wall)
                cpus[name].append(cpu)
                rss[name] = max(rss.get(name, 0), peak)
                if name.startswith("timeline"):
                    lines[name] = sum(1 for _ in out.open("rb"))
        base = statistics.median(walls["run"])
        base_cpu = statistics.median(cpus["run"])
        print(f"queue-50k, {events:,} events, median of {args.repeats} (whole process)")
        print(
            f"  {'command':18s} {'wall s':>7s} {'ratio':>6s} {'target':>7s}"
            f" {'CPU s':>6s} {'ratio':>6s}  throughput (wall)"
        )
        print(f"  {'run':18s} {base:7.2f} {1:6.2f} {'':7s} {base_cpu:6.2f} {1:6.2f}")
        for name in commands:
            wall = statistics.median(walls[name])
            cpu = statistics.median(cpus[name])
            rate = f"{events / wall:,.0f} events/s"
            if name.startswith("timeline"):
                rate += f", {lines[name] / wall:,.0f} lines/s"
            print(
                f"  {name:18s} {wall:7.2f} {wall / base:6.2f} {TARGETS[name]:6.2f}x"
                f" {cpu:6.2f} {cpu / base_cpu:6.2f}  {rate}"
            )
        print(f"timeline | head: {head_exits_quietly(run)}")
        if args.scale:  # memory: every reading command on a run `scale` times as long
            big, _, rss_big_run, _ = make_run(work / "big", args.scale)
            print(f"peak RSS, 1x vs {args.scale:g}x horizon (MiB)")
            print(f"  {'run':18s} {rss['run'] / 1024:7.1f} {rss_big_run / 1024:7.1f}")
            for name, cmd in readers(big, HORIZON * args.scale).items():
                if name not in commands:
                    continue
                _, peak, _ = timed(cmd, work / "out.txt")
                one, big_peak = rss[name] / 1024, peak / 1024
                print(f"  {name:18s} {one:7.1f} {big_peak:7.1f}  x{big_peak / one:.2f}")
        # last: a forked child counts its parent's pages in its peak RSS until it execs
        print(f"fold alone (in-process, no snapshot): {fold_rate(run):,.0f} events/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
