"""The HTML report's data, built in Python from the projections (no browser here).

The browser tests (test_report_browser.py) check that the page shows what the command
line prints; these check the data the page is given: that the compact state deltas
follow every entity an event may change, that the clock is exact, that the glossary
says what docs/domain.md says, and that bad input gets a clear error.
"""

from __future__ import annotations

import base64
import gzip
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.run import run_to_directory
from sim.report.glossary import glossary_text
from sim.report.html import write_report
from sim.report.html.experiment import experiment_data
from sim.report.html.run_data import run_data
from sim.report.html.states import TICKS_PER_HOUR, splice, ticks
from sim.report.html.texts import decode_texts, encode_texts
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "tests" / "fixtures" / "report-small.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_to_directory(load_scenario(SCENARIO), tmp_path_factory.mktemp("runs")).run_dir


def test_deltas_of_named_entities_equal_describing_everything_after_every_event(
    run_dir: Path,
) -> None:
    # the shortcut (describe only the nodes and links an event names) against the
    # definition (describe every node and link after every event)
    quick = run_data(run_dir)
    full = run_data(run_dir, exhaustive=True)
    assert quick["state"] == full["state"]
    ops = quick["state"]["ops"]
    kinds = {op[1] for group in ops for op in group}
    assert kinds == {0, 1, 2}  # scalars, lists and mappings all changed somewhere
    paths = {tuple(p[:1] + p[2:]) for p in quick["state"]["paths"]}
    assert ("links", "compromised") in paths and ("nodes", "analysts") in paths


TRUTH_WORDS = re.compile(r"ground truth|\bU\d+\b|fabricat|traces to|misidentif|compromis", re.I)


def test_a_nodes_provenance_tells_only_events_its_timeline_lists(run_dir: Path) -> None:
    # the oracle is `timeline --as NODE`: every event a node's provenance tells is a line
    # the node saw (told as a node tells it), and no word of the rest is ground truth
    data = run_data(run_dir)
    provenance, story = data["provenance"], data["lines"]
    timeline = decode_texts(story["text"])
    texts = iter(decode_texts(provenance["texts"]))
    references = iter(provenance["line"])
    table: list[tuple[str, int | None, int]] = []  # (text, timeline line, truth)
    line = 0
    for how in provenance["how"]:
        if how == 0:
            table.append((next(texts), None, 0))
        else:
            line += next(references)
            table.append((timeline[line], line, (how - 1) % 2))
    assert set(provenance["as"]) == {n["name"] for n in data["network"]["nodes"]}
    node_index = {n["name"]: i for i, n in enumerate(data["network"]["nodes"])}
    checked = 0

    def entries(items: list[list[list[int]]]) -> list[list[tuple[str, int | None, int]]]:
        out, end = [], 0
        for runs, _, _ in items:
            told = []
            for k in range(0, len(runs), 2):
                start = end + runs[k]
                end = start + runs[k + 1]
                told += table[start:end]
            out.append(told)
        return out

    for node, items in provenance["as"].items():
        assert len(items) == len(data["assessments"]["as"][node])
        for item, told in zip(data["assessments"]["as"][node], entries(items), strict=True):
            for text, ref, truth in told:
                assert not TRUTH_WORDS.search(text), (node, item, text)
                if ref is not None:
                    assert truth == 0 and not story["truth"][ref], (node, item)
                    assert node_index[node] in story["viewer_sets"][story["viewers"][ref]]
                    checked += 1
        kinds = {provenance["nodes"][ix][1] for _, nodes, _ in items for ix in nodes}
        assert kinds <= {"report", "contradiction", "node", "assessment", "receiver"}
    assert checked > 50
    # ground truth tells where every report came from
    assert any(
        TRUTH_WORDS.search(text) for told in entries(provenance["items"]) for text, _, _ in told
    )


@pytest.mark.parametrize(
    "texts",
    [
        ["R1 at 2024-07-11 00:07", "R2 at 2024-07-11 00:08", "R10 at 2024-07-12 10:00"],
        ["1.7h after sending", "0.05 (bar 0.60)", "10.0 and 0", "no number", ""],
        ["007 and 0 and 100", "M12 (R9) 3.4d", "M11 (R10) 13.4d", "-3 +1.120"],
    ],
)
def test_lines_as_templates_and_numbers_give_the_same_lines_back(texts: list[str]) -> None:
    encoded = encode_texts(texts)
    assert decode_texts(encoded) == texts


def test_lines_differing_in_numbers_share_one_template_and_store_small_differences() -> None:
    texts = [f"UKR-HUR starts analysing R{n} after {n % 7}.5h" for n in range(100, 200)]
    encoded = encode_texts(texts)
    assert encoded["templates"] == ["UKR-HUR starts analysing R\x01 after \x01.5h"]
    assert encoded["numbers"][:4] == [100, 100 % 7, 1, 1] and set(encoded["numbers"][2::2]) == {1}


def test_the_clock_rounds_up_so_that_events_at_t_are_shown_at_t() -> None:
    assert ticks(0.0) == 0
    assert ticks(240.0) == 240 * TICKS_PER_HOUR
    assert ticks(0.1) == 100_000  # a whole tick up to float error stays that tick
    assert ticks(1.0 + 1e-9) == TICKS_PER_HOUR + 1  # between ticks: the next one
    assert ticks(2.5e-7) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["R1", "R2", "R3"], ["R2", "R3"]),  # a queue shrinks at the front
        (["R1"], ["R1", "R4"]),  # and grows at the end
        (["R2", "R9"], ["R2", "R5", "R9"]),  # a sorted set gains one in the middle
        (["a", "b"], ["c"]),
        ([], []),
    ],
)
def test_a_splice_turns_the_old_list_into_the_new(old: list[str], new: list[str]) -> None:
    start, deleted, inserted = splice(old, new)
    assert old[:start] + inserted + old[start + deleted :] == new


def page_data(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'id="intelsim-data" data-encoding="gzip\+base64">([^<]*)<', text)
    assert match is not None
    data: dict[str, object] = orjson.loads(gzip.decompress(base64.b64decode(match.group(1))))
    return data


def test_the_report_is_one_file_with_everything_inline(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "small.html"
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "run report:" in result.stdout and str(out) in result.stdout
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", text)  # nothing to fetch
    assert "Report.Graph" in text and "uPlot" in text
    data = page_data(out)
    assert data["kind"] == "run"
    # columns, not events: the page carries a few hundred bytes per event at most
    events = sum(1 for _ in (run_dir / "events.jsonl").open("rb"))
    assert len(text) < 600_000 + 400 * events


def test_the_glossary_says_what_the_domain_notes_say() -> None:
    domain = " ".join((ROOT / "docs" / "domain.md").read_text(encoding="utf-8").split())
    text = glossary_text()
    for word in [
        *text["admiralty"]["reliability"].values(),
        *text["admiralty"]["credibility"].values(),
    ]:
        assert word in domain, word
    for body, entry in text["bodies"]["entries"].items():
        assert body in domain and entry["name"] in domain, body
    phia = yaml.safe_load((ROOT / "sim" / "data" / "phia.yaml").read_text())
    assert "realistic possibility" in {b["name"] for b in phia["bands"]}


def test_experiment_data_reads_any_table_and_plot(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"kind": "value", "scenario": "x", "factors": []}')
    (tmp_path / "contribution.csv").write_text(
        "metric,diff,ci_low,ci_high\nnodes.A.coverage,0.1,0.05,0.15\nnodes.A.x,,,\n"
    )
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "p.svg").write_text('<?xml version="1.0"?>\n<svg xmlns="x"></svg>')
    data = experiment_data(tmp_path)
    assert data["analysis"] == "value" and data["title"] == "x"
    (table,) = data["tables"]
    assert table["columns"] == ["metric", "diff", "ci_low", "ci_high"]
    assert table["values"][1] == [0.1, None]
    assert data["images"] == [{"name": "plots/p", "svg": '<svg xmlns="x"></svg>'}]
    assert write_report(tmp_path).kind == "value"


def test_json_summaries_become_tables_and_seeds_stay_exact(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"kind": "replications"}')
    (tmp_path / "replications.csv").write_text("replication,seed\n0,4082920497757705246\n")
    (tmp_path / "summary.json").write_text(
        '{"confidence": 0.95, "metrics": {"nodes.A.coverage": {"mean": 0.5, "ci_low": 0.4,'
        ' "ci_high": 0.6, "method": "t"}}}'
    )
    tables = {t["name"]: t for t in experiment_data(tmp_path)["tables"]}
    assert tables["replications"]["values"][1] == ["4082920497757705246"]  # > 2**53
    summary = tables["summary.metrics"]
    assert summary["columns"] == ["metric", "mean", "ci_low", "ci_high", "method"]
    assert summary["values"][0] == ["nodes.A.coverage"]


def test_bad_directories_get_one_clear_error(tmp_path: Path, run_dir: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["report", str(empty)])
    assert result.exit_code != 0
    assert "neither a run directory" in str(result.exception or result.output)
    result = runner.invoke(app, ["report", str(run_dir), "--out", str(tmp_path)])
    assert "is a directory" in str(result.exception or result.output)
    result = runner.invoke(app, ["report", "no-such-run", "--logs", str(tmp_path)])
    assert "no run 'no-such-run'" in str(result.exception or result.output)


def test_the_wheel_carries_the_page_assets() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["sim.report.html"]
    html = ROOT / "sim" / "report" / "html"
    files = [
        p.relative_to(html).as_posix() for d in ("assets", "vendor") for p in (html / d).iterdir()
    ]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns) for f in files)


def test_ci_runs_the_readmes_test_command_which_installs_the_browser() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python3 -m venv .venv[^\n]*)\n```", readme)
    assert len(commands) == 2, "the README's two commands"
    second = commands[1]
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "apt-get install" in second and "/usr/bin/chromium" in second
