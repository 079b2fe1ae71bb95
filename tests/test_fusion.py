"""Fusion rules: grades, confidence, the PHIA yardstick, clustering and judging."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import IntelsimError, ScenarioError
from sim.fusion import (
    Cluster,
    FusionPolicy,
    Grade,
    GradeError,
    Judgement,
    ReportFacts,
    ReportIds,
    add_report,
    band,
    confidence,
    is_valid_grade,
    judge,
    load_scale,
    mark_band,
    mark_issued,
    parse_grade,
    replace_cluster,
)
from sim.grading import LOG_LR

POLICY = FusionPolicy(window=72.0, min_sources=2, min_confidence=0.6)
ALL_GRADES = sorted(LOG_LR)
C3_OR_BETTER = [f"{r}{c}" for r in "ABC" for c in (1, 2, 3)]
E5_OR_WORSE = ["E5", "E6", "F5", "F6"]


def rep(
    report: str,
    source: str,
    t: float,
    grade: str = "B2",
    munition: str = "KN-23",
    sector: str = "Kharkiv",
) -> ReportFacts:
    return ReportFacts(report, source, munition, sector, grade, t)


def fold(reports: list[ReportFacts], window: float = 72.0) -> tuple[Cluster, ...]:
    clusters: tuple[Cluster, ...] = ()
    for r in reports:
        clusters, _ = add_report(clusters, r, window)
    return clusters


# --- grades -----------------------------------------------------------------


def test_parse_grade() -> None:
    assert parse_grade("B2") == Grade(reliability="B", credibility=2)
    assert parse_grade("F6") == Grade("F", 6)
    assert str(parse_grade("A1")) == "A1"
    assert is_valid_grade("E5")
    assert len(ALL_GRADES) == 36


@pytest.mark.parametrize("bad", ["", "B", "B22", "G2", "B0", "B7", "2B", " B2", "b2", "AA"])
def test_parse_grade_rejects_bad_input_with_a_clear_message(bad: str) -> None:
    assert not is_valid_grade(bad)
    with pytest.raises(GradeError, match=r"bad Admiralty grade .*A-F.*1-6"):
        parse_grade(bad)


def test_grade_error_is_both_a_value_error_and_an_intelsim_error() -> None:
    with pytest.raises(ValueError, match="did you mean 'B2'"):
        parse_grade("b2")
    with pytest.raises(IntelsimError):
        parse_grade("Z9")


def test_non_string_grade_is_invalid() -> None:
    assert not is_valid_grade(2)  # type: ignore[arg-type]
    with pytest.raises(GradeError):
        parse_grade(None)  # type: ignore[arg-type]


def test_report_facts_reject_a_bad_grade() -> None:
    with pytest.raises(GradeError):
        rep("r1", "s1", 0.0, grade="X9")


# --- confidence --------------------------------------------------------------


def test_cannot_be_judged_is_neutral() -> None:
    assert confidence({"rumour": "F6"}, 0.2) == pytest.approx(0.2)
    assert confidence({}, 0.3) == pytest.approx(0.3)


def test_corroboration_by_usually_reliable_sources() -> None:
    two = confidence({"a": "B2", "b": "B2"}, 0.2)
    three = confidence({"a": "B2", "b": "B2", "c": "B2"}, 0.2)
    assert 0.6 <= two <= 0.8
    assert band(two) == "likely"
    assert three > 0.8
    assert confidence({"a": "A1"}, 0.2) > confidence({"a": "B2"}, 0.2) > 0.35


@pytest.mark.parametrize("grade", E5_OR_WORSE)
def test_unreliable_improbable_sources_never_raise_confidence(grade: str) -> None:
    for n in (1, 2, 10, 100):
        sources = {f"troll-{i}": grade for i in range(n)}
        assert confidence(sources, 0.2) <= 0.2 + 1e-12


def test_e5_lowers_confidence() -> None:
    assert confidence({"state-media": "E5"}, 0.2) < 0.2


def test_confidence_never_reaches_0_or_1() -> None:
    assert 0.0 < confidence({f"s{i}": "A1" for i in range(1000)}, 0.99) < 1.0
    assert 0.0 < confidence({f"s{i}": "A5" for i in range(1000)}, 0.01) < 1.0


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, 1.5])
def test_confidence_rejects_a_prior_outside_0_1(prior: float) -> None:
    with pytest.raises(ValueError, match="prior"):
        confidence({"a": "B2"}, prior)


def test_confidence_names_a_bad_grade() -> None:
    with pytest.raises(GradeError, match="'Q1'"):
        confidence({"a": "Q1"}, 0.2)


@settings(max_examples=200, deadline=None)
@given(
    grades=st.lists(st.sampled_from(C3_OR_BETTER), min_size=1, max_size=40),
    prior=st.floats(min_value=0.01, max_value=0.99),
)
def test_confidence_rises_monotonically_with_independent_corroboration(
    grades: list[str], prior: float
) -> None:
    previous = confidence({}, prior)
    sources: dict[str, str] = {}
    for i, g in enumerate(grades):
        sources[f"collector-{i}"] = g
        now = confidence(sources, prior)
        assert now >= previous
        assert 0.0 < now < 1.0
        previous = now


@settings(max_examples=200, deadline=None)
@given(
    grades=st.lists(st.sampled_from(ALL_GRADES), min_size=1, max_size=30),
    prior=st.floats(min_value=0.01, max_value=0.99),
)
def test_confidence_ignores_the_order_of_sources(grades: list[str], prior: float) -> None:
    forward = {f"s{i}": g for i, g in enumerate(grades)}
    backward = dict(reversed(list(forward.items())))
    assert confidence(forward, prior) == confidence(backward, prior)


# --- the PHIA yardstick -------------------------------------------------------


def test_scale_comes_from_the_data_file() -> None:
    scale = load_scale()
    assert scale.names == (
        "remote",
        "highly unlikely",
        "unlikely",
        "realistic possibility",
        "likely",
        "highly likely",
        "almost certain",
    )
    assert scale.uppers == (0.10, 0.25, 0.40, 0.55, 0.80, 0.95, 1.0)


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.0, "remote"),
        (0.05, "remote"),
        (0.07, "remote"),  # gap 5-10 % -> band below
        (0.10, "highly unlikely"),
        (0.20, "highly unlikely"),
        (0.25, "unlikely"),
        (0.35, "unlikely"),
        (0.40, "realistic possibility"),
        (0.50, "realistic possibility"),
        (0.52, "realistic possibility"),  # gap 50-55 % -> band below
        (0.55, "likely"),
        (0.75, "likely"),
        (0.79, "likely"),
        (0.80, "highly likely"),
        (0.90, "highly likely"),
        (0.94, "highly likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_band_boundaries(p: float, words: str) -> None:
    assert band(p) == words


def test_every_published_range_maps_to_its_own_band() -> None:
    text = resources.files("sim").joinpath("data", "phia.yaml").read_text(encoding="utf-8")
    for item in yaml.safe_load(text)["bands"]:
        low, high = item["published"]
        for k in range(11):
            assert band(low + (high - low) * k / 10) == item["name"]


@pytest.mark.parametrize("p", [-0.01, 1.01, math.nan])
def test_band_rejects_a_non_probability(p: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        band(p)


def test_band_with_a_custom_scale(tmp_path: Path) -> None:
    path = tmp_path / "coarse.yaml"
    path.write_text("bands:\n  - {name: low, upper: 0.5}\n  - {name: high, upper: 1.0}\n")
    scale = load_scale(path)
    assert (band(0.49, scale), band(0.5, scale), band(1.0, scale)) == ("low", "high", "high")


def test_a_bad_scale_file_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "bands:\n"
        "  - {name: a, upper: 0.5}\n"
        "  - {name: a, upper: 0.4}\n"
        "  - {name: '', upper: high}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scale(path)
    paths = [p.path for p in info.value.problems]
    assert paths == ["bands[1].name", "bands[1].upper", "bands[2].name", "bands[2].upper"]


def test_an_unquoted_yes_as_a_band_name_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "yes.yaml"
    path.write_text("bands:\n  - {name: yes, upper: 1.0}\n")
    with pytest.raises(ScenarioError, match="got True"):
        load_scale(path)


def test_a_scale_must_end_at_1(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("bands:\n  - {name: a, upper: 0.9}\n")
    with pytest.raises(ScenarioError, match=r"must be 1\.0"):
        load_scale(path)


def test_a_missing_scale_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scale(tmp_path / "nope.yaml")


# --- clustering ----------------------------------------------------------------


def test_first_report_starts_a_cluster() -> None:
    clusters, i = add_report((), rep("r1", "prosecutors", 10.0), 72.0)
    assert i == 0
    assert clusters == (
        Cluster("KN-23", "Kharkiv", ReportIds(["r1"]), {"prosecutors": "B2"}, 10.0, 10.0),
    )


def test_circular_reporting_counts_once() -> None:
    clusters, _ = add_report((), rep("r1", "prosecutors", 10.0), 72.0)
    again, i = add_report(clusters, rep("r1", "prosecutors", 10.0), 72.0)
    assert i == 0
    assert again == clusters
    # After other reports have joined, a copy by a slow route is still the same report.
    more, _ = add_report(clusters, rep("r2", "nis", 40.0), 72.0)
    later, i = add_report(more, rep("r1", "prosecutors", 10.0), 72.0)
    assert i == 0 and later == more
    assert later[0].reports == ("r1", "r2")


def test_same_source_counts_once_and_keeps_its_best_grade() -> None:
    clusters = fold(
        [
            rep("r1", "police", 0.0, grade="C3"),
            rep("r2", "police", 1.0, grade="B2"),
            rep("r3", "police", 2.0, grade="C4"),
        ]
    )
    assert len(clusters) == 1
    assert clusters[0].reports == ("r1", "r2", "r3")
    assert clusters[0].sources == {"police": "B2"}


def test_a_single_source_never_makes_an_assessment_with_min_sources_2() -> None:
    reports = [rep(f"r{i}", "prosecutors", float(i), grade="A1") for i in range(200)]
    clusters = fold(reports)
    assert len(clusters) == 1
    assert len(clusters[0].sources) == 1
    assert judge(clusters[0], POLICY) is None


def test_two_independent_b2_sources_issue_an_assessment() -> None:
    clusters = fold([rep("r1", "prosecutors", 0.0), rep("r2", "nis", 30.0)])
    j = judge(clusters[0], POLICY)
    assert j is not None
    assert (j.action, j.band, j.sources) == ("issue", "likely", 2)
    assert j.confidence == pytest.approx(confidence({"a": "B2", "b": "B2"}, 0.2))


def test_min_confidence_holds_back_weak_corroboration() -> None:
    clusters = fold([rep("r1", "unit-a", 0.0, grade="C3"), rep("r2", "unit-b", 1.0, grade="C3")])
    assert judge(clusters[0], POLICY) is None


def test_reports_further_apart_than_the_window_form_separate_clusters() -> None:
    clusters = fold([rep("r1", "a", 0.0), rep("r2", "b", 72.0), rep("r3", "c", 144.1)])
    assert [c.reports for c in clusters] == [("r1", "r2"), ("r3",)]
    assert (clusters[0].first, clusters[0].last) == (0.0, 72.0)


def test_the_window_slides_with_the_latest_report() -> None:
    clusters = fold([rep(f"r{i}", f"s{i}", 50.0 * i) for i in range(5)])
    assert len(clusters) == 1
    assert clusters[0].last == 200.0


def test_late_arriving_earlier_report_joins_its_cluster() -> None:
    clusters = fold([rep("r1", "a", 100.0), rep("r2", "b", 40.0)])
    assert len(clusters) == 1
    assert (clusters[0].first, clusters[0].last) == (40.0, 100.0)


def test_different_munition_or_sector_never_share_a_cluster() -> None:
    clusters = fold(
        [
            rep("r1", "a", 0.0),
            rep("r2", "b", 0.0, munition="DPRK-152mm"),
            rep("r3", "c", 0.0, sector="Kursk"),
        ]
    )
    assert len(clusters) == 3


@settings(max_examples=100, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.integers(0, 15),  # report id
            st.sampled_from(["a", "b", "c"]),  # source
            st.floats(0.0, 500.0),  # time
            st.sampled_from(ALL_GRADES),
        ),
        max_size=40,
    )
)
def test_clustering_invariants(events: list[tuple[int, str, float, str]]) -> None:
    # A report id always has the same facts, as a report forwarded by two routes does.
    facts: dict[int, ReportFacts] = {}
    for rid, src, t, g in events:
        facts.setdefault(rid, rep(f"r{rid}", src, t, grade=g))
    clusters = fold([facts[rid] for rid, *_ in events], window=24.0)
    ids = [r for c in clusters for r in c.reports]
    assert sorted(ids) == sorted({f"r{rid}" for rid, *_ in events})  # each exactly once
    for c in clusters:
        mine = [facts[int(r[1:])] for r in c.reports]
        assert set(c.sources) == {f.source for f in mine}
        assert c.first == min(f.t for f in mine) and c.last == max(f.t for f in mine)


def test_report_ids_behave_like_an_immutable_tuple() -> None:
    base = ReportIds(["r1", "r2"])
    head = base.appended("r3")
    branch = base.appended("r4")  # appending to an older version must not disturb the newer
    assert base == ("r1", "r2") and len(base) == 2 and "r3" not in base
    assert head == ("r1", "r2", "r3") and "r3" in head and "r4" not in head
    assert branch == ("r1", "r2", "r4") and "r4" in branch and "r3" not in branch
    assert head.appended("r5") == ("r1", "r2", "r3", "r5")
    assert (head[0], head[-1], head[1:]) == ("r1", "r3", ("r2", "r3"))
    assert list(branch) == ["r1", "r2", "r4"] and repr(branch) == "('r1', 'r2', 'r4')"
    assert ReportIds(["r1", "r2", "r3"]) == head and hash(head) == hash(("r1", "r2", "r3"))
    assert head != branch and head != ["r1", "r2", "r3"]
    with pytest.raises(IndexError):
        head[3]


def test_replaying_from_an_old_state_gives_the_same_clusters() -> None:
    reports = [rep(f"r{i}", f"s{i % 3}", 10.0 * i) for i in range(12)]
    live = fold(reports)
    # Branch: take the clusters after 6 reports, go on differently, then redo the rest.
    half = fold(reports[:6])
    other, _ = add_report(half, rep("x", "intruder", 55.0), 72.0)
    redone = half
    for r in reports[6:]:
        redone, _ = add_report(redone, r, 72.0)
    assert redone == live
    assert "x" in other[0].reports and "x" not in redone[0].reports
    assert half[0].reports == tuple(f"r{i}" for i in range(6))


# --- judging and marking -------------------------------------------------------


def test_issue_then_update_only_when_the_band_changes() -> None:
    clusters = fold([rep("r1", "a", 0.0), rep("r2", "b", 1.0)])
    j = judge(clusters[0], POLICY)
    assert isinstance(j, Judgement) and j.action == "issue"
    clusters = replace_cluster(clusters, 0, mark_issued(clusters[0], "A-1", j.band))
    assert clusters[0].assessment == "A-1" and clusters[0].band == "likely"
    assert judge(clusters[0], POLICY) is None

    clusters, i = add_report(clusters, rep("r3", "c", 2.0, grade="F6"), 72.0)
    assert judge(clusters[i], POLICY) is None  # no new evidence, same band

    clusters, i = add_report(clusters, rep("r4", "d", 3.0), 72.0)
    j = judge(clusters[i], POLICY)
    assert j is not None and (j.action, j.band) == ("update", "highly likely")
    marked = mark_band(clusters[i], j.band)
    assert marked.band == "highly likely" and marked.assessment == "A-1"
    assert judge(marked, POLICY) is None


def test_replace_cluster_keeps_the_others() -> None:
    clusters = fold([rep("r1", "a", 0.0), rep("r2", "b", 500.0)])
    out = replace_cluster(clusters, 1, mark_band(clusters[1], "remote"))
    assert out[0] is clusters[0] and out[1].band == "remote" and len(out) == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window": -1.0, "min_sources": 1, "min_confidence": 0.5},
        {"window": 1.0, "min_sources": 0, "min_confidence": 0.5},
        {"window": 1.0, "min_sources": 1, "min_confidence": 1.5},
        {"window": 1.0, "min_sources": 1, "min_confidence": 0.5, "prior": 0.0},
    ],
)
def test_fusion_policy_rejects_bad_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        FusionPolicy(**kwargs)  # type: ignore[arg-type]


def test_many_reports_fill_one_cluster_per_sector() -> None:
    # speed is measured in bench/, not here; this checks the shape at scale
    reports = [
        rep(f"r{i}", f"s{i % 30}", i * 0.5, grade="B3", sector=f"sec{i % 5}") for i in range(10_000)
    ]
    clusters: tuple[Cluster, ...] = ()
    for r in reports:
        clusters, i = add_report(clusters, r, 72.0)
        judge(clusters[i], POLICY)
    assert len(clusters) == 5
    assert all(len(c.sources) == 6 for c in clusters)  # 30 sources spread over 5 sectors
    clusters = ()
    for i in range(20_000):
        clusters, k = add_report(clusters, rep(f"q{i}", f"s{i % 30}", i * 0.1), 72.0)
        judge(clusters[k], POLICY)
    assert len(clusters) == 1 and len(clusters[0].reports) == 20_000
