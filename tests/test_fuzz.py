"""Fuzzing the scenario loader and the command line: a declared error or success, nothing else.

Every case runs the real command line in this process (`dispatch`, with
INTELSIM_DEBUG=1 so that a bug raises instead of becoming exit 70) and must end in
exit 0 or exit 2 with its one-line errors. Documents the loader accepts must also pass
the published JSON Schema, and small ones are simulated in memory: a valid scenario
that crashes the engine would be exit 70 for `intelsim run`.

Derandomized, so CI always runs the same cases. `INTELSIM_FUZZ_SCALE=N` runs N times
as many, `INTELSIM_FUZZ_RANDOM=1` draws new ones (the long runs quoted in
docs/reliability.md).
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.app import dispatch
from sim.engine.workload import estimate_events
from sim.experiments.replications import simulate_metrics
from sim.scenario import yaml_reader
from sim.scenario.loader import load_scenario, validate_raw
from sim.scenario.problems import Origin
from tests.fuzzing import (
    SCENARIOS,
    SEED_TEXTS,
    TIMES,
    mutated_bytes,
    mutated_document,
    mutated_text,
    override,
    vary,
)

SCALE = int(os.environ.get("INTELSIM_FUZZ_SCALE", "1"))
RANDOM = bool(os.environ.get("INTELSIM_FUZZ_RANDOM"))
SIMULATE_UP_TO = 3_000  # expected events: small enough to run every such case
TEACHING = str(SCENARIOS / "teaching-minimal.yaml")
COUNTS: Counter[str] = Counter()
# (the last test counts what the fuzzers above reached, in this process: a module's tests
# run on one worker, in order, pyproject.toml's --dist loadfile)


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples * SCALE,
        derandomize=not RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture(scope="module", autouse=True)
def debug(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Bugs raise (with their traceback) instead of becoming exit 70."""
    old = os.environ.get("INTELSIM_DEBUG")
    os.environ["INTELSIM_DEBUG"] = "1"
    yield
    if old is None:
        del os.environ["INTELSIM_DEBUG"]
    else:
        os.environ["INTELSIM_DEBUG"] = old


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def cli(*argv: str) -> tuple[int, str]:
    """Exit code and everything printed, of one command line in this process."""
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        code = dispatch(list(argv))
    return code, out.getvalue()


def declared(code: int, text: str, allowed: tuple[int, ...] = (0, 2)) -> None:
    assert code in allowed, text
    assert "Traceback" not in text and "internal error" not in text, text
    if code == 2:
        assert "error" in text.lower() or "invalid value" in text.lower(), text


@pytest.fixture(scope="module")
def schema() -> jsonschema.Draft202012Validator:
    published = json.loads((SCENARIOS.parent / "schemas" / "scenario.schema.json").read_text())
    return jsonschema.Draft202012Validator(published)


class _EditorLoader(yaml_reader.Parser):  # type: ignore[name-defined,misc]
    """YAML as an editor reads it against the schema: dates stay text."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _accepted(path: Path, schema: jsonschema.Draft202012Validator) -> None:
    """A document the loader accepts: the schema agrees, and a small one runs."""
    COUNTS["documents accepted"] += 1
    document = yaml.load(path.read_text(), Loader=_EditorLoader)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema.iter_errors(document)]
    assert errors == [], "the loader accepts what the published schema refuses"
    loaded = load_scenario(path)
    if estimate_events(loaded.scenario).events <= SIMULATE_UP_TO:
        simulate_metrics(loaded.scenario, loaded.raw, loaded.scenario.seed)
        COUNTS["documents simulated"] += 1


@fuzz(1000)
@given(case=mutated_document())
def test_mutated_documents(
    case: tuple[str, dict[str, Any]], work: Path, schema: jsonschema.Draft202012Validator
) -> None:
    """Validated in memory (the loader after YAML); each accepted one, and one in eight of
    the rest, also as a file through `intelsim validate`, which must agree."""
    what, doc = case
    COUNTS["documents"] += 1
    scenario, problems = validate_raw(doc, Origin(top="fuzzed.yaml"))
    refused = scenario is None or any(p.severity == "error" for p in problems)
    assert not refused or problems, what
    assert all(str(p).startswith("fuzzed.yaml") for p in problems), what
    if refused and COUNTS["documents"] % 8:
        return
    path = work / "document.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    code, text = cli("validate", str(path))
    declared(code, text)
    assert code == (2 if refused else 0), (what, text)
    if code == 0:
        _accepted(path, schema)


@fuzz(500)
@given(text=mutated_text())
def test_broken_yaml_syntax(text: str, work: Path, schema: jsonschema.Draft202012Validator) -> None:
    path = work / "syntax.yaml"
    path.write_text(text)
    code, said = cli("validate", str(path))
    declared(code, said)
    COUNTS["yaml texts"] += 1
    if code == 0:
        _accepted(path, schema)


@fuzz(400)
@given(data=mutated_bytes())
def test_raw_bytes(data: bytes, work: Path) -> None:
    path = work / "bytes.yaml"
    path.write_bytes(data)
    code, said = cli("validate", str(path))
    declared(code, said)
    COUNTS["byte strings"] += 1


# --- command lines ---------------------------------------------------------------------

# --max-events 1: every input is checked in full, then the workload guard refuses before
# anything runs (each accepted case says so), which keeps thousands of cases fast.
REFUSED = "more than the limit of 1;"


@fuzz(200)
@given(
    sets=st.lists(override(), max_size=3),
    seed=st.one_of(st.none(), SEED_TEXTS),
)
def test_run_command_lines(sets: list[str], seed: str | None, work: Path) -> None:
    argv = ["run", TEACHING, *[a for s in sets for a in ("--set", s)]]
    argv += [] if seed is None else ["--seed", seed]
    code, text = cli(*argv, "--max-events", "1", "--out", str(work / "logs"))
    declared(code, text, (2,))
    COUNTS["run command lines"] += 1
    COUNTS["run command lines accepted"] += REFUSED in text


@fuzz(120)
@given(varies=st.lists(vary(), min_size=1, max_size=2), sets=st.lists(override(), max_size=1))
def test_sweep_command_lines(varies: list[str], sets: list[str], work: Path) -> None:
    argv = ["sweep", TEACHING, *[a for v in varies for a in ("--vary", v)]]
    argv += [a for s in sets for a in ("--set", s)]
    code, text = cli(*argv, "--replications", "2", "--max-events", "1", "--out", str(work / "s"))
    declared(code, text, (2,))
    COUNTS["sweep command lines"] += 1
    COUNTS["sweep command lines accepted"] += REFUSED in text


@pytest.fixture(scope="module")
def recorded(work: Path) -> str:
    code, text = cli("run", TEACHING, "--out", str(work / "runs"))
    assert code == 0, text
    (run,) = (work / "runs").iterdir()
    return str(run)


@fuzz(180)
@given(
    verb=st.sampled_from(["replay", "timeline", "branch"]),
    when=TIMES,
    node=st.one_of(st.none(), st.sampled_from(["NATO-JISD", "UKR-HUR", "NOPE", ""])),
    sets=st.lists(override(), min_size=1, max_size=2),
)
def test_time_command_lines(
    verb: str, when: str, node: str | None, sets: list[str], recorded: str, work: Path
) -> None:
    flag = "--until" if verb == "timeline" else "--at"
    argv = [verb, recorded, flag, when]
    if verb == "branch":
        argv += [*[a for s in sets for a in ("--set", s)], "--max-events", "1"]
        argv += ["--out", str(work / "branches")]
        allowed: tuple[int, ...] = (2,)
    else:
        argv += [] if node is None else ["--as", node]
        allowed = (0, 2)
    code, text = cli(*argv)
    declared(code, text, allowed)
    COUNTS[f"{verb} command lines"] += 1
    COUNTS[f"{verb} command lines accepted"] += code == 0 or REFUSED in text


def test_the_fuzzers_reached_the_interesting_cases() -> None:
    """Not vacuous: some inputs got through, some were refused, small scenarios ran."""
    print("\nfuzz cases:", dict(sorted(COUNTS.items())))  # quoted in docs/reliability.md
    total = 1000 + 500 + 400 + 200 + 120 + 180
    cases = sum(v for k, v in COUNTS.items() if not k.endswith(("accepted", "simulated")))
    assert cases >= total * SCALE * 0.9  # hypothesis may stop early on few distinct inputs
    assert COUNTS["documents accepted"] >= 50
    assert COUNTS["documents simulated"] >= 20
    assert COUNTS["documents accepted"] < COUNTS["documents"]
    for verb in ("run", "sweep", "replay", "timeline", "branch"):
        assert 0 < COUNTS[f"{verb} command lines accepted"] < COUNTS[f"{verb} command lines"]
