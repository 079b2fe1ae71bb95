"""The fast paths of reading give what the plain ones give: minutes, compact ledgers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sim import events as ev
from sim.analysis.ledger import Filed, ReportBook, UsageBook, Used
from sim.analysis.provenance import explain_events, explain_run
from sim.analysis.source import open_run
from sim.analysis.timeline import Narrator, format_when, timeline, timeline_text
from sim.experiments.run import run_to_directory
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.models import Scenario
from sim.store import read_events
from sim.store import search as search_mod
from sim.store.reading import _decoded_in_order
from tests.builders import busy_example

ROOT = Path(__file__).resolve().parent.parent


def test_the_narrators_minutes_are_strftimes() -> None:
    raw = busy_example()
    raw["start"] = "2024-07-11T05:17:42.5Z"  # seconds and a fraction in the start
    scenario = Scenario.model_validate(raw)
    narrator = Narrator(scenario)
    rng = random.Random(5)
    times = [rng.uniform(0, 20_000) for _ in range(20_000)]
    times += [m / 60 for m in range(5_000)] + [m / 60 - 1e-12 for m in range(1, 5_000)]
    assert [narrator.when(t) for t in times] == [format_when(scenario.start, t) for t in times]


def test_the_ledgers_give_back_what_they_were_given() -> None:
    reports, usages = ReportBook(), UsageBook()
    given: dict[str, Filed] = {}
    rng = random.Random(7)
    ids = [f"R{n}" for n in range(1, 3000)] + ["R0", "R007", "X9", "report-a"]
    rng.shuffle(ids)
    for report in ids:
        usage = rng.choice([None, f"U{rng.randrange(1, 500)}", "U-odd", "U0"])
        filed = Filed(*(rng.choice(["a", "b", "KN-23", ""]) for _ in range(6)), usage)
        reports.add(report, filed)
        given[report] = filed
    assert all(reports.get(r) == f for r, f in given.items())
    assert reports.get("R99999") is None and reports.get("nothing") is None
    used = {f"U{n}": Used("KN-23" if n % 2 else "X", "Kharkiv", n / 3) for n in range(1, 400)}
    for usage, what in [*used.items(), ("U-odd", Used("Y", "Z", 1.0)), ("U5", Used("W", "V", 2.0))]:
        usages.add(usage, what)
    used["U5"] = Used("W", "V", 2.0)
    assert all(usages.get(u) == w for u, w in used.items())
    assert usages.get("U-odd") == Used("Y", "Z", 1.0) and usages.get("U999") is None


def test_explain_reads_less_and_says_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the seal checked in this process, not in a child forked for each of the items
    # (a fork of the test process costs far more than one of `intelsim explain`; the
    # child's answer is under test in tests/test_explain_fast.py)
    monkeypatch.setattr(search_mod, "fork", lambda *args: None)
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    run = run_to_directory(loaded, tmp_path).run_dir
    assert run is not None
    source = open_run(run)
    events = list(read_events(run / "events.jsonl"))
    items = {e.assessment for e in events if isinstance(e, ev.AssessmentIssued)}
    items |= {e.report for e in events if isinstance(e, ev.SightingReported)}
    items |= {e.usage for e in events if isinstance(e, ev.MunitionUsed)}
    assert len(items) > 30
    for item in sorted(items):
        fast, reading = explain_run(source, item)
        assert reading.ok
        assert fast == explain_events(source.scenario, lambda: iter(events), item), item


def test_the_plain_timeline_is_its_lines_as_text(tmp_path: Path) -> None:
    run = run_to_directory(_loaded("teaching-minimal"), tmp_path).run_dir
    assert run is not None
    source = open_run(run)
    events = list(read_events(run / "events.jsonl"))
    assert any(type(e).ground_truth for e in events)
    node = next(iter(source.scenario.nodes))
    for as_node, until in [(None, None), (node, None), (None, events[len(events) // 2].t)]:
        lines = [
            f"{line}\n" for line in timeline(source.scenario, events, as_node=as_node, until=until)
        ]
        told = timeline_text(source.scenario, events, as_node=as_node, until=until, block=7)
        blocks = list(told)
        assert "".join(blocks) == "".join(lines) and len(lines) > 50
        assert all(block.count("\n") == 7 for block in blocks[:-1])


def test_a_sealed_block_read_at_once_is_the_same_reading(tmp_path: Path) -> None:
    run = run_to_directory(_loaded("teaching-minimal"), tmp_path).run_dir
    assert run is not None
    source = open_run(run)
    assert source.reading().blocks(), "the run sealed its log"
    one_by_one = list(read_events(run / "events.jsonl"))
    reading = source.reading()
    assert list(reading.events()) == one_by_one
    assert reading.ok and reading.count == len(one_by_one)
    half = one_by_one[len(one_by_one) // 2].t
    reading = source.reading()
    assert list(reading.events(until_t=half)) == [e for e in one_by_one if e.t <= half]
    assert reading.ok and reading.stopped_early


def test_a_sealed_block_out_of_order_is_left_to_the_line_by_line_reading(
    tmp_path: Path,
) -> None:
    # the seal vouches for bytes: what the run wrote. A block it did not write in order
    # (times going back, an event after RunEnded, a block out of place) is read line by
    # line, which says where
    run = run_to_directory(_loaded("teaching-minimal"), tmp_path).run_dir
    assert run is not None
    events = list(read_events(run / "events.jsonl"))
    lines = (run / "events.jsonl").read_bytes().splitlines(keepends=True)
    assert _decoded_in_order(b"".join(lines), 0, float("-inf")) == events
    i = next(i for i in range(1, len(events) - 1) if events[i].t < events[i + 1].t)
    swapped = [*lines[:i], lines[i + 1], lines[i], *lines[i + 2 :]]
    assert _decoded_in_order(b"".join(swapped), 0, float("-inf")) is None
    assert _decoded_in_order(b"".join(lines[1:]), 0, float("-inf")) is None
    assert _decoded_in_order(b"".join(lines), 0, events[1].t) is None
    ended_early = [*lines[:-2], lines[-1], lines[-2]]
    assert _decoded_in_order(b"".join(ended_early), 0, float("-inf")) is None
    assert _decoded_in_order(b"".join(lines[:-1]) + b"{not json\n", 0, float("-inf")) is None


def _loaded(name: str) -> LoadedScenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml", [])
