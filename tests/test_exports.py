"""Exports: STIX 2.1 valid under the OASIS validator, MISP loads back in PyMISP, Parquet
reads the same in pandas, polars and DuckDB; every export keeps to what its reader knew."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import msgspec
import pandas as pd
import polars as pl
import pytest
from pymisp import MISPEvent

from sim import events as ev
from sim.analysis.exports.markings import distribution, tlp_level
from sim.analysis.exports.misp import export_misp
from sim.analysis.exports.parquet import event_columns, export_parquet
from sim.analysis.exports.stix import export_stix
from sim.analysis.exports.view import ExportError
from sim.analysis.perspective import visible_to
from sim.analysis.source import open_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events
from sim.store.reading import LogIntegrityError

ROOT = Path(__file__).resolve().parent.parent
NODE = "NATO-JISD"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    loaded = load_scenario(ROOT / "scenarios" / "teaching-minimal.yaml", [])
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("exports"))
    assert outcome.run_dir is not None
    return outcome.run_dir


@pytest.fixture(scope="module")
def events(run: Path) -> list[ev.Event]:
    return list(read_events(run / "events.jsonl"))


_MADE: dict[tuple[Path, str, str], list[Path]] = {}


def _export(run: Path, fmt: str, **kw: object) -> list[Path]:
    """Export once per run, format and reader (exports are deterministic)."""
    key = (run, fmt, repr(sorted(kw.items())))
    if key not in _MADE:
        export = {"stix": export_stix, "misp": export_misp, "parquet": export_parquet}[fmt]
        _MADE[key] = export(open_run(run), **kw).paths  # type: ignore[arg-type]
    return _MADE[key]


def _received(events: list[ev.Event], node: str) -> set[str]:
    return {e.report for e in events if isinstance(e, ev.ReportReceived) and e.node == node}


@pytest.mark.parametrize("kw", [{"ground_truth": True}, {"as_node": NODE}])
def test_stix_bundles_are_valid_with_no_error(run: Path, kw: dict[str, object]) -> None:
    from stix2validator import ValidationOptions, validate_file  # slow to import: here only

    (path,) = _export(run, "stix", **kw)
    result = validate_file(str(path), ValidationOptions(strict=False))
    errors = [str(e) for o in result.object_results for e in o.errors]
    assert result.is_valid and errors == []


def _objects(path: Path) -> list[dict]:
    return json.loads(path.read_text())["objects"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kw", [{"ground_truth": True}, {"as_node": NODE}])
def test_stix_bundle_reads_back_in_stix2_as_written(run: Path, kw: dict[str, object]) -> None:
    # the bundle is serialised by intelsim, not by stix2: the oracle is stix2 itself,
    # which parses the file into its objects and writes each back with the same content
    import stix2

    text = _export(run, "stix", **kw)[0].read_text()
    written = json.loads(text)
    parsed = stix2.parse(text, allow_custom=True)
    again = json.loads(parsed.serialize())
    assert again == written
    versions = [(o["id"], o.get("modified")) for o in written["objects"]]
    assert len(versions) == len(set(versions))  # each object (a version of an id) once


def test_stix_holds_what_the_reader_knew(run: Path, events: list[ev.Event]) -> None:
    everyone = _objects(_export(run, "stix")[0])
    mine = _objects(_export(run, "stix", as_node=NODE)[0])
    truth = _objects(_export(run, "stix", ground_truth=True)[0])
    filed = {e.report for e in events if isinstance(e, ev.SightingReported)}
    # an exploitation's re-reading is a report of its own (the teaching scenario has some)
    reread = {e.derived for e in events if isinstance(e, ev.ReportExploited) and e.derived}
    assert reread
    filed |= reread

    def reports(objects: list[dict]) -> set[str]:
        return {
            o["external_references"][0]["external_id"]
            for o in objects
            if o["type"] == "sighting" and "external_references" in o
        }

    assert reports(everyone) == filed
    assert reports(mine) == _received(events, NODE)
    theirs = _objects(_export(run, "stix", as_node="UKR-HUR")[0])
    assert reports(theirs) == _received(events, "UKR-HUR")
    for objects in (everyone, mine):
        assert not {"campaign", "opinion"} & {o["type"] for o in objects}
        assert "GROUND TRUTH" not in json.dumps(objects)
    usages = sum(isinstance(e, ev.MunitionUsed) for e in events)
    by_truth = [o for o in truth if (o["type"] == "sighting" and "usage" in o["id"]) or (
        o["type"] == "sighting" and o["description"].startswith("U"))]  # fmt: skip
    assert len(by_truth) == usages
    fabricated = sum(isinstance(e, ev.DisinformationInjected) for e in events)
    assert fabricated > 0
    opinions = [o for o in truth if o["type"] == "opinion"]
    assert sum(o["opinion"] == "strongly-disagree" for o in opinions) == fabricated
    note = next(o for o in truth if o["type"] == "note")
    assert "CONTAINS GROUND TRUTH" in note["content"]


def test_a_denial_is_exported_as_what_it_claims(run: Path, events: list[ev.Event]) -> None:
    denials = {
        e.report
        for e in events
        if isinstance(e, ev.SightingReported) and e.polarity == "contradicts"
    }
    assert denials
    sightings = {
        o["external_references"][0]["external_id"]: o["description"]
        for o in _objects(_export(run, "stix")[0])
        if o["type"] == "sighting" and "external_references" in o
    }
    misp = MISPEvent()
    misp.load_file(str(_export(run, "misp")[0]))
    values = {a.comment: a.value for a in misp.attributes if a.comment in denials}
    for report in denials:
        assert " denies a KN-23 in Kharkiv" in sightings[report]
        assert " reports a " not in sightings[report]
    assert values and all(" denies a KN-23 in Kharkiv" in v for v in values.values())


def test_stix_assessments_carry_confidence_and_markings(run: Path, events: list[ev.Event]) -> None:
    objects = _objects(_export(run, "stix")[0])
    issued = [e for e in events if isinstance(e, ev.AssessmentIssued | ev.AssessmentUpdated)]
    reports = [o for o in objects if o["type"] == "report"]
    assert len(reports) == len(issued) > 0
    assert sorted(o["confidence"] for o in reports) == sorted(
        round(e.confidence * 100) for e in issued
    )
    statements = {
        o["definition"]["statement"]
        for o in objects
        if o["type"] == "marking-definition" and o.get("definition_type") == "statement"
    }
    sent = {
        f"{e.marking.classification.replace('-', ' ')} REL TO {', '.join(e.marking.rel_to)}"
        for e in events
        if isinstance(e, ev.MessageSent)
    }
    assert statements == sent


def test_tlp_and_distribution_follow_the_markings() -> None:
    public = ev.Marking("PUBLICLY-DISCLOSED", ["NATO", "UKR"])
    unclassified = ev.Marking("NATO-UNCLASSIFIED", ["NATO"])
    secret = ev.Marking("NATO-SECRET", ["NATO", "UKR"])
    assert [tlp_level(m) for m in (public, unclassified, secret)] == ["clear", "green", None]
    assert distribution([]) == 0
    assert distribution([unclassified]) == 1
    assert distribution([secret]) == 2
    assert distribution([secret, public]) == 3


def test_misp_event_loads_back_in_pymisp(run: Path, events: list[ev.Event]) -> None:
    event = MISPEvent()
    event.load_file(str(_export(run, "misp")[0]))
    reports = [a for a in event.attributes if a.category == "External analysis"]
    filed = [e for e in events if isinstance(e, ev.SightingReported)]
    reread = [e for e in events if isinstance(e, ev.ReportExploited) and e.derived]
    assert len(reports) == len(filed) + len(reread)
    first = next(a for a in reports if a.comment == filed[0].report)
    tags = {t.name for t in first.tags}
    reliability, credibility = filed[0].grade[0].lower(), filed[0].grade[1:]
    assert f'admiralty-scale:source-reliability="{reliability}"' in tags
    assert f'admiralty-scale:information-credibility="{credibility}"' in tags
    assert all(len(a.sightings) == 1 for a in reports)
    assert "GROUND TRUTH" not in event.info
    assert not any("ground-truth" in t.name for a in event.attributes for t in a.tags)
    shared = {e.item for e in events if isinstance(e, ev.MessageSent)}
    for attribute in reports:
        assert (attribute.distribution > 0) == (attribute.comment in shared)
    truth = MISPEvent()
    truth.load_file(str(_export(run, "misp", ground_truth=True)[0]))
    assert "CONTAINS GROUND TRUTH" in truth.info
    assert 'intelsim:ground-truth="included"' in {t.name for t in truth.tags}


def _values(column: object) -> list[object]:
    """A column's values with every library's null as None."""
    values = column.to_list() if hasattr(column, "to_list") else column.tolist()  # type: ignore[attr-defined]
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def test_parquet_reads_the_same_in_pandas_polars_and_duckdb(run: Path) -> None:
    paths = _export(run, "parquet", ground_truth=True)
    events_path, metrics_path = paths
    frame = pd.read_parquet(events_path)
    polar = pl.read_parquet(events_path)
    duck = duckdb.sql(f"select * from read_parquet('{events_path}') order by seq").df()
    assert list(frame.columns) == polar.columns == list(duck.columns)
    assert len(frame) == polar.height == len(duck)
    for column in ("seq", "t", "type", "report", "confidence", "marking_classification"):
        assert _values(frame[column]) == _values(polar[column]) == _values(duck[column])
    assert frame["time"].iloc[0] == pd.Timestamp("2024-07-11T00:00:00Z")
    metrics = duckdb.sql(
        f"select value from read_parquet('{metrics_path}') where metric = 'run.events'"
    ).fetchall()
    assert metrics == [(len(frame),)]


def test_parquet_columns_come_from_the_event_schema() -> None:
    names = {c.name for c in event_columns()}
    for cls in ev.EVENT_TYPES.values():
        for field in msgspec.structs.fields(cls):
            if field.name in ("seq", "t"):
                continue
            assert field.name in names or f"{field.name}_classification" in names


def test_parquet_keeps_ground_truth_out_unless_asked(run: Path, events: list[ev.Event]) -> None:
    plain = pd.read_parquet(_export(run, "parquet")[0])
    assert not plain["ground_truth"].any()
    assert plain["usage"].isna().all()
    assert len(plain) == sum(not type(e).ground_truth for e in events)
    mine = pd.read_parquet(_export(run, "parquet", as_node=NODE)[0])
    assert len(mine) == sum(visible_to(NODE, e) for e in events)
    assert mine["seq"].tolist() == [e.seq for e in events if visible_to(NODE, e)]


def test_a_node_view_has_no_ground_truth_and_a_broken_log_exports_nothing(
    run: Path, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="no ground truth"):
        _export(run, "stix", as_node=NODE, ground_truth=True)
    cut = tmp_path / "cut"
    shutil.copytree(run, cut, ignore=shutil.ignore_patterns("exports"))
    data = (cut / "events.jsonl").read_bytes()
    (cut / "events.jsonl").write_bytes(data[: len(data) // 2])
    for fmt in ("stix", "parquet"):
        with pytest.raises(LogIntegrityError, match="incomplete"):
            _export(cut, fmt)
    assert not any((cut / "exports").rglob("*.*")) if (cut / "exports").exists() else True
