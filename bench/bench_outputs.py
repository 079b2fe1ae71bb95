"""Benchmark: does what a run's log is turned into cost linearly with the log?

Runs the baseline scenario at 1x and 8x its horizon (180 and 1440 days) once each, then
times, in a fresh process after its imports, each output made from those logs: the
STIX 2.1 bundle (everything with ground truth, and as NATO-JISD knew it), the MISP event,
the Parquet tables and the HTML report. It prints events per CPU second of each at each
scale and the ratio to 1x measured in this same invocation (scales interleaved, so a
drift of the machine hits both). Linear cost means ratios near 1: nothing an output does
per event may scan what came before. The target is >= 0.9 at 8x, as for `run` and
`verify` (bench/bench_scale.py).

Usage: python bench/bench_outputs.py [--repeats 2] [--scales 1,8] [--only stix,report]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "baseline-2024.yaml"
DAYS = 180

OUTPUTS = {
    "stix": "export_stix(source, ground_truth=True, out=out / 'stix.json')",
    "stix --as": "export_stix(source, as_node='NATO-JISD', out=out / 'stix-as.json')",
    "misp": "export_misp(source, ground_truth=True, out=out / 'misp.json')",
    "parquet": "export_parquet(source, ground_truth=True, out=out / 'parquet')",
    "report": "write_report(run_dir, out / 'report.html')",
}

WORK = """
import sys, time
from pathlib import Path
from sim.analysis.exports.misp import export_misp
from sim.analysis.exports.parquet import export_parquet
from sim.analysis.exports.stix import export_stix
from sim.analysis.source import open_run
from sim.report.html import write_report
run_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
started = time.process_time()
source = open_run(run_dir)
{call}
print(time.process_time() - started)
"""


def run_baseline(out: Path, scale: int) -> tuple[Path, int]:
    """The run directory of the baseline at `scale` times its horizon, and its events."""
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    cmd += ["--set", f"duration={DAYS * scale}d"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    run_dir = next(out.iterdir())
    return run_dir, int(json.loads((run_dir / "manifest.json").read_text())["events"])


def cpu_seconds(output: str, run_dir: Path, out: Path) -> float:
    """CPU seconds of making one output, in a fresh process, imports left out."""
    out.mkdir(parents=True, exist_ok=True)
    script = WORK.format(call=OUTPUTS[output])
    cmd = [sys.executable, "-c", script, str(run_dir), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {output} of {run_dir}\n{done.stderr}")
    shutil.rmtree(out)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--scales", default="1,8")
    parser.add_argument("--only", default=",".join(OUTPUTS), help="outputs to time")
    args = parser.parse_args()
    scales = [int(x) for x in args.scales.split(",")]
    outputs = [o.strip() for o in args.only.split(",")]
    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown:
        raise SystemExit(f"--only: unknown {unknown}; choose from {list(OUTPUTS)}")
    work = Path(tempfile.mkdtemp(prefix="intelsim-outputs-"))
    try:
        runs = {s: run_baseline(work / f"run-x{s}", s) for s in scales}
        rates: dict[tuple[str, int], list[float]] = {}
        for i in range(args.repeats):
            for output in outputs:
                for scale in scales:
                    run_dir, events = runs[scale]
                    seconds = cpu_seconds(output, run_dir, work / f"out-{i}")
                    rates.setdefault((output, scale), []).append(events / seconds)
        print(f"baseline-2024: events per CPU second (median of {args.repeats}; ratio to 1x)")
        head = "".join(f"{f'{s}x ev/s':>12} {'ratio':>6}" for s in scales)
        print(f"{'output':<10} {head}")
        for output in outputs:
            base = statistics.median(rates[(output, scales[0])])
            cells = []
            for scale in scales:
                rate = statistics.median(rates[(output, scale)])
                cells.append(f"{rate:>12,.0f} {rate / base:>6.2f}")
            print(f"{output:<10} {''.join(cells)}")
        print("events: " + ", ".join(f"{s}x {runs[s][1]:,}" for s in scales))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
