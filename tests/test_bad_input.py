"""Input that used to be silently wrong or an internal error is now a declared error (exit 2).

Each case is one found by trying intelsim as a new user would (issue 11, items 6 and 7):
the command line runs in this process through `dispatch`, which returns the exit code
the program would leave with.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import yaml

from sim.cli.app import dispatch
from sim.errors import LogError, ScenarioError
from sim.experiments.executors import SerialExecutor
from sim.experiments.sweep import Sweep, SweepError, SweepSpec
from sim.scenario import yaml_reader
from sim.scenario.loader import load_scenario
from sim.scenario.schema import scenario_json_schema
from sim.store import write_json
from sim.store.status import marks_failure
from tests.signals import ROOT, SCENARIOS

TEACHING = str(SCENARIOS / "teaching-minimal.yaml")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Exit code and stderr of one command line."""
    code = dispatch(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("override", "said"),
    [
        ("nodes.NATO-JISD.analysts=true", "expected a whole number, found True"),
        ("nodes.NATO-JISD.analysts='3'", "expected a whole number, found '3'"),
        ("nodes.NATO-JISD.analysts=2.0", "expected a whole number, found 2.0"),
        ("links.UKR-HUR->NATO-JISD.enabled=1", "expected true or false, found 1"),
        ("collectors.kharkiv-prosecutors.detection=true", "expected a number, found True"),
        ("collectors.kharkiv-prosecutors.detection=.nan", "expected a finite number"),
        ("links.UKR-HUR->NATO-JISD.capacity=0/d", "a capacity of 0 would carry nothing"),
        ("seed=-1", "expected a number ≥ 0, found -1"),
        ("start=0", "expected a date and time such as 2024-07-11T00:00:00Z, found 0"),
        ("start='1720656000'", "expected a date and time such as 2024-07-11T00:00:00Z"),
        ("name=2024-13-40", "`2024-13-40` is not a date: month must be in 1..12"),
        ("seed=9223372036854775808", "expected a number < 9.22337e+18"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(override: str, said: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(Path(TEACHING), [override])
    assert said in str(caught.value), str(caught.value)


def test_a_whole_number_is_still_a_real_number() -> None:
    loaded = load_scenario(Path(TEACHING), ["collectors.kharkiv-prosecutors.detection=1"])
    assert loaded.scenario.collectors["kharkiv-prosecutors"].detection == 1.0


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["run", TEACHING, "--seed", "-1"], "--seed"),
        (["run", TEACHING, "--seed", "9223372036854775808"], "--seed"),
        (["sweep", TEACHING, "--seed", "-3", "--vary", "seed=1"], "--seed"),
        (["run", TEACHING, "--out", ""], "--out"),
        (["sweep", TEACHING, "--vary", "seed=1,2"], "the seed is not a factor"),
        (
            ["sweep", TEACHING, "--vary", "duration=10d,20d", "--vary", "duration=30d"],
            "--vary duration is given more than once",
        ),
    ],
)
def test_bad_command_lines_are_refused_before_anything_is_written(
    argv: list[str],
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # `--out ''` once wrote into the current directory
    code, err = cli(capsys, *argv, *(["--out", "logs"] if "--out" not in argv else []))
    assert code == 2
    assert said in err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_precision_metric_is_refused_before_any_replication(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = cli(
        capsys,
        *["run", TEACHING, "--replications", "3", "--workers", "1"],
        *["--precision", "nodes.NOPE.coverage=0.1", "--out", str(tmp_path / "logs")],
    )
    assert code == 2
    assert "no metric `nodes.NOPE.coverage`; did you mean" in err
    assert not (tmp_path / "logs").exists()


def test_a_precision_metric_of_an_open_family_is_accepted(tmp_path: Path) -> None:
    from sim.experiments.replications import Precision, check_precision, known_metrics

    scenario = load_scenario(Path(TEACHING)).scenario
    names, families = known_metrics(scenario)
    assert "nodes.NATO-JISD.coverage" in names
    assert "drops_by_reason." in families
    check_precision([Precision.parse("drops_by_reason.link-down=1")], scenario)


def test_a_symlink_loop_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: a.yaml\nname: c\n")
    code, err = cli(capsys, "validate", str(tmp_path / "c.yaml"), str(tmp_path / "b.yaml"))
    assert code == 2
    assert "c.yaml: extends: " in err and "a.yaml is a symbolic link that loops" in err
    assert "b.yaml: is a symbolic link that loops back on itself" in err


LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(
            f"{n}: &{n} [{', '.join(['*' + p] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "name: laughs",
    ]
)


def test_a_billion_laughs_is_refused_before_it_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """9^9 values on paper, 1 kB on disk: measured as nodes, never built."""

    def never(*_: Any) -> Any:
        raise AssertionError("the document was built")

    monkeypatch.setattr(yaml_reader.StrictLoader, "construct_document", never)
    (tmp_path / "laughs.yaml").write_text(LAUGHS)
    code, err = cli(capsys, "validate", str(tmp_path / "laughs.yaml"))
    assert code == 2
    assert "holds more than 100,000 values once its aliases (*name) are expanded" in err


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = (SCENARIOS / "teaching-minimal.yaml").read_text()
    text = text.replace("nodes:\n", "x-slow: &slow {dist: exponential, mean: 9h}\nnodes:\n", 1)
    path = tmp_path / "aliased.yaml"
    path.write_text(text.replace("x-slow", "description"))
    with pytest.raises(ScenarioError, match="description"):  # a mapping is not text
        load_scenario(path)
    doc = yaml_reader.read_yaml("a: &d {dist: fixed, value: 2h}\nb: [*d, *d]\n")
    assert doc["b"] == [doc["a"], doc["a"]]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a: &a [*a]\nname: x\n", "an alias contains itself"),
        ("name: " + "[" * 60 + "]" * 60 + "\n", "nests more than 40 levels deep"),
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    ],
)
def test_documents_nesting_forever_are_refused(text: str, said: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=said):
        load_scenario(path)


# --- a full disk ---------------------------------------------------------------------


def test_a_sweep_journal_on_a_full_disk_is_a_clear_error(tmp_path: Path) -> None:
    """/dev/full refuses every write with ENOSPC, as a full disk does."""
    spec = SweepSpec(file=TEACHING, vary=("nodes.NATO-JISD.analysts=2,4",), replications=10)
    sweep = Sweep.create(spec, tmp_path / "logs")
    (sweep.directory / "rows.jsonl").symlink_to("/dev/full")
    with pytest.raises(SweepError, match=r"cannot write the sweep journal .*No space left"):
        sweep.run(SerialExecutor())
    manifest = orjson.loads((sweep.directory / "manifest.json").read_bytes())
    assert manifest["status"] == "failed"
    assert "No space left on device" in manifest["error"]


def test_a_manifest_the_full_disk_cannot_replace_is_rewritten_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk refuses the new file an atomic write needs; the compact manifest fits
    in the space the indented one held."""
    path = tmp_path / "manifest.json"
    manifest = {"status": "running", "resolved": {"nodes": {f"N{i}": i for i in range(50)}}}
    write_json(path, manifest)
    size = path.stat().st_size

    def refuse(*_: object) -> None:
        raise LogError("cannot write manifest.json: No space left on device")

    monkeypatch.setattr("sim.store.status.write_json", refuse)
    with pytest.raises(SweepError), marks_failure(path, manifest):
        raise SweepError("cannot write the sweep journal rows.jsonl: No space left on device")
    written = orjson.loads(path.read_bytes())
    assert written["status"] == "failed"
    assert written["error"] == "cannot write the sweep journal rows.jsonl: No space left on device"
    assert path.stat().st_size <= size


@pytest.mark.slow
def test_a_sweep_that_fills_its_disk_exits_2_with_a_failed_manifest(tmp_path: Path) -> None:
    """A file-size limit makes the disk refuse writes part way through (as when full)."""
    limit = 96 * 1024  # room for the manifest, not for every row of the journal

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    argv = ["sweep", TEACHING, "--vary", "nodes.NATO-JISD.analysts=2,4", "--replications", "40"]
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *argv, "--workers", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=limited,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cannot write" in proc.stderr and "File too large" in proc.stderr
    (manifest_path,) = tmp_path.rglob("manifest.json")
    manifest = orjson.loads(manifest_path.read_bytes())
    assert manifest["status"] == "failed"


# --- the published JSON Schema ---------------------------------------------------------


class _EditorLoader(yaml_reader.Parser):  # type: ignore[name-defined,misc]
    """YAML as an editor's language server reads it: dates stay text (YAML 1.2)."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates_against_the_published_schema(path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "scenario.schema.json").read_text())
    assert schema == scenario_json_schema()
    document = yaml.load(path.read_text(), Loader=_EditorLoader)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert problems == []


@pytest.mark.parametrize(
    ("old", "new", "valid"),
    [
        ("", "", True),
        ("link: UKR-HUR->NATO-JISD, ", "", False),
        ("link: UKR-HUR->NATO-JISD", "links: [UKR-HUR->NATO-JISD]", True),
    ],
)
def test_schema_and_loader_agree_on_naming_the_links_attacked(
    old: str, new: str, valid: bool, tmp_path: Path
) -> None:
    """Not vacuous: an attack naming no link fails both; `link` or `links` passes both."""
    text = (SCENARIOS / "teaching-minimal.yaml").read_text()
    assert old in text
    path = tmp_path / "teaching.yaml"
    path.write_text(text.replace(old, new) if old else text)
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    schema_ok = not list(validator.iter_errors(yaml.load(path.read_text(), Loader=_EditorLoader)))
    try:
        load_scenario(path)
        loader_ok = True
    except ScenarioError as exc:
        loader_ok = False
        assert "name the links it attacks" in str(exc)
    assert schema_ok == loader_ok == valid
