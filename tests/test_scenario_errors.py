"""Every broken scenario in tests/broken/ fails `validate` with a clear line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.cli.app import dispatch
from sim.scenario.loader import validate_paths

BROKEN = Path(__file__).parent / "broken"
FIXTURES = Path(__file__).parent / "fixtures"

# file -> what stderr must say (the field path first, then the why)
EXPECTED: dict[str, list[str]] = {
    "unknown-top-level-key.yaml": ["nodez:", "did you mean `nodes`?"],
    "unknown-node-field.yaml": ["nodes.UKR-HUR.analyts:", "did you mean `analysts`?"],
    "bad-duration.yaml": ["duration:", "'6x'", "a duration such as"],
    "bad-rate.yaml": ["theater.usage[0].rate:", "'fast'", "a rate such as"],
    "bad-distribution-name.yaml": [
        "nodes.UKR-HUR.analysis_time:",
        "gamma",
        "fixed, exponential, lognormal, uniform, triangular",
    ],
    "lognormal-missing-sigma.yaml": [
        "links.UKR-HUR->NATO-JISD.latency.sigma:",
        "required for a lognormal distribution",
    ],
    "detection-above-one.yaml": [
        "collectors.kharkiv-prosecutors.detection:",
        "≤ 1",
        "found 1.5",
    ],
    "bad-grade.yaml": ["collectors.kharkiv-prosecutors.grade:", "Admiralty code", "'Z9'"],
    "link-unknown-node.yaml": ["links.UKR-HUR->KOR-DIA.to:", "unknown node `KOR-DIA`"],
    "collector-unknown-node.yaml": [
        "collectors.kharkiv-prosecutors.node:",
        "did you mean `UKR-HUR`?",
    ],
    "unknown-sector.yaml": [
        "collectors.kharkiv-prosecutors.sectors[0]:",
        "did you mean `Kharkiv`?",
    ],
    "unknown-munition-usage.yaml": ["theater.usage[0].munition:", "did you mean `KN-23`?"],
    "rel-to-unknown.yaml": ["sharing[0].marking.rel_to[1]:", "`UKRA`", "did you mean `UKR`?"],
    "unknown-classification.yaml": [
        "nodes.NATO-JISD.clearance:",
        "unknown classification",
        "did you mean `NATO-SECRET`?",
    ],
    "min-sources-zero.yaml": ["nodes.NATO-JISD.fusion.min_sources:", "≥ 1", "found 0"],
    "intervention-past-end.yaml": ["interventions[0].at:", "after the end of the run (30d)"],
    "intervention-unknown-path.yaml": [
        "interventions[0].set.nodes.NATO-JISD.analyst:",
        "did you mean `analysts`?",
    ],
    "intervention-bad-value.yaml": [
        "interventions[0].set.nodes.NATO-JISD.analysts:",
        "after this change",
        "found 0",
    ],
    "set-into-fixed-latency.yaml": [
        "interventions[0].set.links.UKR-HUR->NATO-JISD.latency.median:",
        "fixed duration",
        "no `median`",
    ],
    "extends-cycle-a.yaml": ["extends:", "extends cycle", "extends-cycle-b.yaml"],
    "extends-cycle-b.yaml": ["extends:", "extends cycle", "extends-cycle-a.yaml"],
    "extends-missing-base.yaml": ["extends:", "no-such-base.yaml", "does not exist"],
    "yaml-syntax-error.yaml": ["YAML syntax error at line 4, column 1"],
    "duplicate-key.yaml": ["line 5", "duplicate key `UKR-HUR`", "first at line 4"],
    "empty-file.yaml": ["is empty"],
    "top-level-list.yaml": ["holds a list", "expected a mapping"],
    "binary-garbage.yaml": ["binary file"],
    "not-utf8.yaml": ["not UTF-8", "0xe9"],
    "self-link.yaml": ["links.UKR-HUR->UKR-HUR:", "to itself"],
    "cyber-unknown-link.yaml": ["adversary.cyber[0].links[0]:", "unknown link"],
    "usage-window-backwards.yaml": ["theater.usage[0].until:", "must be after from"],
}


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m sim ARGS`, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_broken_fixture_has_expectations() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_scenario_fails_with_field_path(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the command line in this process (`dispatch`, which `python -m sim` runs and whose
    # code it exits with): the words are the point here; the tests below run `validate`
    # as a whole process, as a user would
    path = BROKEN / name
    code = dispatch(["validate", str(path)])
    stdout, stderr = capsys.readouterr()
    output = stdout + stderr
    assert code == 2, output
    assert "Traceback" not in output
    # the error line names the file that is broken
    error_lines = [line for line in stderr.splitlines() if "warning:" not in line]
    assert any(name in line for line in error_lines), stderr
    for expected in EXPECTED[name]:
        assert expected in stderr, f"{expected!r} not in:\n{stderr}"


def test_validate_paths_reports_every_file_and_never_raises() -> None:
    paths = sorted(BROKEN.glob("*.yaml"))
    problems = validate_paths(paths)
    failed = {Path(p.file).name for p in problems if p.severity == "error"}
    assert set(EXPECTED) <= failed


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    path = tmp_path / "several.yaml"
    path.write_text(
        f"extends: {FIXTURES / 'design-example.yaml'}\n"
        "duration: 6x\n"
        "nodez: {}\n"
        "nodes:\n"
        "  UKR-HUR: {analysts: 0}\n"
        "collectors:\n"
        "  kharkiv-prosecutors: {grade: Z9, detection: -0.1}\n"
    )
    result = run_cli("validate", path)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    for field in (
        "duration:",
        "nodez:",
        "nodes.UKR-HUR.analysts:",
        "collectors.kharkiv-prosecutors.grade:",
        "collectors.kharkiv-prosecutors.detection:",
    ):
        assert field in result.stderr
    assert "5 error(s) in 1 file(s)" in result.stderr


def test_never_deliverable_sharing_rule_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "rel-to-excludes.yaml"
    path.write_text(
        f"extends: {FIXTURES / 'design-example.yaml'}\n"
        "sharing:\n"
        "  - {from: UKR-HUR, to: [NATO-JISD], items: reports,\n"
        "     marking: {classification: NATO-RESTRICTED, rel_to: [UKR]}}\n"
    )
    result = run_cli("validate", path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "sharing[0].to[0]: warning:" in result.stderr
    assert "REL TO UKR excludes NATO-JISD's nation NATO" in result.stderr
    assert "ok" in result.stdout


def test_over_classification_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "too-secret.yaml"
    path.write_text(
        f"extends: {FIXTURES / 'design-example.yaml'}\n"
        "links:\n"
        "  UKR-HUR->NATO-JISD: {max_classification: NATO-UNCLASSIFIED}\n"
    )
    problems = validate_paths([path])
    warnings = [p for p in problems if p.severity == "warning" and p.path == "sharing[0].to[0]"]
    assert [p for p in problems if p.severity == "error"] == []
    assert len(warnings) == 1
    assert "above what link UKR-HUR->NATO-JISD carries" in warnings[0].message


def test_missing_file_and_directory_are_plain_errors(tmp_path: Path) -> None:
    result = run_cli("validate", tmp_path / "nope.yaml", tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "nope.yaml: does not exist" in result.stderr
    assert "is a directory" in result.stderr


_ODD_VALUES: list[object] = [
    None,
    0,
    -1,
    1.5,
    "x",
    "6h",
    "2/d",
    [],
    {},
    [1],
    {"a": 1},
    True,
    "KN-23",
    "UKR-HUR",
    "A->B",
    {"dist": "lognormal"},
    {"dist": 3},
    "a.b",
    "",
    [None],
    {"from": "UKR-HUR"},
    {"UKR-HUR->X": None},
    10**30,
]


def _leaf_paths(node: object, trail: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [trail]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaf_paths(value, (*trail, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _leaf_paths(value, (*trail, i))
    return found


def test_mangled_scenarios_give_problems_not_crashes(tmp_path: Path) -> None:
    """Random damage to the DESIGN.md example: always Problems, never another exception."""
    import copy
    import random

    import yaml

    rng = random.Random(20240711)
    original = yaml.safe_load((FIXTURES / "design-example.yaml").read_text())
    path = tmp_path / "mangled.yaml"
    errors = 0
    for _ in range(300):
        doc = copy.deepcopy(original)
        for _ in range(rng.randint(1, 3)):
            trail: Any = rng.choice(_leaf_paths(doc)[1:])
            *parents, last = trail
            holder: Any = doc
            for key in parents:
                holder = holder[key]
            if isinstance(holder, dict) and rng.random() < 0.3:
                del holder[last]
            elif isinstance(holder, dict | list):
                holder[last] = rng.choice(_ODD_VALUES)
        path.write_text(yaml.safe_dump(doc))
        problems = validate_paths([path])
        assert all(p.path or p.file for p in problems)
        errors += any(p.severity == "error" for p in problems)
    assert errors > 200  # the damage is real: most files must be rejected
