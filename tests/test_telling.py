"""Telling a log fast says what telling it plainly says: per type what a node sees, the
ledgers' shortcuts, a node's timeline as the full narrator filtered event by event."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sim import events as ev
from sim.analysis.ledger import Filed, ReportBook, UsageBook, Used
from sim.analysis.perspective import visible_to
from sim.analysis.timeline import KINDS, Narrator, format_when, sees, timeline, timeline_text
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.store import read_events

ROOT = Path(__file__).resolve().parent.parent
Told = tuple[Scenario, list[ev.Event]]


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> Told:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    run = run_to_directory(loaded, tmp_path_factory.mktemp("teaching")).run_dir
    assert run is not None
    return loaded.scenario, list(read_events(run / "events.jsonl"))


def test_every_event_type_has_a_kind_a_sentence_and_a_rule() -> None:
    types = set(ev.EVENT_TYPES.values())
    assert set(KINDS) == types
    assert set(sees()) == types
    assert {KINDS[cls] == "truth" for cls in types if cls.ground_truth} == {True}


def test_what_a_node_sees_per_type_is_what_it_sees_per_event(teaching: Told) -> None:
    scenario, events = teaching
    rules = sees()
    decided = 0
    for node in scenario.nodes:
        for event in events:
            rule = rules[type(event)]
            if rule is True or rule is False:
                seen = rule
            elif rule is None:
                seen = event.node == node  # type: ignore[attr-defined]
            else:
                seen = rule(node, event)
            assert seen == visible_to(node, event), (node, event)
            decided += seen
    assert decided > 50  # nodes do see things: the check is not all "no"


def test_a_nodes_timeline_is_the_plain_narrator_filtered_event_by_event(teaching: Told) -> None:
    scenario, events = teaching
    for node in scenario.nodes:
        narrator = Narrator(scenario, reveal_truth=False)
        expected = []
        for event in events:
            line = narrator.narrate(event)  # hears everything, ground truth too
            if line is not None and not line.ground_truth and visible_to(node, event):
                expected.append(line)
        told = list(timeline(scenario, events, as_node=node))
        assert told == expected and len(told) > 20
        text = "".join(timeline_text(scenario, events, as_node=node, block=5))
        assert text == "".join(f"{line}\n" for line in expected)


def test_the_whole_timeline_is_what_the_narrator_narrates(teaching: Told) -> None:
    scenario, events = teaching
    narrator = Narrator(scenario)
    expected = [line for line in map(narrator.narrate, events) if line is not None]
    assert list(timeline(scenario, events)) == expected
    assert any(line.ground_truth for line in expected)
    assert all(line.text.endswith("[ground truth]") for line in expected if line.ground_truth)
    until = events[len(events) // 3].t
    short = [line for line in expected if line.t <= until]
    assert "".join(timeline_text(scenario, events, until=until)) == "".join(
        f"{line}\n" for line in short
    )


def test_filing_names_numbers_them_once_and_gives_them_back() -> None:
    book = ReportBook()
    rng = random.Random(3)
    names = [("c", "OSINT", "B2", "KN-23", "Kharkiv", "UKR-HUR", p) for p in ("supports", "x")]
    kinds: dict[int, int] = {}
    ids = [f"R{n}" for n in range(1, 500)] + ["R0", "R07", "weird", "R99999999"]
    rng.shuffle(ids)
    for report in ids:
        which = rng.randrange(2)
        usage = rng.choice([None, "U3", "U-odd", f"U{rng.randrange(1, 99)}"])
        kind = book.file(report, names[which], usage)
        assert kinds.setdefault(which, kind) == kind  # the same names, the same number
        filed = book.get(report)
        assert filed == Filed(*names[which][:6], usage, names[which][6])
    assert kinds[0] != kinds[1]


def test_a_usages_munition_is_what_get_gives(teaching: Told) -> None:
    book = UsageBook()
    asked = ["", "U0", "U1", "U01", "U-odd", "U7", "U9999", "X1"]
    book.add("U-odd", Used("Y", "Z", 1.0))
    for n in range(1, 40):
        book.add(f"U{n}", Used(f"M{n % 3}", "S", float(n)))
        for usage in [*asked, f"U{n}", f"U{n - 1}"]:
            used = book.get(usage)
            assert book.munition(usage) == (None if used is None else used.munition), usage
    book.add("U5", Used("W", "V", 2.0))  # an id used again: the later use wins
    assert book.munition("U5") == "W" and book.munition("U39") == "M0"


def test_the_minute_told_last_never_changes_what_a_time_is_told(teaching: Told) -> None:
    scenario, _ = teaching
    narrator = Narrator(scenario)
    rng = random.Random(11)
    times: list[float] = []
    for hours in (0.0, 7.5, 5_000.0, 50_000.0, 300_000.0, 5_000_000.0, 60_000_000.0):
        for m in range(-2, 3):
            edge = hours + m / 60
            times += [edge + d for d in (-1e-6, -3e-10, -1e-12, 0.0, 1e-12, 3e-10, 1e-6)]
        times += [hours + rng.uniform(0, 0.1) for _ in range(200)]
    times = [t for t in times if t >= 0]
    # in order (as a log asks) and shuffled (as an assessment's period asks): each time
    # as a narrator that told nothing before tells it
    for order in (sorted(times), rng.sample(times, len(times))):
        told = [narrator.when(t) for t in order]
        assert told == [Narrator(scenario).when(t) for t in order]
        # and as strftime up to a million hours (further out, the hours' float and
        # timedelta round to the microsecond differently: so did the narrator before)
        near = [(w, t) for w, t in zip(told, order, strict=True) if t < 1e6]
        assert [w for w, _ in near] == [format_when(scenario.start, t) for _, t in near]
