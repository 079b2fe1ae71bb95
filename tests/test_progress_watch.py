"""The console's progress bar starts no thread, so replications run in this process
(`--workers 1`) fork their logs' sidecars rather than spawn a fresh interpreter each."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import sim.store.piped as piped
from sim.cli.app import app
from sim.report.watching import ConsoleWatch
from tests.builders import DESIGN_EXAMPLE_YAML


def test_the_bar_runs_no_thread_and_redraws_as_it_advances() -> None:
    drawn = io.StringIO()
    watch = ConsoleWatch(
        Console(file=io.StringIO()), Console(file=drawn, force_terminal=True, width=100)
    )
    before = threading.active_count()
    with watch.progress("replications", 3) as tally:
        assert threading.active_count() == before
        tally.advance(1)
        assert "1/3" in drawn.getvalue()  # drawn by the advance itself
        tally.retotal(5)
        tally.advance(1)
        assert "2/5" in drawn.getvalue()
    assert threading.active_count() == before


def test_a_sweep_in_this_process_asks_for_its_sidecars_with_no_thread_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = tmp_path / "example.yaml"
    example.write_text(DESIGN_EXAMPLE_YAML)
    asked: list[int] = []  # the threads running each time a log's sidecar is started
    forks = piped._forks

    def counted() -> bool:
        asked.append(threading.active_count())
        return forks()

    monkeypatch.setattr(piped, "_forks", counted)
    before = threading.active_count()
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(example),
            "--vary",
            "nodes.NATO-JISD.analysts=1,2",
            "--replications",
            "2",
            "--workers",
            "1",
            "--keep-logs",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert asked == [before] * 4  # every replication's log, under the progress bar
