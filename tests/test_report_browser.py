"""The HTML report in a real headless Chromium (Debian's, driven by Playwright).

Every page is loaded from disk with every http(s) request blocked; each test asserts
that none was attempted and that the console stayed free of errors. The page is
compared with the command line, its independent oracle: the node and link states after
scrubbing with ``replay --at T --json``, the "as NODE" list with ``timeline --as NODE``,
the provenance panel with ``explain``, the metrics table with ``metrics --json``.
Screenshots of each view go to ``logs/report-screenshots/`` (not committed) for a
person to look at; nothing is compared pixel by pixel.

A missing browser is a failure, never a skip: the README's test command installs
Debian's ``chromium`` where ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import orjson
import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright
from typer.testing import CliRunner

from sim.cli import app
from sim.experiments.run import run_to_directory
from sim.report.html import write_report
from sim.scenario.loader import load_scenario

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "logs" / "report-screenshots"
SCENARIO = ROOT / "tests" / "fixtures" / "report-small.yaml"
runner = CliRunner()

pytestmark = pytest.mark.slow


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium for the module, with a fresh profile, kept off the network."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium); "
            "the README's test command does it"
        )
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        ctx = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1600, "height": 900},
        )
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outcome = run_to_directory(load_scenario(SCENARIO), tmp_path_factory.mktemp("runs"))
    return outcome.run_dir


@pytest.fixture(scope="module")
def run_page_path(run_dir: Path) -> Path:
    return write_report(run_dir).path


@dataclass
class Loaded:
    """A page opened from disk, with what it tried to fetch and what it logged."""

    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests == [], f"the page tried to reach the network: {self.requests}"
        assert self.errors == [], f"console errors: {self.errors}"

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_page(context: BrowserContext, path: Path, fragment: str = "") -> Loaded:
    page = context.new_page()
    loaded = Loaded(page)

    def block(route: Route) -> None:
        loaded.requests.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(https?|wss?|ftp)://"), block)
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file:", "data:", "blob:")) else loaded.requests.append(r.url)
        ),
    )
    page.on("console", lambda m: loaded.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: loaded.errors.append(str(e)))
    page.goto(path.as_uri() + (f"#{fragment}" if fragment else ""))
    page.wait_for_function("window.intelsim && window.intelsim.ready", timeout=15000)
    return loaded


@pytest.fixture()
def run_page(context: BrowserContext, run_page_path: Path) -> Iterator[Loaded]:
    loaded = open_page(context, run_page_path)
    yield loaded
    loaded.assert_clean()
    loaded.page.close()


def scrub(page: Page, hours: float) -> None:
    """Move the time slider to `hours` as a user would (its step is 0.01 h)."""
    page.eval_on_selector(
        "#slider",
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }",
        round(hours * 100),
    )


def shown_state(page: Page) -> dict[str, Any]:
    """The node and link states the page's tables show (cell values as data attributes)."""
    state: dict[str, Any] = page.evaluate(
        """() => {
        const nodes = {}, links = {};
        for (const tr of document.querySelectorAll('#nodes tbody tr')) {
          const row = {};
          for (const td of tr.querySelectorAll('td[data-field]')) {
            if (td.dataset.field === 'assessments') {
              row.assessments_issued = JSON.parse(td.dataset.issued);
              row.assessments_received = JSON.parse(td.dataset.received);
            } else {
              row[td.dataset.field] = JSON.parse(td.dataset.value);
              row['shown_' + td.dataset.field] = td.innerText.trim();
            }
          }
          nodes[tr.dataset.node] = row;
        }
        for (const tr of document.querySelectorAll('#links tbody tr')) {
          const cell = tr.querySelector('td[data-field=status]');
          links[tr.dataset.link] = JSON.parse(cell.dataset.value);
        }
        return {nodes, links, clock: document.getElementById('clock').innerText};
      }"""
    )
    return state


def test_the_page_loads_offline_and_scrubbing_shows_what_replay_prints(
    run_page: Loaded, run_dir: Path
) -> None:
    page = run_page.page
    # 5d and 10d: a compromise and an intervention happen exactly then (shown from that tick)
    for hours in (0.0, 30.5, 120.0, 131.25, 240.0, 333.33, 480.0, 200.0):
        scrub(page, hours)
        shown = shown_state(page)
        replayed = json.loads(cli("replay", str(run_dir), "--at", f"{hours}h", "--json"))
        for name, node in replayed["nodes"].items():
            row = shown["nodes"][name]
            for key in ("analysts", "busy", "queue", "received", "analysed"):
                assert row[key] == node[key], (hours, name, key)
            assert row["assessments_issued"] == node["assessments_issued"], (hours, name)
            assert row["assessments_received"] == node["assessments_received"], (hours, name)
            assert row["shown_queue"] == str(len(node["queue"]))
            assert row["shown_analysts"] == str(node["analysts"])
        assert set(shown["nodes"]) == set(replayed["nodes"])
        assert shown["links"] == replayed["links"], hours
        assert replayed["when"][:16].replace("T", " ") in shown["clock"]
    scrub(page, 120.0)
    assert shown_state(page)["links"]["NATO-JISD->KOR-NIS"]["compromised"] == ["intrusion"]
    scrub(page, 239.99)
    assert shown_state(page)["nodes"]["NATO-JISD"]["analysts"] == 3
    scrub(page, 240.0)
    assert shown_state(page)["nodes"]["NATO-JISD"]["analysts"] == 5  # the intervention at 10d
    scrub(page, 200.0)
    run_run_screens(run_page)


def run_run_screens(run_page: Loaded) -> None:
    """Screenshots of the map at a busy moment, and with a link selected."""
    page = run_page.page
    run_page.screenshot("run-map")
    page.click("#links tbody tr[data-link='USA-IC->NATO-JISD']")
    run_page.screenshot("run-map-link-selected")
    # the map itself (SVG): a click on a box or an arrow selects it, a drag pans
    page.click(".g-node[data-id='KOR-NIS'] rect.box")
    assert page.inner_text("#details h3").startswith("KOR-NIS")
    assert page.locator(".g-node.selected").get_attribute("data-id") == "KOR-NIS"
    box = page.locator(".g-node[data-id='KOR-NIS'] rect.box").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 85, box["y"] + 45, steps=4)
    page.mouse.up()
    moved = page.locator(".g-node[data-id='KOR-NIS'] rect.box").bounding_box()
    assert moved is not None and round(moved["x"] - box["x"]) == 80
    assert page.inner_text("#details h3").startswith("KOR-NIS")  # a drag is not a click


def timeline_lines(page: Page, *, everything: bool = True) -> tuple[list[str], str]:
    """The lines the timeline lists; with `everything`, after asking for earlier ones."""
    while everything and page.locator("#timeline li.more button").count():
        # a click as the page gets it (scrolling the button into view would load more too)
        page.eval_on_selector("#timeline li.more button", "b => b.click()")
    # textContent: rows off screen are not laid out (content-visibility), but are listed
    lines = page.eval_on_selector_all(
        "#timeline li[data-line]", "els => els.map(li => li.textContent.replace(/\\s+/g, ' '))"
    )
    more = page.eval_on_selector_all("#timeline li.more", "els => els.map(li => li.textContent)")
    return [str(x).strip() for x in lines], " ".join(more)


def plain(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def test_as_node_lists_the_events_timeline_as_node_prints(run_page: Loaded, run_dir: Path) -> None:
    page = run_page.page
    page.select_option("#perspective", "KOR-NIS")
    scrub(page, 480.0)
    shown, more = timeline_lines(page)
    expected = plain(cli("timeline", str(run_dir), "--as", "KOR-NIS", "--plain"))
    assert len(expected) > 20 and more == ""
    assert shown == expected
    assert not any("ground truth" in line for line in shown)
    # only KOR-NIS and the links touching it, as `replay --as KOR-NIS` describes them
    state = shown_state(page)
    replayed = json.loads(cli("replay", str(run_dir), "--as", "KOR-NIS", "--json"))
    assert list(state["nodes"]) == ["KOR-NIS"]
    assert state["links"] == replayed["links"]
    run_page.screenshot("run-as-KOR-NIS")
    # the story so far, part way through
    scrub(page, 7 * 24)
    shown, _ = timeline_lines(page)
    assert shown == plain(
        cli("timeline", str(run_dir), "--as", "KOR-NIS", "--plain", "--until", "7d")
    )
    # ground truth: every line with its ground truth; the newest listed first, then on request
    page.select_option("#perspective", "")
    scrub(page, 480.0)
    newest, more = timeline_lines(page, everything=False)
    everything = plain(cli("timeline", str(run_dir), "--plain"))
    assert newest == everything[-len(newest) :] and len(newest) < len(everything)
    assert f"{len(everything) - len(newest)} earlier lines" in more
    shown, more = timeline_lines(page)
    assert shown == everything and more == ""
    assert any("[ground truth]" in line for line in shown)
    # a lesson can link to a moment and a view: report.html#t=5d&as=KOR-NIS
    page.evaluate("window.location.hash = 't=5d&as=KOR-NIS'")
    page.wait_for_function("document.getElementById('perspective').value === 'KOR-NIS'")
    state = shown_state(page)
    assert "2024-07-16 00:00" in state["clock"] and list(state["nodes"]) == ["KOR-NIS"]


def assessment_with_most_reports(run_dir: Path) -> str:
    best, most = "", -1
    for line in (run_dir / "events.jsonl").read_bytes().splitlines():
        event = orjson.loads(line)
        if (
            event["type"] in ("AssessmentIssued", "AssessmentUpdated")
            and len(event["reports"]) > most
        ):
            best, most = event["assessment"], len(event["reports"])
    return best


def test_provenance_panel_shows_what_explain_prints(run_page: Loaded, run_dir: Path) -> None:
    page = run_page.page
    item = assessment_with_most_reports(run_dir)
    page.select_option("#perspective", "")
    scrub(page, 480.0)
    page.click(".tabs button[data-tab=provenance]")
    page.select_option("#assessment", item)
    shown = page.eval_on_selector_all("#prov-lines li", "els => els.map(li => li.innerText)")
    expected = cli("explain", str(run_dir), item).splitlines()
    assert [line.rstrip() for line in shown] == [line.rstrip() for line in expected]
    graph = set(page.evaluate("window.intelsim.provenanceGraph()"))
    reports = {m.group(1) for m in re.finditer(r"^ {8}(R\d+):", "\n".join(expected), re.M)}
    usages = {m.group(1) for m in re.finditer(r"traces to (U\d+)", "\n".join(expected))}
    assert item in graph and reports and reports <= graph and usages <= graph
    run_page.screenshot("run-provenance")
    # an assessment id in the timeline opens its provenance
    page.click(".tabs button[data-tab=map]")
    link = page.locator("#timeline a.item").first
    target = link.get_attribute("data-item")
    link.click()
    assert page.input_value("#assessment") == target
    first = page.eval_on_selector("#prov-lines li", "li => li.innerText")
    assert first.startswith(f"{target}: issued by")


def test_an_address_opens_an_assessment_while_its_provenance_is_still_being_read(
    context: BrowserContext, run_page_path: Path, run_dir: Path
) -> None:
    # the provenance is a data block of its own, inflated while the page starts and parsed
    # when first shown: an assessment the address opens before that shows once it is read
    item = assessment_with_most_reports(run_dir)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(run_page_path.as_uri() + f"#item={item}&as=")
    page.wait_for_function("window.intelsim !== undefined", timeout=15000)
    page.wait_for_function("window.intelsim.ready", timeout=15000)
    page.wait_for_function(
        "(id) => (document.querySelector('#prov-lines li') || {})"
        ".innerText?.startsWith(id + ': issued')",
        arg=item,
    )
    expected = cli("explain", str(run_dir), item).splitlines()
    assert provenance_lines(page) == [line.rstrip() for line in expected]
    assert item in page.evaluate("window.intelsim.provenanceGraph()")
    assert page.input_value("#assessment") == item and errors == []
    page.close()


def test_metrics_charts_and_glossary(run_page: Loaded, run_dir: Path) -> None:
    page = run_page.page
    page.click(".tabs button[data-tab=metrics]")
    scrub(page, 480.0)
    assert page.locator("#tab-metrics .uplot").count() == 3
    metrics = json.loads(cli("metrics", str(run_dir), "--json"))
    rows = dict(
        page.eval_on_selector_all(
            "#run-metrics tbody tr",
            "trs => trs.map(tr => [tr.cells[0].innerText, tr.cells[1].innerText])",
        )
    )
    for key in ("usages", "reports", "messages_sent", "messages_dropped", "assessments_issued"):
        assert rows[key].replace(",", "") == str(metrics["run"][key]), key
    assert rows["releasability_violations"] == "0"
    outages = sum(link["outages"] for link in metrics["links"].values())
    assert page.locator("#chart-outages rect[fill='#c62828']").count() == outages
    run_page.screenshot("run-metrics")
    page.click(".tabs button[data-tab=glossary]")
    text = page.inner_text("#glossary")
    for words in ("Joint Intelligence and Security Division", "usually reliable", "BICES"):
        assert words in text
    assert "realistic possibility" in text and "NATO SECRET" in text
    run_page.screenshot("run-glossary")


@pytest.fixture(scope="module")
def experiment_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("whatif")
    variant = out / "variant.yaml"
    variant.write_text(
        f"extends: {SCENARIO}\nname: report-small-one-analyst\n"
        "nodes:\n  NATO-JISD: {analysts: 1}\n"
    )
    cli("compare", str(SCENARIO), str(variant), "--replications", "2", "--workers", "1",
        "--out", str(out))  # fmt: skip
    cli(
        "sweep",
        str(SCENARIO),
        "--replications",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--vary",
        "nodes.NATO-JISD.analysts=1,3",
    )
    found = {d.name.split("-")[0]: d for d in out.iterdir() if d.is_dir()}
    return {
        "compare": found["compare"],
        "sweep": next(d for d in out.iterdir() if "sweep" in d.name),
    }


@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_experiment_report(
    context: BrowserContext, experiment_dirs: dict[str, Path], kind: str
) -> None:
    directory = experiment_dirs[kind]
    written = write_report(directory)
    assert written.kind == kind
    loaded = open_page(context, written.path)
    page = loaded.page
    tables = sorted(p.name for p in directory.glob("*.csv"))
    shown = sorted(
        page.eval_on_selector_all(".table-block", "els => els.map(e => e.dataset.table + '.csv')")
    )
    assert shown == tables
    for path in directory.glob("*.csv"):
        rows = len(path.read_text().splitlines()) - 1
        count = page.inner_text(f".table-block[data-table='{path.stem}'] .table-tools .muted")
        assert count.startswith(f"{rows} of {rows} rows"), (path.name, count)
    assert page.locator("#charts svg").count() >= 1
    assert page.locator("#images figure").count() >= 1
    loaded.screenshot(f"{kind}")
    loaded.assert_clean()
    loaded.page.close()


# What only ground truth knows, in any of the page's words: usages and their ids,
# fabrications, where a report truly came from, compromised links.
GROUND_TRUTH = re.compile(
    r"ground truth|usage|\bU\d+\b|fabricat|traces to|misidentif|compromis|false attribution"
    r"|rests on real use|#7b1fa2",
    re.IGNORECASE,
)
TEACHING = ROOT / "scenarios" / "teaching-minimal.yaml"


def everything_on_the_page(page: Page) -> str:
    """Every text, attribute (tooltips, data-*) and graph label of the page, hidden or not.

    Left out: the page's own code and data, the glossary (definitions, not the run) and
    the choice of view (its "Ground truth" option names a view, not a fact of the run).
    """
    text: str = page.evaluate(
        """() => {
        const body = document.body.cloneNode(true);
        for (const el of body.querySelectorAll('script, #glossary, #perspective')) el.remove();
        const parts = [body.textContent];
        for (const el of body.querySelectorAll('*')) {
          for (const attr of el.attributes) parts.push(attr.value);
        }
        parts.push(...window.intelsim.graphText());
        return parts.join('\\n');
      }"""
    )
    return text


def leaks(page: Page) -> list[str]:
    """The ground truth's words on the page, each with a little of what surrounds it."""
    text = everything_on_the_page(page)
    return sorted(
        {
            f"{m.group(0)} in …{text[max(0, m.start() - 60) : m.end() + 20]}…"
            for m in GROUND_TRUTH.finditer(text)
        }
    )


@pytest.fixture(scope="module", params=["report-small", "teaching-minimal"])
def perspective_run(
    request: pytest.FixtureRequest, run_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A run and its report: the small fixture, and the lesson's scenario."""
    if request.param == "report-small":
        directory = run_dir
    else:
        outcome = run_to_directory(load_scenario(TEACHING), tmp_path_factory.mktemp("teaching"))
        directory = outcome.run_dir
    return directory, write_report(directory).path


def events_of(run_dir: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (run_dir / "events.jsonl").read_bytes().splitlines()]


def known_assessments(run_dir: Path, node: str) -> tuple[list[str], list[str]]:
    """The assessments `node` issued and those it only received, from the log."""
    issued: list[str] = []
    received: list[str] = []
    for event in events_of(run_dir):
        if event.get("node") != node:
            continue
        if event["type"] == "AssessmentIssued":
            issued.append(event["assessment"])
        elif event["type"] == "AssessmentReceived" and event["assessment"] not in received:
            received.append(event["assessment"])
    return issued, [a for a in received if a not in issued]


def provenance_lines(page: Page) -> list[str]:
    lines = page.eval_on_selector_all("#prov-lines li", "els => els.map(li => li.innerText)")
    return [str(line).rstrip() for line in lines]


def test_as_a_node_the_page_holds_nothing_of_the_ground_truth(
    context: BrowserContext, perspective_run: tuple[Path, Path]
) -> None:
    run_dir, path = perspective_run
    node = "UKR-HUR"
    issued, received = known_assessments(run_dir, node)
    assert issued and received  # both kinds of provenance a node has are tried
    # a lesson's link opens straight on the node's view: nothing else is drawn first
    loaded = open_page(context, path, f"as={node}&t=1000d")
    page = loaded.page
    assert page.input_value("#perspective") == node
    assert leaks(page) == []
    # the listed events are those `timeline --as` prints
    shown, more = timeline_lines(page)
    assert shown == plain(cli("timeline", str(run_dir), "--as", node, "--plain")) and more == ""
    # the node opens the assessments it issued or received, and no other
    options = page.eval_on_selector_all("#assessment option", "os => os.map(o => o.value)")
    assert sorted(o for o in options if o) == sorted(issued + received)
    # its provenance is what `explain --as` prints: its own arithmetic, a partner's as received
    for item in (issued[0], received[0]):
        page.evaluate(f"window.intelsim.openAssessment('{item}')")
        expected = cli("explain", str(run_dir), item, "--as", node).splitlines()
        assert provenance_lines(page) == [line.rstrip() for line in expected]
        assert leaks(page) == [], item
    assert "the arithmetic" in "\n".join(provenance_lines(page)) or received
    loaded.screenshot(f"{run_dir.name.split('-2')[0]}-as-{node}-provenance")
    # the charts, and a link's and the node's details
    page.click(".tabs button[data-tab=metrics]")
    assert page.locator("#chart-outages rect[fill='#7b1fa2']").count() == 0
    page.click(".tabs button[data-tab=map]")
    page.click(f"#links tbody tr[data-link^='{node}->']")
    page.click(f"#nodes tbody tr[data-node='{node}']")
    assert leaks(page) == []
    # ground truth: usages, fabrications and where reports came from are all there
    page.select_option("#perspective", "")
    page.evaluate(f"window.intelsim.openAssessment('{issued[0]}')")
    found = {word.split(" in …")[0].lower() for word in leaks(page)}
    assert {"ground truth", "usage", "traces to"} <= found
    assert any(re.fullmatch(r"u\d+", word) for word in found)
    page.click(".tabs button[data-tab=metrics]")
    assert page.locator("#run-metrics tbody tr").count() > 5
    # ... and gone again the moment the view is the node's, the open panel included
    page.select_option("#perspective", node)
    assert leaks(page) == []
    assert provenance_lines(page) == [
        line.rstrip() for line in cli("explain", str(run_dir), issued[0], "--as", node).splitlines()
    ]
    loaded.assert_clean()
    loaded.page.close()


def test_an_address_for_an_assessment_or_a_node_the_view_lacks_shows_none_of_it(
    context: BrowserContext, perspective_run: tuple[Path, Path]
) -> None:
    run_dir, path = perspective_run
    everyone = [e["assessment"] for e in events_of(run_dir) if e["type"] == "AssessmentIssued"]
    knows = {node: set(chain(*known_assessments(run_dir, node))) for node in ("UKR-HUR", "KOR-NIS")}
    node, unseen = next((n, item) for n in knows for item in everyone if item not in knows[n])
    loaded = open_page(context, path, f"as={node}&item={unseen}")
    page = loaded.page
    assert provenance_lines(page) == [f"{unseen}: {node} neither issued nor received it"]
    assert page.evaluate("window.intelsim.provenanceGraph()") == []
    assert leaks(page) == []
    # a mistyped view shows an empty run and says so, never the ground truth
    page.evaluate("window.location.hash = 'as=UKR-HURR&t=1000d'")
    page.wait_for_function("window.intelsim.view() === 'UKR-HURR'")
    assert "UKR-HURR" in page.inner_text("#notice") and page.is_visible("#notice")
    assert timeline_lines(page) == ([], "")
    assert leaks(page) == []
    loaded.assert_clean()
    loaded.page.close()
