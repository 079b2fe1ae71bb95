"""The Dask path gives exactly what the local process pool gives."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.executors import DaskExecutor, ProcessExecutor
from sim.experiments.sweep import Sweep, SweepSpec
from tests.builders import DESIGN_EXAMPLE_YAML


@pytest.fixture
def no_thread_left() -> Iterator[None]:
    """Dask's client leaves a thread running in this process for good (its offload pool):
    with it, every later run in the suite would start its log sidecar as a new
    interpreter instead of forking it (sim.store.piped._forks), and the forked paths
    verify and the readers take would be left untried. Its pool is stopped and replaced
    by an idle one (which starts a thread only when used)."""
    yield
    utils = sys.modules.get("distributed.utils")
    if utils is None:  # the test was skipped before importing Dask
        return
    old = utils._offload_executor
    utils._offload_executor = type(old)(max_workers=1, thread_name_prefix="Dask-Offload")
    old.shutdown(wait=True)


@pytest.mark.slow
@pytest.mark.usefixtures("no_thread_left")
def test_dask_sweep_equals_process_pool_sweep(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    example = tmp_path / "example.yaml"
    example.write_text(DESIGN_EXAMPLE_YAML)
    spec = SweepSpec(
        file=str(example),
        vary=("nodes.NATO-JISD.analysts=1,4", "links.UKR-HUR->NATO-JISD.latency.median=2h,1d"),
        replications=4,
    )
    local = Sweep.create(spec, tmp_path / "pool")
    with ProcessExecutor(2) as pool:
        local.run(pool)
    expected, expected_summary = local.finish()

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = DaskExecutor.from_client(client)
        assert executor.workers == 2
        remote = Sweep.create(spec, tmp_path / "dask")
        remote.run(executor)
        runs, summary = remote.finish()
        # a single call goes through the concurrent.futures-shaped face too
        assert executor.submit(pow, 2, 10).result() == 1024

    pd.testing.assert_frame_equal(runs, expected)
    pd.testing.assert_frame_equal(summary, expected_summary)
    assert len(runs) == 16
