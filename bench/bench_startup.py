"""Benchmark: the fixed start-up cost every reading command pays, against `python -c pass`.

Each reading command, asked for as little work as it allows (replay at 0h and timeline
until 0h on the ~250,000-event run of bench/queue-50k.yaml; verify, metrics and explain,
which read a whole log, on teaching-minimal's few hundred events), with `--version` and
`--help`, whole processes, alternating with `python -c pass` in the same invocation (the
machine is noisy: compare within one invocation). Prints the median wall and CPU time
(the child's rusage, steadier on a shared machine) and each minus the bare interpreter's:
what intelsim itself costs before it does anything. `python -X importtime -m sim ...`
shows where it goes; tests/test_cli_startup.py holds what each command imports.

Usage: python bench/bench_startup.py [--repeats 7] [--run RUN] [--small RUN] [--against DIR]
(RUN: a run of bench/queue-50k.yaml, SMALL: of scenarios/teaching-minimal.yaml; made
in a temporary directory when not given. DIR: another checkout's source, e.g. from
`git archive main sim | tar -x -C DIR`, timed alternately with this one: before/after.)
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
ROOT = HERE.parent
BIG = HERE / "queue-50k.yaml"
SMALL = ROOT / "scenarios" / "teaching-minimal.yaml"
TARGET = 0.15  # issue 12: `replay RUN --at 0h` on the big run, wall seconds


def timed(cmd: list[str], source: Path = ROOT, cwd: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one command, output dropped,
    running the `sim` package found in `source`. Run from `cwd`: `python -m` looks in
    the current directory first, so a checkout there would win over `source`."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def intelsim(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", *args]


def make_run(scenario: Path, out: Path) -> Path:
    subprocess.run(
        intelsim("run", str(scenario), "--out", str(out)), capture_output=True, check=True
    )
    return next(out.glob("*/events.jsonl")).parent


def commands(big: Path, small: Path) -> dict[str, list[str]]:
    b, s = str(big), str(small)
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--version": intelsim("--version"),
        "--help": intelsim("--help"),
        "replay --at 0h": intelsim("replay", b, "--at", "0h"),
        "timeline --until 0h": intelsim("timeline", b, "--until", "0h", "--plain"),
        "timeline --as --until 0h": intelsim(
            "timeline", b, "--as", "UKR-HUR", "--until", "0h", "--plain"
        ),
        "verify (small run)": intelsim("verify", s),
        "metrics (small run)": intelsim("metrics", s),
        "explain R1 (small run)": intelsim("explain", s, "R1"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--run", type=Path, help="a run of bench/queue-50k.yaml")
    parser.add_argument("--small", type=Path, help="a run of scenarios/teaching-minimal.yaml")
    parser.add_argument("--against", type=Path, help="a directory holding another sim/")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="intelsim-bench-startup-"))
    try:
        big = args.run or make_run(BIG, work / "big")
        small = args.small or make_run(SMALL, work / "small")
        todo = commands(big, small)
        sources = {"this": ROOT}
        if args.against:
            sources["against"] = args.against.resolve()
        walls: dict[tuple[str, str], list[float]] = {(n, k): [] for n in todo for k in sources}
        cpus: dict[tuple[str, str], list[float]] = {(n, k): [] for n in todo for k in sources}
        for _ in range(args.repeats):
            for name, cmd in todo.items():
                for key, source in sources.items():
                    wall, cpu = timed(cmd, source, cwd=work)
                    walls[name, key].append(wall)
                    cpus[name, key].append(cpu)
        print(f"start-up, median of {args.repeats} whole processes (seconds)")
        for key, source in sources.items():
            bare = statistics.median(walls["python -c pass", key])
            bare_cpu = statistics.median(cpus["python -c pass", key])
            print(f"{key}: sim/ of {source}")
            print(f"  {'command':26s} {'wall':>6s} {'- python':>9s} {'CPU':>6s} {'- python':>9s}")
            for name in todo:
                wall = statistics.median(walls[name, key])
                cpu = statistics.median(cpus[name, key])
                print(
                    f"  {name:26s} {wall:6.3f} {wall - bare:9.3f} {cpu:6.3f} {cpu - bare_cpu:9.3f}"
                )
            replay = statistics.median(walls["replay --at 0h", key])
            print(f"  replay --at 0h: {replay:.3f} s wall (target {TARGET:.2f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
