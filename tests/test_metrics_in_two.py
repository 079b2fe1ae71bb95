"""`intelsim metrics` of a big log reads it in two parts, one per process, and joins
them: the metrics and the verdict on the log must be those of one pass, whatever is
wrong with the log and wherever, and the parts must be read exactly as one reading reads.
"""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest

import sim.analysis.metric_changes as metric_changes
import sim.store.forked as forked
from sim.analysis.metric_changes import Recomputed, _line_before, recompute
from sim.analysis.metrics import MetricsProjection, metrics_from_events
from sim.analysis.source import open_run
from sim.events import Event
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store.forked import Forked
from sim.store.reading import LogReading, Resume
from tests.test_verify_apart import _forge_link, _run
from tests.test_verify_split import after_newlines

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline run: ~45,000 events, sealed in several blocks, fusion, links, consent."""
    out = tmp_path_factory.mktemp("baseline")
    outcome = run_to_directory(load_scenario(SCENARIOS / "baseline-2024.yaml"), out)
    assert outcome.run_dir is not None
    return outcome.run_dir


def _in_two(monkeypatch: pytest.MonkeyPatch, on: bool) -> list[Forked | None]:
    """Two parts (whatever the size and load) or one pass; the children forked, counted."""
    monkeypatch.setattr(metric_changes, "PARALLEL_BYTES", 0 if on else 1 << 60)
    monkeypatch.setattr(metric_changes, "spare_core", lambda: True)
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    children: list[Forked | None] = []

    def counted(*args: object) -> Forked | None:
        children.append(forked.fork(*args))  # type: ignore[arg-type]
        return children[-1]

    monkeypatch.setattr(metric_changes, "fork", counted)
    return children


def _seen(recomputed: Recomputed) -> tuple[object, ...]:
    reading = recomputed.reading
    return (recomputed.metrics, reading.fault, reading.describe(), recomputed.differences())


def _both(
    monkeypatch: pytest.MonkeyPatch, run_dir: Path, forks: bool = True
) -> tuple[tuple[object, ...], ...]:
    """What one pass and two parts see (`forks`: the child must have been started; a log
    whose lines moved from where the seal puts them is read in one pass from the start)."""
    _in_two(monkeypatch, False)
    alone = recompute(run_dir)
    children = _in_two(monkeypatch, True)
    two = recompute(run_dir)
    if forks:
        assert children and children[0] is not None  # read in two indeed
    return _seen(alone), _seen(two)


def test_the_metrics_in_two_parts_are_those_of_one_pass(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forged = _run(tmp_path)
    _forge_link(forged)  # refused deliveries: the delivery check's state crosses the seam
    for run_dir in (baseline, forged):
        alone, two = _both(monkeypatch, run_dir)
        assert two == alone
        assert alone[1] is None and alone[0]["run"]["events"] > 700


def _copy(run_dir: Path, to: Path) -> Path:
    to.mkdir()
    for name in ("events.jsonl", "events.seal", "manifest.json", "metrics.json"):
        (to / name).write_bytes((run_dir / name).read_bytes())
    return to


@pytest.mark.parametrize("where", [0.05, 0.3, 0.6, 0.97])
@pytest.mark.parametrize(
    "how", ["edit", "flip", "swap", "drop", "cut", "torn", "rewritten", "rechained"]
)
def test_a_broken_log_in_two_parts_gives_what_one_pass_gives(
    baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: float, how: str
) -> None:
    run_dir = _copy(baseline, tmp_path / "run")
    log = run_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = int(len(lines) * where)
    if how == "edit":  # the chain breaks there
        lines[at] = lines[at].replace(b'"t":', b'"t": ', 1)
    elif how == "flip":  # ... the lines staying where they were
        lines[at] = lines[at][:-9] + bytes([lines[at][-9] ^ 1]) + lines[at][-8:]
    elif how == "swap":
        lines[at], lines[at + 1] = lines[at + 1], lines[at]
    elif how == "drop":
        del lines[at]
    elif how == "cut":  # a run killed there: whole lines, no RunEnded
        del lines[at:]
    elif how == "torn":  # ... in the middle of a line
        lines[at] = lines[at][:40]
        del lines[at + 1 :]
    elif how == "rewritten":  # the chain holds, the seal and the manifest's final hash do not
        lines[at] = lines[at].replace(b'"t":', b'"t": ', 1)
        lines = _rechained(lines, at)
    else:  # ... the lines staying where they were: an id changed, not its length
        while b'"report":"R' not in lines[at]:
            at += 1
        lines[at] = lines[at].replace(b'"report":"R', b'"report":"Q', 1)
        lines = _rechained(lines, at)
    log.write_bytes(b"".join(lines))
    # a log whose lines stay where the seal puts them is read in two
    alone, two = _both(monkeypatch, run_dir, how in ("flip", "swap") or where > 0.3)
    assert two == alone
    assert alone[1] is not None  # not vacuous: the one pass found the fault


def _rechained(lines: list[bytes], start: int) -> list[bytes]:
    from sim.store.chain import make_line

    prev = lines[start - 1][-67:-3]
    out = lines[:start]
    for line in lines[start:]:
        new, prev = make_line(prev, line[:-76] + b"}")
        out.append(new)
    return out


def test_two_parts_of_a_reading_are_one_reading(baseline: Path, tmp_path: Path) -> None:
    """The first part read to a line start (`end`), the rest resumed from the line before
    it: the same events and the same verdict as one reading, log intact or not."""
    rng = random.Random(3)
    log = baseline / "events.jsonl"
    manifest = open_run(baseline).manifest
    data = log.read_bytes()
    broken = _copy(baseline, tmp_path / "broken") / "events.jsonl"
    lines = data.splitlines(keepends=True)
    lines[len(lines) // 2] = lines[len(lines) // 2].replace(b'"t":', b'"t": ', 1)
    broken.write_bytes(b"".join(lines))
    for path in (log, broken):
        starts = after_newlines(path.read_bytes())[:-1]
        whole = LogReading(path, manifest)
        expected = list(whole.events())
        # (a block's start: read by its seal; the broken log's lines moved off the seal's)
        sealed = LogReading(path, manifest).blocks() or () if path == log else ()
        blocks = [b.offset for b in sealed if b.offset]
        assert blocks or path != log
        for seam in [*rng.sample(starts, 12), *blocks]:
            first = LogReading(path, manifest)
            got: list[Event] = list(first.events(end=seam))
            last = _line_before(path, seam)
            assert last is not None and first.count <= last[0].seq + 1
            if first.fault is None:
                assert first.last == last[0] and first.last_hash == last[1]
                rest = LogReading(path, manifest)
                got += rest.events(resume=Resume(seam, last[0].seq + 1, last[1], last[0].t))
                assert rest.fault == whole.fault
            else:  # a fault in the first part: one reading stops there too
                assert first.fault == whole.fault
            assert got == expected


def test_a_projection_resumed_from_its_pickle_is_the_projection_fed_whole(
    baseline: Path,
) -> None:
    """What the child hands over: the projection, pickled, fed the rest here."""
    source = open_run(baseline)
    events = list(source.reading().events())
    expected = metrics_from_events(source.scenario, events)
    for cut in (1, len(events) // 3, len(events) - 1):
        first = MetricsProjection(source.scenario)
        first.feed(events[:cut])
        resumed = pickle.loads(pickle.dumps(first, protocol=pickle.HIGHEST_PROTOCOL))
        resumed.feed(events[cut:])
        assert resumed.result() == expected
