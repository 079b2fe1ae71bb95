"""`verify`'s child checks the seal as its reading reads the sealed blocks: what it finds
must be what `check_seal`'s own reading of the log says, whatever was changed."""

from __future__ import annotations

import json
import shutil
from hashlib import sha256
from pathlib import Path

import pytest
import yaml

from sim.analysis.verify import _seal_found
from sim.experiments.run import run_to_directory
from sim.scenario.loader import load_scenario
from sim.store import read_json, write_json
from sim.store.reading import LogReading
from sim.store.seal import SealBuilder, check_seal, load_seal, write_seal
from tests.builders import collector, node, scenario_dict, usage


@pytest.fixture(scope="module")
def sealed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run sealed in blocks of 29 lines (several blocks, the last one short)."""
    tmp = tmp_path_factory.mktemp("sealed")
    raw = scenario_dict(
        duration="60h",
        nodes={"A": node("UKR")},
        collectors={"c": collector("A")},
        usage_lines=[usage("2/h")],
    )
    path = tmp / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw))
    outcome = run_to_directory(load_scenario(path), tmp / "runs")
    assert outcome.run_dir is not None
    run = outcome.run_dir
    log = run / "events.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    builder = SealBuilder(29)
    builder.add(lines, [line[-67:-3] for line in lines])
    manifest = read_json(run / "manifest.json")
    manifest["seal"] = write_seal(log, builder)
    write_json(run / "manifest.json", manifest)
    assert len(load_seal(log, manifest) or []) > 3
    return run


def _forged(run: Path, change: str) -> None:
    log, seal = run / "events.jsonl", run / "events.seal"
    manifest = read_json(run / "manifest.json")
    if change == "appended":  # a line past the seal's end
        data = log.read_bytes()
        log.write_bytes(data + data.splitlines(keepends=True)[-1])
    elif change == "edited":  # a byte of the third block changed
        edited = bytearray(log.read_bytes())
        at = load_seal(log, manifest)[2].offset + 20  # type: ignore[index]
        edited[at] = ord("Z") if edited[at] != ord("Z") else ord("Y")
        log.write_bytes(bytes(edited))
    elif change == "truncated":
        data = log.read_bytes()
        log.write_bytes(data[: len(data) - 500])
    elif change in ("block-digest", "overlapping"):  # a seal re-vouched by the manifest
        doc = json.loads(seal.read_bytes())
        if change == "block-digest":
            doc["blocks"][1][3] = "0" * 64
        else:  # a block that ends before the one before it ends
            doc["blocks"].insert(2, [doc["blocks"][1][0], doc["blocks"][1][1], 3, "0" * 64, "x"])
        data = json.dumps(doc).encode()
        seal.write_bytes(data)
        manifest["seal"] = sha256(data).hexdigest()
        write_json(run / "manifest.json", manifest)
    elif change == "seal-unvouched":
        seal.write_bytes(seal.read_bytes() + b" ")
    elif change == "seal-gone":
        seal.unlink()


@pytest.mark.parametrize(
    "change",
    ["none", "appended", "edited", "truncated", "block-digest", "overlapping",
     "seal-unvouched", "seal-gone"],
)  # fmt: skip
def test_the_seal_found_by_the_reading_is_check_seals_verdict(
    sealed_run: Path, tmp_path: Path, change: str
) -> None:
    run = tmp_path / "run"
    shutil.copytree(sealed_run, run)
    _forged(run, change)
    log = run / "events.jsonl"
    manifest = read_json(run / "manifest.json")
    reading = LogReading(log, manifest)
    for _ in reading.events(hashes=False):
        pass
    expected = check_seal(log, manifest)
    assert _seal_found(reading, log, manifest) == expected
    assert (expected is None) == (change == "none")
    if change == "none":  # the reading read every block whole: nothing was read twice
        assert len(reading.matched) == len(load_seal(log, manifest) or []) > 3
