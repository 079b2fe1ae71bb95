"""Timeline, perspectives and provenance in words; the view commands end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sim import events as ev
from sim.analysis.perspective import QueryError, endpoints, visible_to
from sim.analysis.provenance import explain, explain_events
from sim.analysis.timeline import parse_when, timeline
from sim.cli import app
from sim.errors import LogError
from sim.experiments.run import run_to_directory
from sim.scenario.loader import LoadedScenario
from sim.scenario.models import Scenario
from sim.store import read_events
from tests.builders import busy_example, link, node, rule, run_events, scenario_dict

PRIVATE = (
    ev.SightingReported,
    ev.ReportReceived,
    ev.AnalysisStarted,
    ev.AnalysisCompleted,
    ev.AssessmentIssued,
    ev.AssessmentUpdated,
    ev.AssessmentReceived,
)


def rich_example() -> dict[str, Any]:
    """The busy design example plus a ROK node: reports reach it, NATO's assessments do not
    (REL TO NATO, UKR), so the run has deliveries, drops and assessments at several nodes."""
    raw = busy_example()
    raw["nations"]["KOR"] = "Republic of Korea"
    raw["nodes"]["KOR-NIS"] = {"nation": "KOR", "analysts": 1, "analysis_time": "4h", "fusion": {}}
    raw["links"] += [link("UKR-HUR", "KOR-NIS", latency="3h"), link("NATO-JISD", "KOR-NIS")]
    raw["sharing"].append(rule("UKR-HUR", ["KOR-NIS"], rel_to=["UKR", "KOR"]))
    raw["sharing"][1]["to"] = ["UKR-HUR", "KOR-NIS"]
    return raw


@pytest.fixture(scope="module")
def rich() -> tuple[Scenario, list[ev.Event]]:
    raw = rich_example()
    return Scenario.model_validate(raw), run_events(raw)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = rich_example()
    loaded = LoadedScenario(Scenario.model_validate(raw), raw, "test", [])
    outcome = run_to_directory(loaded, tmp_path_factory.mktemp("logs"))
    assert outcome.run_dir is not None
    return outcome.run_dir


def test_lines_in_the_domains_words() -> None:
    scenario = Scenario.model_validate(
        scenario_dict(nodes={"A": node("UKR"), "B": node("USA")}, links=[link("A", "B")])
    )
    marking = ev.Marking("NATO-RESTRICTED", ["NATO", "UKR"])
    story: list[ev.Event] = [
        ev.MunitionUsed(t=27.2, usage="U3", munition="KN-23", sector="S"),
        ev.SightingReported(
            t=52.9,
            report="R4",
            collector="prosecutors",
            node="A",
            munition="KN-23",
            sector="S",
            grade="B2",
            discipline="FORENSIC",
            usage="U3",
            used_at=27.2,
        ),
        ev.ReportReceived(t=52.9, node="A", report="R4"),
        ev.MessageSent(
            t=60.0, message="M7", link="A->B", item="R4", kind="report", marking=marking
        ),
        ev.MessageDropped(t=61.0, message="M8", link="A->B", item="R4", reason="not-releasable"),
        ev.AssessmentIssued(
            t=70.0,
            assessment="A-B-1",
            node="B",
            munition="KN-23",
            sector="S",
            confidence=0.7,
            band="likely",
            reports=["R4", "R9"],
            sources=["prosecutors", "x"],
            period_start=0.0,
            period_end=72.0,
            contradicting=["R5"],
            against=["y"],
        ),
        ev.LinkDown(t=80.0, link="A->B", cause="cyber:ddos"),
        ev.LinkUp(t=92.0, link="A->B", cause="cyber:ddos"),
    ]
    story = [ev.numbered(event, seq) for seq, event in enumerate(story)]
    lines = [str(line) for line in timeline(scenario, story)]
    assert lines == [
        "2024-07-12 03:12  KN-23 used in S (U3) [ground truth]",
        "2024-07-13 04:54  prosecutors (FORENSIC, B2) reports a KN-23 in S (use claimed"
        " 2024-07-12 03:12) to A (R4) — traces to U3 [ground truth]",
        "2024-07-13 12:00  A -> B: R4 sent as M7, NATO RESTRICTED REL TO NATO, UKR",
        "2024-07-13 13:00  message M8 (R4) dropped on A->B: not releasable",
        "2024-07-13 22:00  B assesses KN-23 use in S (uses claimed 2024-07-11 00:00 to"
        " 2024-07-14 00:00) as likely (0.70) from 2 sources (2 reports): R4 (prosecutors B2),"
        " R9; against: R5 — A-B-1",
        "2024-07-14 08:00  link A->B down: cyber attack ddos",
        "2024-07-14 20:00  link A->B back up (cyber attack ddos over)",
    ]
    seen_by_b = [str(line) for line in timeline(scenario, story, as_node="B")]
    assert seen_by_b == lines[4:]  # its assessment and its incoming link
    assert [str(x) for x in timeline(scenario, story, until=60.0)] == lines[:3]


def _independently_visible(node_name: str, event: ev.Event) -> bool:
    """What a node may see, restated without the perspective module's helpers."""
    if isinstance(event, PRIVATE):
        return event.node == node_name
    if isinstance(event, ev.MessageSent | ev.MessageHeld | ev.MessageDropped):
        return event.link.startswith(f"{node_name}->")
    if isinstance(event, ev.MessageDelivered):
        return event.link.endswith(f"->{node_name}")
    if isinstance(event, ev.LinkDown | ev.LinkUp):
        return node_name in event.link.split("->")
    return isinstance(event, ev.RunStarted | ev.RunEnded | ev.InterventionApplied)


@pytest.mark.parametrize("as_node", ["UKR-HUR", "NATO-JISD", "KOR-NIS"])
def test_a_perspective_never_shows_ground_truth_or_others_private_events(
    rich: tuple[Scenario, list[ev.Event]], as_node: str
) -> None:
    scenario, events = rich
    by_seq = {e.seq: e for e in events}
    lines = list(timeline(scenario, events, as_node=as_node))
    assert len(lines) > 20
    for line in lines:
        event = by_seq[line.seq]
        assert not type(event).ground_truth and not line.ground_truth
        assert "ground truth" not in line.text and "traces to" not in line.text
        assert "fabricated" not in line.text
        assert _independently_visible(as_node, event), line
    # and it does see what it should: every report that reached it, when it arrived
    arrived = {e.seq for e in events if isinstance(e, ev.ReportReceived) and e.node == as_node}
    told = {line.seq for line in lines}
    filed_here = {
        e.report for e in events if isinstance(e, ev.SightingReported) and e.node == as_node
    }
    for e in events:
        if e.seq in arrived and isinstance(e, ev.ReportReceived) and e.via is not None:
            assert e.seq in told
        if e.seq in told and isinstance(e, ev.SightingReported):
            assert e.report in filed_here  # another node's filing is never shown as such


def test_a_node_hears_of_a_foreign_report_only_when_it_arrives(
    rich: tuple[Scenario, list[ev.Event]],
) -> None:
    scenario, events = rich
    lines = list(timeline(scenario, events, as_node="KOR-NIS"))
    kor_reports = [e for e in events if isinstance(e, ev.ReportReceived) and e.node == "KOR-NIS"]
    assert kor_reports
    first = kor_reports[0]
    mentions = [line for line in lines if f" {first.report} " in f" {line.text} "]
    assert mentions and mentions[0].t == first.t  # nothing about it before it arrived
    assert "reports a KN-23" in next(line.text for line in lines if line.seq == first.seq)


def test_visible_to_basic_rules() -> None:
    marking = ev.Marking("NATO-RESTRICTED", ["NATO"])
    sent = ev.MessageSent(message="M1", link="A->B", item="R1", kind="report", marking=marking)
    delivered = ev.MessageDelivered(
        message="M1", link="A->B", item="R1", kind="report", marking=marking
    )
    assert visible_to("A", sent) and not visible_to("B", sent)
    assert visible_to("B", delivered) and not visible_to("A", delivered)
    assert not visible_to("A", ev.MunitionUsed(usage="U1", munition="KN-23", sector="S"))
    assert visible_to("B", ev.LinkDown(link="A->B", cause="failure"))
    assert not visible_to("C", ev.LinkDown(link="A->B", cause="failure"))
    assert endpoints("UKR-HUR->NATO-JISD") == ("UKR-HUR", "NATO-JISD")


def test_unknown_node_and_bad_times_are_query_errors(rich: tuple[Scenario, list[ev.Event]]) -> None:
    scenario, events = rich
    with pytest.raises(QueryError, match="did you mean `KOR-NIS`"):
        list(timeline(scenario, events, as_node="KOR-NS"))
    assert parse_when("10d", scenario) == 240.0
    assert parse_when("12", scenario) == 12.0
    assert parse_when("2024-07-12T06:00:00Z", scenario) == 30.0
    assert parse_when("2024-07-12 06:00", scenario) == 30.0
    with pytest.raises(QueryError, match="before the run starts"):
        parse_when("2024-07-01", scenario)
    with pytest.raises(QueryError, match="cannot read the time"):
        parse_when("soon", scenario)


def test_explain_an_assessment_names_its_reports_and_their_paths(
    rich: tuple[Scenario, list[ev.Event]],
) -> None:
    scenario, events = rich
    issued = next(e for e in events if isinstance(e, ev.AssessmentIssued) and e.node == "NATO-JISD")
    final = issued.reports
    for e in events:
        if isinstance(e, ev.AssessmentUpdated) and e.assessment == issued.assessment:
            final = e.reports
    text = "\n".join(explain_events(scenario, lambda: events, issued.assessment))
    assert text.startswith(f"{issued.assessment}: issued by NATO-JISD")
    for report in final:
        assert f"{report}: " in text
    assert "ground truth:" in text
    assert "reached" in text and "received by" in text
    # the dissemination of the assessment itself is told, delivered or dropped
    for e in events:
        if isinstance(e, ev.MessageSent | ev.MessageDropped) and e.item == issued.assessment:
            assert e.message in text


def test_every_published_arithmetic_adds_up_and_explain_shows_it(
    rich: tuple[Scenario, list[ev.Event]],
) -> None:
    from sim.analysis.arithmetic import arithmetic_of
    from sim.fusion import band

    scenario, events = rich
    published = [e for e in events if isinstance(e, ev.AssessmentIssued | ev.AssessmentUpdated)]
    assert published
    for e in published:
        a = arithmetic_of(e)
        assert a.confidence == pytest.approx(e.confidence, abs=1e-6)
        assert band(e.confidence) == e.band
        assert set(e.reports) == {
            r for x in e.evidence if x.polarity == "supports" for r in x.reports
        }
    text = explain_events(scenario, lambda: events, published[-1].assessment)
    assert any(line.strip().startswith("prior 0.20: log-odds -1.386") for line in text)
    assert any(line.strip().startswith("= log-odds") for line in text)
    assert any("contradicting reports (" in line for line in text)


def test_explain_a_report_follows_it_to_every_node(rich: tuple[Scenario, list[ev.Event]]) -> None:
    scenario, events = rich
    report = next(e.report for e in events if isinstance(e, ev.SightingReported) and e.usage)
    reached = [e.node for e in events if isinstance(e, ev.ReportReceived) and e.report == report]
    lines = explain_events(scenario, lambda: events, report)
    summary = next(line for line in lines if "reached" in line)
    for node_name in reached:
        assert node_name in summary
    assert any("ground truth: traces to U" in line for line in lines)


def test_explain_unknown_item_suggests(rich: tuple[Scenario, list[ev.Event]]) -> None:
    scenario, events = rich
    with pytest.raises(LogError, match="did you mean `A-NATO-JISD-1`"):
        explain_events(scenario, lambda: events, "A-NATO-JISD-01")


def test_explain_run_directory(run_dir: Path) -> None:
    lines = explain(run_dir, "U1")
    assert lines[0].startswith("U1: KN-23 used in Kharkiv")


# --- the commands ----------------------------------------------------------------------

runner = CliRunner()


def test_timeline_command_plain_and_as_node(run_dir: Path) -> None:
    result = runner.invoke(app, ["timeline", str(run_dir), "--plain", "--until", "5d"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2024-07-11 00:00  run of teaching-busy starts")
    assert all(line[:10] <= "2024-07-16" for line in lines)
    assert "[ground truth]" in result.output
    mine = runner.invoke(app, ["timeline", str(run_dir), "--plain", "--as", "KOR-NIS"])
    assert mine.exit_code == 0 and "ground truth" not in mine.output
    assert "KOR-NIS receives" in mine.output
    coloured = runner.invoke(app, ["timeline", str(run_dir), "--until", "2024-07-13T00:00Z"])
    assert coloured.exit_code == 0 and "run of teaching-busy starts" in coloured.output


def test_metrics_command_recomputes_and_compares(run_dir: Path) -> None:
    result = runner.invoke(app, ["metrics", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    start = result.output.index("{")
    recomputed = json.loads(result.output[start : result.output.rindex("}") + 1])
    assert recomputed == json.loads((run_dir / "metrics.json").read_text())
    assert "same as metrics.json" in result.output
    table = runner.invoke(app, ["metrics", str(run_dir)])
    assert table.exit_code == 0 and "releasability violations" in table.output


def test_replay_and_explain_commands(run_dir: Path) -> None:
    result = runner.invoke(
        app, ["replay", str(run_dir), "--at", "10d", "--as", "UKR-HUR", "--json"]
    )
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    assert view["t"] == 240.0 and list(view["nodes"]) == ["UKR-HUR"]
    table = runner.invoke(app, ["replay", str(run_dir)])
    assert table.exit_code == 0 and "NATO-JISD" in table.output and "Links" in table.output
    explained = runner.invoke(app, ["explain", str(run_dir), "A-NATO-JISD-1"])
    assert explained.exit_code == 0 and "supporting reports" in explained.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline", "{run}", "--as", "KOR-NS"], "did you mean `KOR-NIS`"),
        (["replay", "{run}", "--at", "later"], "cannot read the time"),
        (["explain", "{run}", "R999999"], "no assessment, report or usage"),
        (["metrics", "no-such-run"], "no run 'no-such-run'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    run_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.replace("{run}", str(run_dir)) for a in args] + ["--out", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "sim", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_log_read_back_matches_events(run_dir: Path) -> None:
    # the stored log reads back as the very events the run recorded, every one of them,
    # and so tells the same timeline, every line of it
    scenario = Scenario.model_validate(rich_example())
    stored = list(read_events(run_dir / "events.jsonl"))
    live = run_events(rich_example())
    assert len(stored) == len(live) > 100
    assert stored == live
    told = [str(x) for x in timeline(scenario, stored)]
    assert len(told) > 100 and told == [str(x) for x in timeline(scenario, live)]
