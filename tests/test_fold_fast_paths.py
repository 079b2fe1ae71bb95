"""Fast paths of the per-event work that `verify`, `metrics`, `replay` and `run` share, held
to what they stand for: where the reading says a line ends is where a scan of the file finds
it, and the metrics projection's shortcut for a usage's munition is the array's answer."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from sim import events as ev
from sim.analysis.metrics import MetricsProjection
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.scenario.models import Scenario
from sim.store.reading import LogReading, Resume
from sim.store.snapshots import line_ends

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def teaching(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml")
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("runs"))
    assert outcome.run_dir is not None
    return loaded.scenario, outcome.run_dir / "events.jsonl"


@pytest.mark.parametrize("how", ["chained", "hash-until", "resumed", "unhashed"])
def test_where_the_reading_says_a_line_ends_is_where_a_scan_finds_it(
    teaching: tuple[Scenario, Path], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.store.reading as reading_module

    monkeypatch.setattr(reading_module, "CHUNK", 4096)  # many batches, lines cut across reads
    _, log = teaching
    data = log.read_bytes()
    n = data.count(b"\n")
    middle = data.index(b"\n", len(data) // 2) + 1  # the start of a line half way
    first = data[:middle].count(b"\n")  # its seq
    reading = LogReading(log)
    if how == "resumed":
        prev = data[middle - 67 : middle - 3]
        events = reading.events(resume=Resume(middle, first, prev, float("-inf")))
    elif how == "hash-until":
        events = reading.events(hash_until=middle)
    else:
        events = reading.events(hashes=how == "chained")
    found = {event.seq: reading.line_end(event.seq) for event in events}
    assert reading.ok
    seqs = list(range(first if how == "resumed" else 0, n))
    assert sorted(found) == seqs
    assert found == line_ends(log, seqs)
    assert reading.line_end(n + 5) is None  # not a line of the batch being read
    # once read, it keeps no batch of lines (`metrics` sends a reading back pickled)
    assert reading.line_end(seqs[-1]) is None and len(pickle.dumps(reading)) < 8192


def test_a_sealed_reading_leaves_where_lines_end_to_a_scan(
    teaching: tuple[Scenario, Path],
) -> None:
    from sim.store import read_json

    _, log = teaching
    reading = LogReading(log, read_json(log.with_name("manifest.json")))
    assert reading.blocks()  # the run sealed its log
    assert all(reading.line_end(event.seq) is None for event in reading.events())


def _usage(seq: int, usage: str, munition: str) -> ev.MunitionUsed:
    return ev.MunitionUsed(seq=seq, t=float(seq), usage=usage, munition=munition, sector="S")


def _sighting(seq: int, report: str, usage: str, munition: str) -> ev.SightingReported:
    return ev.SightingReported(
        seq=seq, t=float(seq), report=report, collector="c", node="N", munition=munition,
        sector="S", grade="B2", discipline="HUMINT", usage=usage,
    )  # fmt: skip


@pytest.mark.parametrize(
    "uses",
    [
        [("U1", "A"), ("U2", "B")],  # the engine's ids, in turn
        [("U1", "A"), ("U1", "B")],  # an id used twice: the later use wins
        [("U1", "A"), ("U5", "B"), ("U2", "A"), ("U3", "A"), ("U4", "A"), ("U5", "A")],
        [("U07", "A"), ("X", "B"), ("U1", "B")],  # ids the array does not number
    ],
)
def test_a_sighting_of_the_usage_just_used_finds_the_munition_the_array_holds(
    teaching: tuple[Scenario, Path], uses: list[tuple[str, str]]
) -> None:
    """Every sighting, of the usage just used or of any other, finds the munition that
    `_usage` finds (the rule the shortcut stands for): counted genuine or misidentified."""
    scenario, _ = teaching
    projection = MetricsProjection(scenario)
    seq = 0
    for i, (usage, munition) in enumerate(uses):
        projection.apply(_usage(seq, usage, munition))
        seq += 1
        for named, (other, _) in enumerate(uses[: i + 1]):
            for claimed in ("A", "B"):
                before = projection.misidentified
                projection.apply(_sighting(seq, f"R{seq}", other, claimed))
                seq += 1
                truth = projection._usage(other)
                assert projection.misidentified - before == int(
                    truth is not None and truth != claimed
                ), (named, other, claimed)


def test_a_use_in_the_episode_of_the_use_before_is_counted_as_the_long_way_counts_it(
    teaching: tuple[Scenario, Path],
) -> None:
    """Knowledge.used's shortcut (the episode of the monitored use just before) against
    the same uses each taken the long way (no use before to compare with)."""
    from sim.analysis.knowledge import Knowledge

    scenario, _ = teaching
    monitored = sorted(Knowledge(scenario).monitored)
    other = next(m for m in scenario.munitions if m not in monitored)
    week = scenario.metrics.episode
    plan = [  # (munition, sector, t): runs, breaks, a look-alike between, windows crossed
        (monitored[0], "S1", 1.0), (monitored[0], "S1", 2.0), (other, "S1", 3.0),
        (monitored[0], "S1", 4.0), (monitored[0], "S2", 5.0), (monitored[0], "S1", 6.0),
        (monitored[0], "S1", week + 1.0), (monitored[0], "S1", week + 2.0),
        (other, "S2", week + 3.0), (other, "S2", week + 4.0), (monitored[0], "S2", 3 * week),
    ]  # fmt: skip
    short, long = Knowledge(scenario), Knowledge(scenario)
    for i, (munition, sector, t) in enumerate(plan):
        e = ev.MunitionUsed(seq=i, t=t, usage=f"U{i + 1}", munition=munition, sector=sector)
        short.used(e)
        long._last = (None, None, -1, -1)  # nothing to compare with: the long way
        long.used(e)
    assert list(short._t) == list(long._t) and list(short._e) == list(long._e)
    assert short._episodes == long._episodes and short._first_use == long._first_use
    assert short.lookalike == long.lookalike == 3
    assert short.episodes() == 4


class _Offers:
    """Stands for a SnapshotWriter: records the seqs verify's fold offers it."""

    def __init__(self, every: int, last: int) -> None:
        self.every, self.last = every, last
        self.offered: list[int] = []

    def offer(self, seq: int, t: float, state: object) -> None:
        self.offered.append(seq)


@pytest.mark.parametrize(("every", "last"), [(7, -1), (7, 40), (7, 41), (1, 5), (25_000, 3)])
def test_verify_offers_the_state_at_every_seq_the_rule_names_and_no_other(
    teaching: tuple[Scenario, Path], every: int, last: int
) -> None:
    """The fold's shortcut (no seq before the next due one is looked at) against the rule
    itself: after every `every`-th event, and after `last`."""
    from sim.analysis.verify import domain_check
    from sim.state.model import initial_state

    scenario, log = teaching
    events = list(LogReading(log).events())
    offers = _Offers(every, last)
    sweep = domain_check(initial_state(scenario), None, offers)  # type: ignore[arg-type]
    assert sweep(events) == []
    rule = [e.seq for e in events if not (e.seq + 1) % every or e.seq == last]
    assert offers.offered == rule and rule


def test_shipments_warned_ahead_by_one_sweep_are_those_every_period_would_name() -> None:
    """`warned_ahead` against its definition, period by period for every shipment, on
    random periods (overlapping, nested, sharing ends) and departures on their edges."""
    import random

    from sim.analysis.knowledge import warned_ahead

    rng = random.Random(12)
    for _ in range(400):
        edges = [float(rng.randrange(0, 40)) for _ in range(12)]
        warned: dict[tuple[float, float], float] = {}
        for _ in range(rng.randrange(0, 8)):
            start = rng.choice(edges)
            end = start + rng.choice([1.0, 3.0, 7.0, 7.0, 12.5])
            warned[(start, end)] = rng.choice(edges) + rng.choice([0.0, 0.25, 0.5])
        shipments = [
            (rng.choice(edges), rng.choice(edges) + rng.choice([0.0, 0.5]))
            for _ in range(rng.randrange(10))
        ]  # (warned at the very time a shipment arrived: not ahead of it)
        expected = sum(
            any(start <= left < end and t < arrived for (start, end), t in warned.items())
            for left, arrived in shipments
        )
        assert warned_ahead(shipments, warned) == expected
