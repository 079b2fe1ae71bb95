"""`verify` of a big log judges markings and metrics, and checks the chain, in forked
children: the verdict must be the one the single-process check gives, fault for fault."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

import sim.analysis.verify as verify_module
import sim.store.forked as forked
import sim.store.verify as store_verify
from sim.analysis.verify import RunVerdict, verify_run
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store.forked import Forked, fork
from tests.builders import collector, link, node, rule, scenario_dict, usage


def _run(tmp_path: Path) -> Path:
    raw = scenario_dict(
        duration="100h",
        nodes={"A": node("UKR"), "B": node("USA", clearance="NATO-SECRET")},
        links=[link("A", "B", latency="3h", max_classification="NATO-SECRET")],
        collectors={"c": collector("A")},
        usage_lines=[usage("1/h")],
        sharing=[rule("A", ["B"], classification="NATO-SECRET")],
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    outcome = run_to_directory(load_scenario(path), tmp_path / "runs")
    assert outcome.run_dir is not None
    return outcome.run_dir


def _forge_link(run_dir: Path) -> None:
    """The scenario the run claims now forbids what its link carried: every delivery is refused."""
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["resolved"]["links"][0]["max_classification"] = "NATO-CONFIDENTIAL"
    manifest_path.write_text(json.dumps(manifest))


def _apart(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    size = 0 if on else 1 << 60
    monkeypatch.setattr(verify_module, "PARALLEL_BYTES", size)
    monkeypatch.setattr(store_verify, "PARALLEL_BYTES", size)
    monkeypatch.setattr(verify_module, "spare_core", lambda: True)  # whatever the load
    _fork_here(monkeypatch)


def _fork_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads other tests left idle in this process would stop the fork: none is used."""
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)


def _seen(verdict: RunVerdict) -> tuple[object, ...]:
    log = verdict.log
    return (verdict.ok, log.count, log.first_bad_seq, log.problems, log.more_problems,
            verdict.problems, [n for n in verdict.notes if "snapshot" not in n])  # fmt: skip


def alone_and_apart(
    monkeypatch: pytest.MonkeyPatch, run_dir: Path
) -> tuple[RunVerdict, RunVerdict, list[Forked | None]]:
    """`run_dir` verified in one process, then with children (and the children forked)."""
    _apart(monkeypatch, False)
    alone = verify_run(run_dir)
    _apart(monkeypatch, True)
    children: list[Forked | None] = []
    real = verify_module.fork

    def counted(*args: object) -> Forked | None:
        children.append(real(*args))  # type: ignore[arg-type]
        return children[-1]

    monkeypatch.setattr(verify_module, "fork", counted)
    return alone, verify_run(run_dir), children


@pytest.mark.parametrize("forge", [False, True], ids=["intact", "refused-deliveries"])
def test_forked_verify_finds_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forge: bool
) -> None:
    run_dir = _run(tmp_path)
    if forge:
        _forge_link(run_dir)
    alone, forked, children = alone_and_apart(monkeypatch, run_dir)
    assert children and children[0] is not None  # judged in a child indeed
    assert _seen(forked) == _seen(alone)
    if forge:  # not vacuous: more refusals than verify names, the rest counted
        assert not forked.ok and forked.log.more_problems > 0
        assert "delivered over A->B" in forked.log.problems[0]
    else:
        assert forked.ok
        assert "metrics.json matches the metrics recomputed from the log" in forked.notes


def test_a_failed_child_is_replaced_by_the_same_work_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = _run(tmp_path)
    _forge_link(run_dir)
    _apart(monkeypatch, False)
    alone = verify_run(run_dir)
    _apart(monkeypatch, True)
    monkeypatch.setattr(Forked, "result", lambda self: (self.close(), None)[1])
    assert _seen(verify_run(run_dir)) == _seen(alone)


def test_a_child_that_raises_gives_none_and_one_left_alone_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fork_here(monkeypatch)

    def boom() -> None:
        raise RuntimeError("no")

    failed = fork(boom)
    assert failed is not None and failed.result() is None
    worked = fork(sum, [1, 2, 3])
    assert worked is not None and worked.result() == 6
    stuck = fork(pow, 10, 10**6)  # a result bigger than the pipe holds: the child waits
    assert stuck is not None
    stuck.close()  # never read: killed and reaped, no process left behind
    with pytest.raises(ChildProcessError):
        os.waitpid(stuck.pid, 0)


def test_forked_verify_names_an_edited_line_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = _run(tmp_path)
    _forge_link(run_dir)
    log = run_dir / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    at = len(lines) // 2  # an edit the chain catches half way: nothing after it is judged
    lines[at] = lines[at].replace(b'"t":', b'"t": ', 1)
    log.write_bytes(b"".join(lines))
    _apart(monkeypatch, False)
    alone = verify_run(run_dir)
    _apart(monkeypatch, True)
    forked = verify_run(run_dir)
    assert _seen(forked) == _seen(alone)
    assert not forked.ok
    refused = [int(p.split(":")[0][4:]) for p in forked.log.problems if "delivered over" in p]
    assert refused and max(refused) < at  # only what came before the edit is judged
