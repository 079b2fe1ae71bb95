"""The engine runs with the cyclic garbage collector off: it must make no reference cycles.

Checked in a fresh interpreter: threads left by other tests (Dask, process pools) make
garbage of their own at any moment, which would make an in-process count flaky.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import gc, sys
from pathlib import Path
from sim.engine import simulate
from sim.scenario.loader import load_scenario
loaded = load_scenario(Path(sys.argv[1]))
simulate(loaded.scenario)  # first use may import modules (their own cycles)
gc.collect()
world = simulate(loaded.scenario)  # kept alive: only garbage counts
assert gc.isenabled()
print(gc.collect(), world.recorder.count)
"""


@pytest.mark.parametrize("name", ["baseline-2024", "cyber-ddos", "disinformation-surge"])
def test_a_run_leaves_no_cyclic_garbage(name: str) -> None:
    path = ROOT / "scenarios" / f"{name}.yaml"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    garbage, events = map(int, result.stdout.split())
    assert garbage == 0
    assert events > 1000
