"""Releasability under interventions: one rule, judged with the rules in force at each moment.

Issue 7's bug first: an intervention raising a node's clearance mid-run made `verify`
reject a valid run, because its marking check read the scenario as it was at the start.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from sim.analysis.verify import verify_run
from sim.events import MessageDelivered, MessageDropped
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_events
from tests.builders import collector, link, node, rule, scenario_dict, usage

CHANGE_AT = 50.0


def _run(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    outcome = run_to_directory(load_scenario(path), tmp_path / "runs")
    assert outcome.run_dir is not None
    return outcome.run_dir


def _clearance_scenario(before: str, after: str) -> dict[str, Any]:
    """A (UKR) shares every report with B (USA) as NATO-SECRET; B's clearance changes at 50 h."""
    return scenario_dict(
        duration="100h",
        nodes={"A": node("UKR"), "B": node("USA", clearance=before)},
        links=[link("A", "B", latency="3h", max_classification="NATO-SECRET")],
        collectors={"c": collector("A")},
        usage_lines=[usage("1/h")],
        sharing=[rule("A", ["B"], classification="NATO-SECRET")],
        interventions=[{"at": f"{CHANGE_AT}h", "set": {"nodes.B.clearance": after}}],
    )


def _outcomes(run_dir: Path) -> tuple[list[MessageDelivered], list[MessageDropped]]:
    events = list(read_events(run_dir / "events.jsonl"))
    delivered = [e for e in events if isinstance(e, MessageDelivered)]
    dropped = [e for e in events if isinstance(e, MessageDropped)]
    return delivered, dropped


def test_raising_a_clearance_mid_run_verifies(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, _clearance_scenario("NATO-CONFIDENTIAL", "NATO-SECRET"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["releasability_violations"] == 0
    delivered, dropped = _outcomes(run_dir)
    # not vacuous: refused before the change, delivered after it
    assert dropped and all(e.reason == "insufficient-clearance" for e in dropped)
    assert all(e.t <= CHANGE_AT for e in dropped)
    assert len(delivered) > 20 and all(e.t > CHANGE_AT for e in delivered)
    verdict = verify_run(run_dir)
    assert verdict.ok, (verdict.log.problems, verdict.problems)


def test_lowering_a_clearance_mid_run_stops_what_is_on_its_way(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, _clearance_scenario("NATO-SECRET", "NATO-CONFIDENTIAL"))
    delivered, dropped = _outcomes(run_dir)
    assert len(delivered) > 20 and all(e.t <= CHANGE_AT for e in delivered)
    # messages sent before the change and due after it are refused on arrival
    arriving = [e for e in dropped if e.t == CHANGE_AT + 3.0 or CHANGE_AT < e.t < CHANGE_AT + 3.0]
    assert arriving and all(e.reason == "insufficient-clearance" for e in dropped)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["releasability_violations"] == 0
    assert verify_run(run_dir).ok


def test_verify_names_a_delivery_against_the_rules_in_force(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, _clearance_scenario("NATO-CONFIDENTIAL", "NATO-SECRET"))
    # forge the scenario the run claims: the link now carries at most NATO-CONFIDENTIAL
    manifest_path = run_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["resolved"]["links"][0]["max_classification"] = "NATO-CONFIDENTIAL"
    manifest_path.write_text(json.dumps(manifest))
    verdict = verify_run(run_dir)
    assert not verdict.ok
    first = _outcomes(run_dir)[0][0]
    assert verdict.log.first_bad_seq == first.seq
    assert (
        f"{first.item} delivered over A->B: NATO-SECRET is above what link A->B carries "
        "(NATO-CONFIDENTIAL)"
    ) in verdict.log.problems[0]
