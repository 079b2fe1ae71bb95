"""The timeline's child tells the lines after the seam knowing nothing of those before it
(timeline_apart.PartNarrator); the lines whose sentence needed them are told by the parent
(timeline_apart._retold). Held to one process telling the whole log: the same text, the
same reading, at seams all over two runs' logs, for every node; and each fall-back (a line
too far from the seam to leave to the parent, a report filed twice, a NUL in the log's own
words) tells the same.
"""

from __future__ import annotations

import shutil
from array import array
from pathlib import Path
from typing import Any

import orjson
import pytest

from sim.analysis import timeline_apart
from sim.analysis.timeline import Narrator, timeline_text
from sim.analysis.timeline_apart import PartNarrator, Rest, _Gaps, _Reports, text_apart
from sim.store import forked
from sim.store.reading import LogReading, Resume
from tests.runs import Run, rechained


@pytest.fixture
def left(monkeypatch: pytest.MonkeyPatch) -> list[Rest]:
    """What each child that was joined found (its holes: the lines left to this process),
    the child used on a machine however busy, and never too far from the seam."""
    monkeypatch.setattr(timeline_apart, "spare_core", lambda: True)
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    monkeypatch.setattr(timeline_apart, "REACH", 10**9)
    seen: list[Rest] = []
    retold = timeline_apart._retold

    def counted(told_by: Any, reading: Any, seam: Any, rest: Rest) -> list[str]:
        seen.append(rest)
        return retold(told_by, reading, seam, rest)

    monkeypatch.setattr(timeline_apart, "_retold", counted)
    return seen


def whole(log: Path, manifest: dict[str, Any], run: Run, node: str | None) -> Any:
    reading = LogReading(log, manifest)
    text = "".join(timeline_text(run.scenario, reading.events(), as_node=node))
    return text, reading


def apart(log: Path, manifest: dict[str, Any], run: Run, node: str | None, share: float) -> Any:
    reading = LogReading(log, manifest)
    blocks = text_apart(run.scenario, reading, as_node=node, apart_bytes=0, share=share)
    text = "".join(b.decode() if isinstance(b, bytes) else b for b in blocks)
    return text, reading


def same(a: LogReading, b: LogReading) -> None:
    assert (a.fault, a.count, a.last, a.last_hash) == (b.fault, b.count, b.last, b.last_hash)


SHARES = (0.02, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.98)


@pytest.mark.parametrize(("which", "stride"), [("teaching", 1), ("baseline", 8)])
def test_lines_told_without_the_start_are_told_as_with_it(
    which: str, stride: int, request: pytest.FixtureRequest, left: list[Rest]
) -> None:
    run: Run = request.getfixturevalue(f"{which}_run")
    manifest = run.manifest
    manifest.pop("seal")  # a seam at any line, not only at a sealed block's edge
    log = run.dir / "events.jsonl"
    # every seam for every node of the small run; on the big one each node takes every
    # `stride`-th seam, in turn, so every seam is still told for some node (the cost of
    # telling a whole big log once per seam and node is the suite's longest test)
    for index, node in enumerate(run.nodes):
        text, one = whole(log, manifest, run, node)
        for share in SHARES[index % stride :: stride]:
            before = len(left)
            told, reading = apart(log, manifest, run, node, share)
            assert len(left) == before + 1, (node, share)  # the child's text was joined
            assert left[-1].reports is not None  # (it heard nothing before the seam)
            assert told == text, (node, share)
            same(reading, one)
    assert sum(len(rest.holes) for rest in left) > len(left)  # lines were left to the parent
    assert any(0 < sum(rest.shown) < len(rest.holes) for rest in left)  # some a node never saw


def test_a_line_too_far_from_the_seam_makes_the_child_hear_the_start(
    baseline_run: Run, left: list[Rest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_apart, "REACH", 0)  # any line it cannot tell is too far
    log = baseline_run.dir / "events.jsonl"
    manifest = baseline_run.manifest
    for node in (None, "UKR-HUR"):
        text, one = whole(log, manifest, baseline_run, node)
        told, reading = apart(log, manifest, baseline_run, node, 0.5)
        assert told == text
        same(reading, one)
    assert len(left) == 2
    assert all(rest.reports is None and not rest.holes for rest in left)  # heard, then told


class Finished:
    """A child that has finished with `value`."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


def test_a_report_filed_again_after_the_seam_is_not_left_to_the_child(baseline_run: Run) -> None:
    """A report filed before the seam as tracing to a shipment is never filed again in a
    run; were it, a child that took it for one first filed after the seam would miss the
    shipment: this process tells on instead."""
    log = baseline_run.dir / "events.jsonl"
    reading = LogReading(log, baseline_run.manifest)
    narrator = Narrator(baseline_run.scenario)
    narrator.indicators["R7"] = "S1"  # filed before the seam, with a shipment
    names = ("c", "HUMINT", "B2", "KN-23", "Kharkiv", "UKR-HUR", "supports")
    at = Resume(0, 0, b"", 0.0)
    for filed, joins in ((["R8", "R9"], True), (["R8", "R7"], False)):
        book = _Reports(_Gaps())
        for report in filed:
            book.file(report, names, None)
        rest = Rest(at, reading, array("q"), b"", book)
        got = timeline_apart._rest(Finished(rest), reading, narrator)  # type: ignore[arg-type]
        assert (got is rest) is joins


def test_a_nul_in_the_logs_own_words_is_told_by_this_process(
    teaching_run: Run, tmp_path: Path, left: list[Rest]
) -> None:
    """The child writes a NUL for each line it leaves to this process: a NUL that is the
    log's own (a collector so named) makes it leave all to this process."""
    run_dir = tmp_path / "run"
    shutil.copytree(teaching_run.dir, run_dir)
    log = run_dir / "events.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    at = next(i for i in range(len(lines) * 3 // 4, len(lines)) if b'"collector":"' in lines[i])
    line = lines[at].replace(b'"collector":"', b'"collector":"\\u0000', 1)
    log.write_bytes(b"\n".join(rechained([*lines[:at], line, *lines[at + 1 :]], at, len(lines))))
    log.write_bytes(log.read_bytes() + b"\n")
    manifest = teaching_run.manifest
    manifest.pop("seal")
    manifest["final_hash"] = orjson.loads(log.read_bytes().split(b"\n")[-2])["hash"]
    text, one = whole(log, manifest, teaching_run, None)
    assert one.ok and "\0" in text
    told, reading = apart(log, manifest, teaching_run, None, 0.5)
    assert told == text
    same(reading, one)
    assert not left  # the child's text was not used


def test_the_child_knows_nothing_it_was_not_told_after_the_seam(teaching_run: Run) -> None:
    """Asked what it does not hold, every part of a PartNarrator's memory says so."""
    narrator = PartNarrator(teaching_run.scenario)
    asks = [
        lambda: narrator.reports.get("R1"),
        lambda: narrator.usages.get("U1"),
        lambda: narrator.usages.munition("U1"),
        lambda: narrator.indicators.get("R1"),
        lambda: "R1" in narrator.indicators,
        lambda: narrator.shipments.get("S1"),
        lambda: narrator.campaigns.get("R1"),
        lambda: narrator.assessments.get("A1"),
        lambda: narrator.sent.pop("M1", None),
        lambda: narrator.queued.pop(("N", "R1"), None),
        lambda: narrator.began.pop(("N", "R1"), None),
    ]
    for ask in asks:
        narrator.gaps.missed = False
        assert ask() in (None, False)
        assert narrator.gaps.missed
    names = ("c", "HUMINT", "B2", "KN-23", "Kharkiv", "UKR-HUR", "supports")
    narrator.reports.file("R1", names, None)
    narrator.gaps.missed = False
    assert "R1" not in narrator.indicators  # filed here without a shipment: none
    assert narrator.indicators.get("R1") is None
    assert not narrator.gaps.missed


def test_books_begun_after_the_seam_hold_what_was_filed_there_and_no_more(
    teaching_run: Run,
) -> None:
    """The first report and usage after the seam are far into the run's numbering: the
    books say what was filed from there on, and that anything before is not known."""
    narrator = PartNarrator(teaching_run.scenario)
    names = ("c", "HUMINT", "B2", "KN-23", "Kharkiv", "UKR-HUR", "supports")
    for n in (1000, 1001, 1003):
        narrator.reports.file(f"R{n}", names, f"U{n + 500}")
        narrator.usages.note(f"U{n + 500}", "KN-23", "Kharkiv", float(n))
    for report, known in (("R1000", True), ("R1001", True), ("R1002", False), ("R5", False)):
        narrator.gaps.missed = False
        filed = narrator.reports.get(report)
        assert (filed is not None) is known and narrator.gaps.missed is not known, report
        if filed is not None:
            assert filed.usage == f"U{int(report[1:]) + 500}"
    for usage, known in (("U1500", True), ("U1503", True), ("U1502", False), ("U7", False)):
        for ask in (narrator.usages.get, narrator.usages.munition):
            narrator.gaps.missed = False
            assert (ask(usage) is not None) is known and narrator.gaps.missed is not known
    assert narrator.usages.get("U1503") == ("KN-23", "Kharkiv", 1003.0)
