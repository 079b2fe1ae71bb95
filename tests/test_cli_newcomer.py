"""What a newcomer meets first: --version, help in words, options that are never silently
ignored, one order of nodes, and a branch that says what it changed."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer

from sim.analysis.metric_changes import Change, headline, headline_changes
from sim.cli.app import _command, dispatch
from sim.report.branch_view import change_text, value_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "fixtures" / "design-example.yaml"
# the positional arguments' names, alike in every command
ARGUMENT_NAMES = {"SCENARIO", "SCENARIO_A", "SCENARIO_B", "RUN", "RUN_A", "RUN_B", "RUN|DIR"}
ARGUMENT_NAMES |= {"ITEM", "RUN SQL"}


def commands() -> dict[str, typer.core.TyperCommand]:
    group: Any = _command()
    return dict(group.commands)


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"intelsim {metadata.version('intelsim')}"


@pytest.mark.parametrize("name", sorted(commands()))
def test_help_speaks_in_words(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch([name, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage: intelsim" in text
    raw = re.findall(r"<[a-zA-Z_\[\] ,.|]+>|\[x[<>]=|\[[0-9.]+<=x", text)
    assert not raw, f"`intelsim {name} --help` shows Python types or raw ranges: {raw}"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_value_has_a_name(name: str) -> None:
    for param in commands()[name].params:
        if getattr(param, "is_flag", False):
            continue
        assert param.metavar, f"{name} {param.name}: no metavar"
        if param.param_type_name == "argument":
            assert param.metavar in ARGUMENT_NAMES, f"{name}: argument {param.metavar}"


def test_live_with_replications_and_speed_without_live_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "logs")
    code = dispatch(
        ["run", str(EXAMPLE), "--replications", "2", "--live", "--workers", "1", "--out", out]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "--live tells one run: it is ignored with --replications" in err
    assert dispatch(["run", str(EXAMPLE), "--speed", "48", "--out", out]) == 0
    captured = capsys.readouterr()
    assert "--speed paces --live: without a live run it is ignored" in captured.err
    assert "Run" in captured.out  # the run went on


def _node_rows(text: str) -> list[str]:
    # a row of the node table: the node, then its reports received
    return re.findall(r"^([A-Z]+-[A-Z]+) +\d", text, flags=re.MULTILINE)


def test_run_metrics_and_branch_list_nodes_alike_and_branch_says_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "logs"
    assert dispatch(["run", str(EXAMPLE), "--out", str(out)]) == 0
    ran = capsys.readouterr().out
    assert "scenario" in ran and "seed" in ran and "horizon" in ran
    assert "episode:" in ran and "held:" in ran and "misidentified:" in ran
    assert dispatch(["metrics", "latest", "--out", str(out)]) == 0
    recomputed = capsys.readouterr().out
    (parent,) = out.iterdir()
    # the only way from UKR-HUR to NATO-JISD closes on day 5: NATO-JISD hears less
    change = ["--at", "5d", "--set", "links.UKR-HUR->NATO-JISD.enabled=false"]
    assert dispatch(["branch", "latest", *change, "--out", str(out)]) == 0
    branched = capsys.readouterr().out
    rows = _node_rows(ran)
    assert rows == sorted(rows) and len(rows) >= 2
    assert _node_rows(recomputed) == rows
    assert _node_rows(branched)[: len(rows)] == rows
    (child,) = (d for d in out.iterdir() if d != parent)
    before = orjson.loads((parent / "metrics.json").read_bytes())
    after = orjson.loads((child / "metrics.json").read_bytes())
    heard = [before["nodes"]["NATO-JISD"]["reports_received"]]
    heard.append(after["nodes"]["NATO-JISD"]["reports_received"])
    assert heard[1] < heard[0]
    assert f"What changed: {parent.name} → this branch" in branched
    line = next(r for r in branched.splitlines() if "NATO-JISD" in r and "reports received" in r)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    assert cells == [
        "NATO-JISD",
        "reports received",
        f"{heard[0]:,}",
        f"{heard[1]:,}",
        f"−{heard[0] - heard[1]:,}",
    ]


def test_a_branch_that_changes_nothing_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "logs")
    assert dispatch(["run", str(EXAMPLE), "--out", out]) == 0
    analysts = ["--at", "5d", "--set", "nodes.UKR-HUR.analysts=2"]  # it has 2 already
    assert dispatch(["branch", "latest", *analysts, "--out", out]) == 0
    assert "no headline metric differs from" in capsys.readouterr().out


def test_headline_changes_by_hand() -> None:
    node = {
        "reports_received": 10,
        "queue_wait_h": {"mean": 2.0},
        "knowledge_median_h": None,
        "known_within_7d": 0.25,
        "coverage": 0.5,
        "assessments_issued": 3,
        "false_attributions": 0,
    }
    run = {"messages_delivered": 9, "messages_dropped": 1, "messages_in_flight": 0, "reports": 10}
    before = {"run": run, "intercepted": 0, "releasability_violations": 0, "nodes": {"B": node}}
    later = {**node, "known_within_7d": 0.5, "knowledge_median_h": 36.0}
    after = {**before, "nodes": {"B": later, "A": node}}
    changes = headline_changes(before, after)
    assert [(c.where, c.metric) for c in changes] == [
        *[("A", m) for m in ("reports_received", "queue_wait_h.mean", "known_within_7d")],
        *[("A", m) for m in ("coverage", "assessments_issued", "false_attributions")],
        ("B", "knowledge_median_h"),
        ("B", "known_within_7d"),
    ]
    assert len(headline(before, after)) == 4 + 2 + 2 * 7
    share = next(c for c in changes if c.where == "B" and c.metric == "known_within_7d")
    assert share.difference == 0.25 and change_text(share) == "+25.0 pp"
    known = next(c for c in changes if c.metric == "knowledge_median_h")
    assert known.difference is None and change_text(known) == "now defined"
    assert value_text("knowledge_median_h", 72.0) == "3d"
    assert change_text(Change("run", "messages_dropped", 5, 2)) == "−3"


def test_the_node_table_fits_80_columns_with_every_name_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.report.names import name_of
    from sim.report.summary import NODE_COLUMNS

    monkeypatch.setenv("COLUMNS", "80")  # a pipe, or the narrowest usual terminal
    assert dispatch(["run", str(EXAMPLE), "--out", str(tmp_path / "logs")]) == 0
    text = capsys.readouterr().out
    table = text[text.index("Nodes") : text.index("time to knowledge:")]
    assert "…" not in table, table
    assert max(map(len, table.splitlines())) <= 80
    heads = " ".join(table.split("─")[0].split())
    words = heads.split()
    for metric in NODE_COLUMNS:
        for word in name_of(metric).split():
            assert word in words, f"{word!r} of {name_of(metric)!r} cut: {table}"


@pytest.mark.parametrize("name", sorted(commands()))
def test_command_list_summary_is_one_sentence_line(name: str) -> None:
    # `intelsim --help` shows each command's first docstring paragraph as it is written: a
    # line break inside it showed mid-sentence breaks in the list ("...; with" / "--rep...").
    doc = commands()[name].help or ""
    first = doc.strip().split("\n\n", 1)[0]
    assert "\n" not in first, f"`{name}`'s summary spans lines: {first!r}"


@pytest.mark.parametrize("name", ["export", "query", "verify", "timeline"])
def test_a_file_given_to_out_is_refused_with_the_option_to_use(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `export RUN --out bundle.json` read --out as the directory of runs: with RUN a path,
    # the bundle went to the run's exports/ folder and nothing said so
    args = {"export": ["--format", "stix"], "query": ["select 1"]}.get(name, [])
    target = tmp_path / "bundle.json"
    code = dispatch([name, str(tmp_path), *args, "--out", str(target)])
    err = capsys.readouterr().err
    assert code == 2
    assert "names a file" in err and "--to FILE" in err
    assert not target.exists()
