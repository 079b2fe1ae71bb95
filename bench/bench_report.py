"""Benchmark: the baseline-2024 HTML report in headless Chromium, and its build in Python.

Prints, for the report of one baseline run:
- its size (the issue's budget: at most 1.5 MB);
- first render: from navigation start until the page has drawn its first frame
  (data inflated, map, tables and timeline shown; the budget: under 1 s), the median
  of several loads, next to the load of a bare page in the same browser (the ratio);
- scrubbing: the time to show the run at a random t (state deltas applied, map,
  tables, timeline, details redrawn and laid out; the budget: under 50 ms), median
  and worst over many random jumps, next to a bare DOM update of the same tables
  (the ratio);
- what each part of the page weighs (its code, and each part of the data, gzipped);
- the Python build time per event at 1x and 8x the horizon (cost must grow linearly).

Chromium is Debian's (/usr/bin/chromium), kept off the network as in the tests.

Usage: python bench/bench_report.py [--loads 5] [--seeks 200] [--scales 1,8]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "baseline-2024.yaml"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BARE = """<!DOCTYPE html><html><body><table id="t"><tbody></tbody></table><script>
window.bare = (n) => { const rows = [];
  for (let i = 0; i < n; i++) rows.push(`<tr><td>${i}</td><td>${Math.random()}</td></tr>`);
  document.querySelector('#t tbody').innerHTML = rows.join('');
  return document.body.offsetHeight; };
requestAnimationFrame(() => requestAnimationFrame(() => { window.drawn = performance.now(); }));
</script></body></html>"""


def weigh(path: Path) -> None:
    """What each part of the page weighs: its code, and each part of its data, gzipped."""
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r'<script type="application/octet-stream" id="([^"]+)"[^>]*>([^<]*)<', text)
    data = sum(len(encoded) for _, encoded in blocks)
    print(
        f"page: {len(text) / 1e3:.0f} KB; data blocks (base64) {data / 1e3:.0f} KB, "
        f"the rest (code, styles, markup) {(len(text) - data) / 1e3:.0f} KB"
    )
    for name, encoded in blocks:
        parts = orjson.loads(gzip.decompress(base64.b64decode(encoded)))
        sizes = {key: len(gzip.compress(orjson.dumps(value), 9)) for key, value in parts.items()}
        shown = ", ".join(
            f"{k} {v / 1e3:.0f}" for k, v in sorted(sizes.items(), key=lambda x: -x[1])
        )
        print(f"  {name}, KB gzipped per part: {shown}")


def run_baseline(out: Path, scale: int) -> Path:
    cmd = [sys.executable, "-m", "sim", "run", str(SCENARIO), "--out", str(out)]
    if scale != 1:
        cmd += ["--set", f"duration={180 * scale}d"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return max(out.iterdir(), key=lambda d: d.stat().st_mtime_ns)


def build(run_dir: Path) -> tuple[Path, float, int]:
    from sim.report.html import write_report

    started = time.process_time()  # CPU: the machine is shared
    written = write_report(run_dir)
    return (
        written.path,
        time.process_time() - started,
        sum(1 for _ in open(run_dir / "events.jsonl", "rb")),
    )


def chromium_cpu_ms(profile: Path) -> float:
    """CPU time (user + system) of the Chromium started on `profile`, all its processes.

    Wall time on a shared machine measures the neighbours too; CPU time measures the
    work the page made the browser do (page load or scrubbing), to the kernel's tick.
    """
    stats: dict[int, tuple[int, int]] = {}  # pid -> (parent, ticks)
    roots = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        stats[int(proc.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
        if str(profile).encode() in cmdline:
            roots.append(int(proc.name))
    family = set(roots)
    grew = True
    while grew:
        more = {pid for pid, (parent, _) in stats.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(stats[pid][1] for pid in family if pid in stats) * 1000 / os.sysconf("SC_CLK_TCK")


def first_render(context, path: Path, profile: Path) -> tuple[float, float]:
    page = context.new_page()
    page.route("http*://**", lambda route: route.abort())
    before = chromium_cpu_ms(profile)
    page.goto(path.as_uri())
    page.wait_for_function("window.intelsim && window.intelsim.timings.drawn", timeout=30000)
    cpu = chromium_cpu_ms(profile) - before
    parts = page.evaluate("window.intelsim.timings")
    drawn = parts["drawn"]  # measured by the page itself: no round trip to Playwright in it
    data, model, frame = parts["data"], parts["model"], parts["firstRender"]
    print(
        f"  load: drawn at {drawn:.0f} ms (Chromium CPU {cpu:.0f} ms); data wait {data:.0f}, "
        f"model {model:.0f}, first frame {frame:.0f}"
    )
    page.close()
    return float(drawn), cpu


def bare_render(context, folder: Path) -> float:
    path = folder / "bare.html"
    path.write_text(BARE)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("window.drawn")
    drawn = page.evaluate("window.drawn")
    page.close()
    return float(drawn)


def seeks(
    context, path: Path, count: int, folder: Path, profile: Path
) -> tuple[list[float], list[float], float]:
    page = context.new_page()
    page.route("http*://**", lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_function("window.intelsim && window.intelsim.ready", timeout=30000)
    page.wait_for_timeout(500)  # the page builds its snapshots just after the first frame
    end = page.evaluate("window.intelsim.end()")
    rng = random.Random(2024)
    times = [rng.uniform(0, end) for _ in range(count)]
    before = chromium_cpu_ms(profile)
    scrub = page.evaluate(
        """(times) => times.map(t => { const s = performance.now();
             window.intelsim.seekHours(t); document.body.offsetHeight;
             return performance.now() - s; })""",
        times,
    )
    cpu = (chromium_cpu_ms(profile) - before) / count
    parts = page.evaluate(
        """(times) => { const sums = {};
             for (const t of times) {
               window.intelsim.seekHours(t);
               for (const [k, v] of Object.entries(window.intelsim.timings.parts)) {
                 sums[k] = (sums[k] || 0) + v;
               }
             }
             const mean = Object.entries(sums).map(([k, v]) => [k, v / times.length]);
             return Object.fromEntries(mean); }""",
        times,
    )
    print("scrub, mean ms per part: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()))
    rows = page.evaluate("document.querySelectorAll('#nodes tr, #links tr, #timeline li').length")
    bare_path = folder / "bare.html"
    page.goto(bare_path.as_uri())
    bare = page.evaluate(
        "(n) => Array.from({length: 50}, () => { const s = performance.now(); window.bare(n);"
        " return performance.now() - s; })",
        rows,
    )
    page.close()
    return [float(x) for x in scrub], [float(x) for x in bare], cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seeks", type=int, default=200)
    parser.add_argument(
        "--scales", default="1,8", help="horizons (x 180 days) to time the build at"
    )
    parser.add_argument("--report", type=Path, help="time this report in the browser (no build)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        per_event: dict[int, float] = {}
        report = args.report
        scales = [] if args.report else [int(s) for s in args.scales.split(",")]
        for scale in scales:
            run_dir = run_baseline(folder / f"x{scale}", scale)
            path, seconds, events = build(run_dir)
            per_event[scale] = seconds / events * 1e6
            size = path.stat().st_size
            print(
                f"build x{scale}: {events} events, {seconds:.2f} s CPU, "
                f"{per_event[scale]:.1f} µs/event, report {size / 1e6:.2f} MB"
            )
            if scale == 1:
                report = path
        if len(per_event) > 1:
            scales = sorted(per_event)
            print(
                f"build cost per event x{scales[-1]} / x{scales[0]}: "
                f"{per_event[scales[-1]] / per_event[scales[0]]:.2f} (1.0 = linear)"
            )
        if report is None:
            return
        print(f"baseline-2024 report: {report.stat().st_size / 1e6:.3f} MB (budget 1.5 MB)")
        weigh(report)
        with sync_playwright() as playwright:
            profile = folder / "profile"
            context = playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path="/usr/bin/chromium",
                headless=True,
                args=FLAGS,
                viewport={"width": 1600, "height": 900},
            )
            loads, cpus, bares = [], [], []
            for _ in range(args.loads):  # alternate: the machine is noisy
                drawn, cpu = first_render(context, report, profile)
                loads.append(drawn)
                cpus.append(cpu)
                bares.append(bare_render(context, folder))
            load, bare = statistics.median(loads), statistics.median(bares)
            print(f"first render, Chromium CPU time: median {statistics.median(cpus):.0f} ms")
            print(
                f"first render: median {load:.0f} ms over {args.loads} loads (budget 1000 ms); "
                f"bare page {bare:.0f} ms; ratio {load / bare:.1f}"
            )
            scrub, bare_rows, scrub_cpu = seeks(context, report, args.seeks, folder, profile)
            med, worst = statistics.median(scrub), max(scrub)
            bare_med = statistics.median(bare_rows)
            p95 = sorted(scrub)[int(0.95 * (len(scrub) - 1))]
            print(
                f"scrub to a random t: median {med:.1f} ms, p95 {p95:.1f} ms, worst {worst:.1f} ms "
                f"over {len(scrub)} jumps (budget 50 ms); bare table update {bare_med:.1f} ms; "
                f"ratio {med / bare_med:.1f}"
            )
            print(f"scrub, Chromium CPU time: {scrub_cpu:.1f} ms per jump (mean)")
            context.close()


if __name__ == "__main__":
    main()
