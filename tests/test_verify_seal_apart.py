"""`verify` of a big log checks the seal in the child that judges deliveries: a seal that
does not match its log is reported as the single-process check reports it."""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path

import pytest

from tests.test_verify_apart import _run, _seen, alone_and_apart


def _reseal(run_dir: Path, change: str) -> None:
    """Change the seal (and, for 'forged', the manifest's hash of it, so it is trusted)."""
    seal = run_dir / "events.seal"
    if change == "gone":
        seal.unlink()
        return
    doc = json.loads(seal.read_bytes())
    doc["blocks"][0][3] = "0" * 64  # the first block's digest no longer the log's
    data = json.dumps(doc).encode()
    seal.write_bytes(data)
    if change == "forged":
        manifest_path = run_dir / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["seal"] = sha256(data).hexdigest()
        manifest_path.write_text(json.dumps(manifest))


@pytest.mark.parametrize("change", ["none", "gone", "changed", "forged"])
def test_the_seal_is_judged_apart_as_at_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    run_dir = _run(tmp_path)
    if change != "none":
        _reseal(run_dir, change)
    alone, apart, children = alone_and_apart(monkeypatch, run_dir)
    assert children and all(child is not None for child in children)  # the child did it
    assert _seen(apart) == _seen(alone)
    assert alone.ok == (change == "none")
    if change != "none":
        assert any("events.seal" in problem for problem in apart.problems)
