"""The evidence rules of fusion, with confidences worked by hand.

Numbers used throughout (sim/grading.py: log LR = reliability weight x credibility
evidence; weights A 1, B 0.8, C 0.6, D 0.4, E 0.2, F 0.3; credibility 1: 2.0, 2: 1.4,
3: 0.8, 4: -0.2, 5: -1.0, 6: 0):

    B2 = 0.8 x 1.4 = 1.12      C3 = 0.6 x 0.8 = 0.48      B3 = 0.8 x 0.8 = 0.64
    D3 = 0.4 x 0.8 = 0.32      E5 = 0.2 x -1.0 = -0.2     F6 = 0
    logit(0.2) = ln(0.2 / 0.8) = ln 0.25 = -1.386294

and p = 1 / (1 + e^-z). Every expected value below is computed in its docstring from
these, not by the code under test.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.events import EvidenceLine
from sim.fusion import (
    ALREADY_HELD,
    CIRCULAR,
    CONTRADICTS,
    SAME_ARTEFACT,
    SUPPORTS,
    Cluster,
    ClusterIndex,
    FusionPolicy,
    PartnerAssessment,
    ReportEvidence,
    assess,
    evidence_llr,
    judge,
    period_of,
    tally,
    weigh,
)

POLICY = FusionPolicy(window=72.0, min_sources=2, min_confidence=0.6)
PRIOR = 0.2


def rep(
    report: str,
    collector: str,
    grade: str = "B2",
    used_at: float = 27.0,
    polarity: str = SUPPORTS,
    artefact: str | None = None,
) -> ReportEvidence:
    return ReportEvidence(
        report=report,
        collector=collector,
        grade=grade,
        munition="KN-23",
        sector="Kharkiv",
        used_at=used_at,
        polarity=polarity,
        artefact=artefact,
    )


def cluster_of(*reports: ReportEvidence) -> Cluster:
    cluster = Cluster("KN-23", "Kharkiv", 0.0, 72.0)
    for r in reports:
        cluster.add_report(r)
    return cluster


def line(
    source: str,
    llr: float,
    reports: list[str],
    *,
    grade: str = "B2",
    via: list[str] | None = None,
    weight: float = 1.0,
    polarity: str = SUPPORTS,
) -> EvidenceLine:
    return EvidenceLine(
        source=source,
        polarity=polarity,
        grade=grade,
        llr=llr,
        weight=weight,
        counts_as=source,
        reports=reports,
        via=via or [],
    )


def partner(
    assessment: str, node: str, lines: list[EvidenceLine], version: int = 1, reliability: str = "B"
) -> PartnerAssessment:
    return PartnerAssessment(
        assessment=assessment,
        node=node,
        version=version,
        reliability=reliability,
        munition="KN-23",
        sector="Kharkiv",
        period=(0.0, 72.0),
        lines=tuple(lines),
    )


# --- log-likelihood ratios and polarity -------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "polarity", "llr"),
    [
        ("B2", SUPPORTS, 1.12),
        ("C3", SUPPORTS, 0.48),
        ("E5", SUPPORTS, -0.2),
        ("B2", CONTRADICTS, -1.12),
        ("C3", CONTRADICTS, -0.48),
        ("E5", CONTRADICTS, 0.0),  # an unreliable source's improbable denial: no weight
        ("F6", CONTRADICTS, 0.0),
    ],
)
def test_evidence_llr_by_grade_and_polarity(grade: str, polarity: str, llr: float) -> None:
    assert evidence_llr(grade, polarity) == pytest.approx(llr)


def test_a_contradiction_never_has_positive_weight() -> None:
    from sim.grading import LOG_LR

    assert all(evidence_llr(g, CONTRADICTS) <= 0.0 for g in LOG_LR)


def test_bad_polarity_is_refused() -> None:
    with pytest.raises(ValueError, match="polarity"):
        rep("R1", "x", polarity="maybe")
    with pytest.raises(ValueError, match="polarity"):
        evidence_llr("B2", "maybe")


# --- periods and the index -------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "period"),
    [(0.0, (0.0, 72.0)), (27.0, (0.0, 72.0)), (71.99, (0.0, 72.0)), (72.0, (72.0, 144.0)),
     (-5.0, (-72.0, 0.0))],
)  # fmt: skip
def test_fixed_periods(t: float, period: tuple[float, float]) -> None:
    assert period_of(t, 72.0) == period


def test_the_index_finds_a_cluster_by_munition_sector_and_period() -> None:
    index = ClusterIndex()
    a = index.cluster_for("KN-23", "Kharkiv", 27.0, 72.0)
    assert index.cluster_for("KN-23", "Kharkiv", 60.0, 72.0) is a
    assert index.cluster_for("KN-23", "Kharkiv", 80.0, 72.0) is not a
    assert index.cluster_for("KN-24", "Kharkiv", 27.0, 72.0) is not a
    assert index.cluster_for("KN-23", "Kyiv", 27.0, 72.0) is not a
    assert index.get("KN-23", "Kharkiv", 0.0) is a
    assert index.get("KN-23", "Kharkiv", 144.0) is None
    assert len(index) == 4 and a in list(index)


def test_the_same_report_twice_changes_nothing() -> None:
    """Circular reporting within a node: one report arriving by two routes counts once."""
    cluster = cluster_of(rep("R1", "prosecutors"))
    assert not cluster.add_report(rep("R1", "prosecutors"))
    assert weigh(cluster, PRIOR).reports == ("R1",)


# --- the log-odds sum ------------------------------------------------------------------


def test_two_independent_b2_sources_issue_a_likely_assessment() -> None:
    """z = -1.386294 + 1.12 + 1.12 = 0.853706; e^-0.853706 = 0.425834; p = 1/1.425834 = 0.70134."""
    cluster = cluster_of(rep("R1", "prosecutors"), rep("R2", "us-declassified"))
    b = weigh(cluster, PRIOR)
    assert b.log_odds == pytest.approx(0.853706, abs=1e-6)
    assert b.confidence == pytest.approx(0.70134, abs=1e-5)
    assert b.band == "likely"
    assert b.sources == ("prosecutors", "us-declassified")
    j = judge(cluster, b, POLICY)
    assert j is not None and (j.action, j.sources) == ("issue", 2)


def test_one_source_repeating_itself_counts_once_at_its_best_grade() -> None:
    """police files C3, B2 and C4 reports: one source at B2.
    z = -1.386294 + 1.12 = -0.266294; p = 1 / (1 + e^0.266294) = 1 / 2.305098 = 0.43382."""
    cluster = cluster_of(
        rep("R1", "police", "C3"), rep("R2", "police", "B2"), rep("R3", "police", "C4")
    )
    b = weigh(cluster, PRIOR)
    assert [(x.source, x.grade) for x in b.lines] == [("police", "B2")]
    assert b.lines[0].reports == ["R1", "R2", "R3"]
    assert b.confidence == pytest.approx(0.43382, abs=1e-5)
    assert judge(cluster, b, POLICY) is None  # one source, min_sources 2


def test_weak_corroboration_is_held_back_by_min_confidence() -> None:
    """C3 + C3: z = -1.386294 + 0.96 = -0.426294; p = 1 / (1 + e^0.426294) = 0.39501."""
    cluster = cluster_of(rep("R1", "unit-a", "C3"), rep("R2", "unit-b", "C3"))
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.39501, abs=1e-5)
    assert len(b.sources) == 2
    assert judge(cluster, b, POLICY) is None


def test_a_source_with_no_positive_weight_is_not_a_supporting_source() -> None:
    """B2 + E5 (support): z = -1.386294 + 1.12 - 0.2 = -0.466294, p = 0.38549; the E5 source
    lowers confidence and does not count toward min_sources."""
    cluster = cluster_of(rep("R1", "prosecutors"), rep("R2", "state-media", "E5"))
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.38549, abs=1e-5)
    assert b.sources == ("prosecutors",)


# --- polarity ----------------------------------------------------------------------------


def test_a_denial_lowers_confidence_and_is_never_support() -> None:
    """B2 + B2 support, C3 denial: z = 0.853706 - 0.48 = 0.373706; p = 1/(1+e^-0.373706)
    = 1 / 1.688161 = 0.59236 < 0.6: no assessment."""
    cluster = cluster_of(
        rep("R1", "prosecutors"),
        rep("R2", "us-declassified"),
        rep("R3", "staged-video", "C3", polarity=CONTRADICTS),
    )
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.59236, abs=1e-5)
    assert b.reports == ("R1", "R2")
    assert b.contradicting == ("R3",)
    assert b.against == ("staged-video",)
    assert b.sources == ("prosecutors", "us-declassified")
    assert [x.polarity for x in b.lines] == [SUPPORTS, SUPPORTS, CONTRADICTS]
    assert judge(cluster, b, POLICY) is None


def test_an_improbable_denial_is_listed_but_weighs_nothing() -> None:
    """E5 denial: -max(0, -0.2) = 0, so p stays 0.70134; it is listed as contradicting."""
    cluster = cluster_of(
        rep("R1", "prosecutors"),
        rep("R2", "us-declassified"),
        rep("R3", "state-media", "E5", polarity=CONTRADICTS),
    )
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.70134, abs=1e-5)
    assert b.contradicting == ("R3",)
    assert b.against == ()  # a contradicting source counts only if it weighs something


def test_support_and_denial_from_one_source_are_two_lines() -> None:
    """A source that says yes (B2) then no (B2): +1.12 - 1.12; p = prior = 0.2."""
    cluster = cluster_of(rep("R1", "x"), rep("R2", "x", polarity=CONTRADICTS))
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.2)
    assert [(x.source, x.polarity) for x in b.lines] == [("x", SUPPORTS), ("x", CONTRADICTS)]


# --- shared artefacts ------------------------------------------------------------------------


def test_examinations_of_the_same_debris_count_as_one_source() -> None:
    """police (C3) and prosecutors (B2) examine the debris of the strikes of the period: one
    source at its strongest, B2; z = -1.386294 + 1.12 = -0.266294, p = 0.43382."""
    cluster = cluster_of(
        rep("R1", "police", "C3", artefact="debris"),
        rep("R2", "prosecutors", "B2", artefact="debris"),
    )
    b = weigh(cluster, PRIOR)
    assert [(x.source, x.grade, x.reports) for x in b.lines] == [("debris", "B2", ["R2"])]
    assert [(a.source, a.grade, a.reports, a.reason) for a in b.set_aside] == [
        ("debris", "C3", ["R1"], SAME_ARTEFACT)
    ]
    assert b.confidence == pytest.approx(0.43382, abs=1e-5)
    assert b.sources == ("debris",)
    assert judge(cluster, b, POLICY) is None


def test_debris_of_several_strikes_in_a_period_is_still_one_source() -> None:
    """Debris of the uses claimed at 27 h and at 50 h (one period): still one source, B2
    (a group's examinations are never split: no debris counted twice)."""
    cluster = cluster_of(
        rep("R1", "police", "C3", used_at=27.0, artefact="debris"),
        rep("R2", "prosecutors", "B2", used_at=50.0, artefact="debris"),
        rep("R3", "police", "C3", used_at=60.0, artefact="debris"),
    )
    b = weigh(cluster, PRIOR)
    assert b.sources == ("debris",)
    assert b.confidence == pytest.approx(0.43382, abs=1e-5)


def test_debris_and_an_independent_source_issue() -> None:
    """debris (B2, with a C3 examination set aside) + US (B2): 2 sources, p = 0.70134."""
    cluster = cluster_of(
        rep("R1", "police", "C3", artefact="debris"),
        rep("R2", "prosecutors", "B2", artefact="debris"),
        rep("R3", "us-declassified"),
    )
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.70134, abs=1e-5)
    j = judge(cluster, b, POLICY)
    assert j is not None and j.sources == 2


# --- received assessments and lineage ------------------------------------------------------


def test_a_partner_assessment_counts_as_one_source_weighted_by_its_reliability() -> None:
    """NATO holds US (B2) itself and receives KOR-NIS's assessment resting on nis-reporting
    and dia-sigint (B2 each), KOR-NIS graded B (0.8): each line 1.12 x 0.8 = 0.896.
    z = -1.386294 + 1.12 + 0.896 + 0.896 = 1.525706; p = 1 / (1 + e^-1.525706)
    = 1 / 1.217468 = 0.82138: highly likely, from 2 sources (us-declassified, KOR-NIS)."""
    cluster = cluster_of(rep("R1", "us-declassified"))
    kor = partner(
        "A-KOR-NIS-1",
        "KOR-NIS",
        [line("nis-reporting", 1.12, ["R7"]), line("dia-sigint", 1.12, ["R8"])],
    )
    cluster.add_partner(kor)
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.82138, abs=1e-5)
    assert b.band == "highly likely"
    assert b.sources == ("KOR-NIS", "us-declassified")
    assert b.reports == ("R1", "R8", "R7")  # lines by source: dia-sigint, nis-reporting
    via = [x for x in b.lines if x.via]
    assert [(x.source, x.llr, x.weight, x.via, x.counts_as) for x in via] == [
        ("dia-sigint", 0.896, 0.8, ["A-KOR-NIS-1"], "KOR-NIS"),
        ("nis-reporting", 0.896, 0.8, ["A-KOR-NIS-1"], "KOR-NIS"),
    ]


def test_our_own_shared_report_inside_a_partner_assessment_adds_nothing() -> None:
    """HUR holds police (C3, R1) itself; NATO's assessment rests on R1 and US (B2, R2).
    police via NATO: 0.48 x 0.8 = 0.384 < 0.48 held directly: set aside (already held).
    US via NATO: 0.896, counts as NATO-JISD. z = -1.386294 + 0.48 + 0.896 = -0.010294;
    p = 0.49743: two sources, but under 0.6."""
    cluster = cluster_of(rep("R1", "police", "C3"))
    nato = partner(
        "A-NATO-JISD-1",
        "NATO-JISD",
        [line("police", 0.48, ["R1"], grade="C3"), line("us-declassified", 1.12, ["R2"])],
    )
    cluster.add_partner(nato)
    b = weigh(cluster, PRIOR)
    assert b.confidence == pytest.approx(0.49743, abs=1e-5)
    assert b.sources == ("NATO-JISD", "police")
    assert [(a.source, a.via, a.reason) for a in b.set_aside] == [
        ("police", ["A-NATO-JISD-1"], ALREADY_HELD)
    ]


def test_a_partner_built_only_on_what_we_hold_is_not_a_source() -> None:
    """Every line of the partner's assessment is held here: it adds no source and no weight."""
    cluster = cluster_of(rep("R1", "police", "C3"), rep("R2", "prosecutors"))
    before = weigh(cluster, PRIOR)
    cluster.add_partner(
        partner(
            "A-NATO-JISD-1",
            "NATO-JISD",
            [line("police", 0.48, ["R1"], grade="C3"), line("prosecutors", 1.12, ["R2"])],
        )
    )
    after = weigh(cluster, PRIOR)
    assert after.confidence == before.confidence
    assert after.sources == before.sources == ("police", "prosecutors")
    assert len(after.set_aside) == 2


def test_our_own_assessment_coming_back_is_circular() -> None:
    """KOR-NIS's assessment A-KOR-NIS-1 went to NATO; NATO's assessment carries its lines
    back (via A-KOR-NIS-1): KOR-NIS sets them aside as circular and counts only NATO's US.
    US via NATO: 0.896; z = -1.386294 + 1.12 (own nis-reporting) + 0.896 = 0.629706;
    p = 1 / (1 + e^-0.629706) = 0.65242."""
    cluster = cluster_of(rep("R7", "nis-reporting"))
    nato = partner(
        "A-NATO-JISD-4",
        "NATO-JISD",
        [
            line("nis-reporting", 0.896, ["R7"], via=["A-KOR-NIS-1"], weight=0.8),
            line("us-declassified", 1.12, ["R2"]),
        ],
    )
    cluster.add_partner(nato)
    b = weigh(cluster, PRIOR, own={"A-KOR-NIS-1"})
    assert [(a.source, a.via, a.reason) for a in b.set_aside] == [
        ("nis-reporting", ["A-NATO-JISD-4", "A-KOR-NIS-1"], CIRCULAR)
    ]
    assert b.confidence == pytest.approx(0.65242, abs=1e-5)


def test_weights_compound_along_a_chain_of_partners() -> None:
    """HUR receives NATO's assessment, one of whose lines came from KOR-NIS (llr 0.896,
    weight 0.8 at NATO): at HUR 0.896 x 0.8 = 0.7168, weight 0.64, via NATO then KOR-NIS."""
    cluster = Cluster("KN-23", "Kharkiv", 0.0, 72.0)
    cluster.add_partner(
        partner(
            "A-NATO-JISD-2",
            "NATO-JISD",
            [line("nis-reporting", 0.896, ["R7"], via=["A-KOR-NIS-1"], weight=0.8)],
        )
    )
    (only,) = weigh(cluster, PRIOR).lines
    assert (only.llr, only.weight, only.via, only.counts_as) == (
        0.7168,
        0.64,
        ["A-NATO-JISD-2", "A-KOR-NIS-1"],
        "NATO-JISD",
    )


def test_a_stronger_partner_examination_of_debris_we_hold_counts_as_that_debris() -> None:
    """HUR holds the debris itself (police C3, 0.48); NATO's line for the same debris rests
    on the prosecutors' B2 (1.12 x 0.8 = 0.896): the debris counts once, at 0.896, and as
    HUR's own source (it holds that debris); NATO's US line counts as NATO-JISD.
    z = -1.386294 + 0.896 + 0.896 = 0.405706; p = 1 / (1 + e^-0.405706) = 0.60006."""
    key = "debris"
    cluster = cluster_of(rep("R1", "police", "C3", artefact="debris"))
    cluster.add_partner(
        partner(
            "A-NATO-JISD-1",
            "NATO-JISD",
            [line(key, 1.12, ["R2"]), line("us-declassified", 1.12, ["R3"])],
        )
    )
    b = weigh(cluster, PRIOR)
    assert b.sources == ("NATO-JISD", key)
    assert b.confidence == pytest.approx(0.60006, abs=1e-5)
    assert [(a.source, a.grade, a.reason) for a in b.set_aside] == [(key, "C3", ALREADY_HELD)]
    j = judge(cluster, b, POLICY)
    assert j is not None and j.action == "issue"


def test_a_later_version_of_a_partner_assessment_replaces_the_earlier() -> None:
    cluster = Cluster("KN-23", "Kharkiv", 0.0, 72.0)
    assert cluster.add_partner(partner("A-X-1", "X", [line("a", 1.12, ["R1"])], version=2))
    assert not cluster.add_partner(partner("A-X-1", "X", [line("b", 1.12, ["R2"])], version=1))
    assert weigh(cluster, PRIOR).reports == ("R1",)
    assert cluster.add_partner(partner("A-X-1", "X", [line("b", 1.12, ["R2"])], version=3))
    assert weigh(cluster, PRIOR).reports == ("R2",)


def test_two_partners_repeating_one_source_count_once() -> None:
    """X (reliability A, weight 1) and Y (B, 0.8) both rest on collector c (B2): it counts
    once, through X at 1.12, and only X is a source. p = 1/(1 + e^0.266294) = 0.43382."""
    cluster = Cluster("KN-23", "Kharkiv", 0.0, 72.0)
    cluster.add_partner(partner("A-Y-1", "Y", [line("c", 1.12, ["R1"])]))
    cluster.add_partner(partner("A-X-1", "X", [line("c", 1.12, ["R1"])], reliability="A"))
    b = weigh(cluster, PRIOR)
    assert b.sources == ("X",)
    assert b.confidence == pytest.approx(0.43382, abs=1e-5)
    assert [(a.via, a.reason) for a in b.set_aside] == [(["A-Y-1"], ALREADY_HELD)]


# --- judging ---------------------------------------------------------------------------------


def test_issue_then_a_new_version_only_when_a_counted_line_changes() -> None:
    cluster = cluster_of(rep("R1", "prosecutors"))
    assert judge(cluster, weigh(cluster, PRIOR), POLICY) is None
    cluster.add_report(rep("R2", "us-declassified"))
    b = weigh(cluster, PRIOR)
    j = judge(cluster, b, POLICY)
    assert j is not None and j.action == "issue"
    cluster.mark("A-1", 1, b.signature)
    cluster.add_report(rep("R3", "prosecutors"))  # a known source again: nothing new to say
    assert judge(cluster, weigh(cluster, PRIOR), POLICY) is None
    cluster.add_report(rep("R4", "imagery", "C3"))  # a new source, same band (0.80 -> likely?)
    b2 = weigh(cluster, PRIOR)
    j2 = judge(cluster, b2, POLICY)
    assert j2 is not None and j2.action == "update" and j2.sources == 3
    cluster.mark("A-1", 2, b2.signature)
    # a denial bringing it below the bar changes the band: a new version, never a withdrawal
    cluster.add_report(rep("R5", "denier", "A1", polarity=CONTRADICTS))
    b3 = weigh(cluster, PRIOR)
    j3 = judge(cluster, b3, POLICY)
    assert j3 is not None and j3.action == "update" and b3.confidence < POLICY.min_confidence


def test_tally_tells_whether_an_assessment_stands_without_some_support() -> None:
    """Lines: fake (B2, 1.12), genuine (B2, 1.12), denial (C3, -0.48). Without the fake:
    z = -1.386294 + 1.12 - 0.48 = -0.746294; p = 1 / (1 + e^0.746294) = 1 / 3.109171
    = 0.32163, from 1 source."""
    lines = [
        line("spoofed", 1.12, ["R1"]),
        line("genuine", 1.12, ["R2"]),
        line("denier", -0.48, ["R3"], grade="C3", polarity=CONTRADICTS),
    ]
    p, n = tally(lines, PRIOR, keep=lambda x: x.source != "spoofed")
    assert p == pytest.approx(0.32163, abs=1e-5)
    assert n == 1
    everything, both = tally(lines, PRIOR, keep=lambda x: True)
    assert everything == pytest.approx(0.59236, abs=1e-5) and both == 2


# --- properties -----------------------------------------------------------------------------

GRADES = [f"{r}{c}" for r in "ABCDEF" for c in range(1, 7)]
evidence_strategy = st.lists(
    st.tuples(
        st.sampled_from(["police", "prosecutors", "us", "nis", "imagery"]),
        st.sampled_from(GRADES),
        st.sampled_from([SUPPORTS, CONTRADICTS]),
        st.sampled_from([None, "debris"]),
        st.sampled_from([5.0, 27.0, 50.0]),
    ),
    min_size=1,
    max_size=12,
)


def build(items: list[tuple[str, str, str, str | None, float]]) -> list[ReportEvidence]:
    return [
        rep(f"R{i}", c, g, used_at=t, polarity=p, artefact=a)
        for i, (c, g, p, a, t) in enumerate(items)
    ]


@settings(max_examples=60, deadline=None)
@given(items=evidence_strategy, seed=st.integers(0, 10_000))
def test_the_breakdown_does_not_depend_on_arrival_order(
    items: list[tuple[str, str, str, str | None, float]], seed: int
) -> None:
    reports = build(items)
    shuffled = reports[:]
    random.Random(seed).shuffle(shuffled)
    cluster = cluster_of(*reports)
    cluster.add_partner(
        partner("A-NATO-JISD-1", "NATO-JISD", [line("us", 1.12, ["U9"]), line("nis", 0.9, ["U8"])])
    )
    a, b = weigh(cluster, PRIOR), weigh(cluster_of(*shuffled), PRIOR)
    quick = assess(cluster, PRIOR)  # the cheap verdict agrees with the full breakdown
    assert (quick.confidence, quick.sources, quick.against) == (a.confidence, a.sources, a.against)
    b = weigh(cluster_of(*shuffled), PRIOR)
    a = weigh(cluster_of(*reports), PRIOR)
    assert (a.confidence, a.sources, a.against) == (b.confidence, b.sources, b.against)
    assert sorted(a.reports) == sorted(b.reports)
    assert [(x.source, x.polarity, x.grade, x.llr) for x in a.lines] == [
        (x.source, x.polarity, x.grade, x.llr) for x in b.lines
    ]


@settings(max_examples=60, deadline=None)
@given(items=evidence_strategy, denials=evidence_strategy)
def test_contradictions_never_raise_confidence_nor_add_sources(
    items: list[tuple[str, str, str, str | None, float]],
    denials: list[tuple[str, str, str, str | None, float]],
) -> None:
    cluster = cluster_of(*build(items))
    before = weigh(cluster, PRIOR)
    for i, (c, g, _, a, t) in enumerate(denials):
        cluster.add_report(rep(f"D{i}", c, g, used_at=t, polarity=CONTRADICTS, artefact=a))
    after = weigh(cluster, PRIOR)
    assert after.confidence <= before.confidence
    assert after.sources == before.sources
    assert after.reports == before.reports


@settings(max_examples=60, deadline=None)
@given(items=evidence_strategy, more=evidence_strategy)
def test_more_positive_support_never_lowers_confidence_or_sources(
    items: list[tuple[str, str, str, str | None, float]],
    more: list[tuple[str, str, str, str | None, float]],
) -> None:
    cluster = cluster_of(*build(items))
    before = weigh(cluster, PRIOR)
    for i, (c, _, _, a, t) in enumerate(more):
        # support graded C3 or better only: evidence with LR > 1
        cluster.add_report(rep(f"S{i}", c, "C3", used_at=t, artefact=a))
    after = weigh(cluster, PRIOR)
    assert after.confidence >= before.confidence
    assert set(after.sources) >= set(before.sources)


def test_fusion_policy_rejects_bad_values() -> None:
    for kwargs in (
        {"window": 0.0, "min_sources": 1, "min_confidence": 0.5},
        {"window": 1.0, "min_sources": 0, "min_confidence": 0.5},
        {"window": 1.0, "min_sources": 1, "min_confidence": 1.5},
        {"window": 1.0, "min_sources": 1, "min_confidence": 0.5, "prior": 0.0},
    ):
        with pytest.raises(ValueError, match="must be"):
            FusionPolicy(**kwargs)  # type: ignore[arg-type]
