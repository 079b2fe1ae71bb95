"""One rule for "is a core free" (sim.store.forked.spare_core), used by every command that
forks a child to read a big log: verify, metrics and timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis import metric_changes, timeline_apart, verify
from sim.store import forked


def test_every_command_that_forks_asks_the_one_rule() -> None:
    assert verify.spare_core is forked.spare_core
    assert metric_changes.spare_core is forked.spare_core
    assert timeline_apart.spare_core is forked.spare_core


@pytest.mark.parametrize(
    ("text", "running"),
    [
        (b"0.52 0.58 0.59 3/467 12345\n", 3),
        (b"4.00 2.00 1.00 1/90 7\n", 1),
        (b"0.52 0.58 0.59\n", None),  # no fourth field
        (b"0.52 0.58 0.59 x/467 12345\n", None),
        (b"", None),
    ],
)
def test_the_tasks_running_now_are_read_from_loadavg(
    tmp_path: Path, text: bytes, running: int | None
) -> None:
    path = tmp_path / "loadavg"
    path.write_bytes(text)
    assert forked.running_now(path) == running


def test_no_loadavg_file_says_nothing_of_now(tmp_path: Path) -> None:
    assert forked.running_now(tmp_path / "absent") is None


def _machine(
    monkeypatch: pytest.MonkeyPatch, cores: int, running: int | None, load: float | None
) -> None:
    """A machine with `cores` for this process, `running` tasks now (None: no /proc) and
    a minute's load average of `load` (None: none to ask)."""
    monkeypatch.setattr(forked, "_cores", lambda: cores)
    monkeypatch.setattr(forked, "running_now", lambda path: running)
    monkeypatch.setattr(forked, "_load_average", lambda: load)


@pytest.mark.parametrize(
    ("cores", "running", "load", "spare"),
    [
        (2, 1, 0.0, True),  # only this process runs now
        (2, 1, 3.0, True),  # the last minute was busy, this moment is not: now decides
        (2, 2, 0.0, False),  # another task runs now, though the minute was quiet
        (4, 3, 9.0, True),
        (4, 4, 0.0, False),
        (1, 0, 0.0, False),  # one core: nothing to spare, whatever the load
        (0, 1, 0.0, False),  # the cores cannot be asked
        (2, None, 0.5, True),  # no /proc: the minute's load average, less this process
        (2, None, 1.5, True),
        (2, None, 2.0, False),
        (4, None, 3.5, True),
        (4, None, 4.0, False),
        (2, None, None, False),  # nothing to go on: no child
    ],
)
def test_a_core_is_spare_when_fewer_tasks_run_now_than_cores(
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    running: int | None,
    load: float | None,
    spare: bool,
) -> None:
    _machine(monkeypatch, cores, running, load)
    assert forked.spare_core() is spare


def test_the_rule_reads_proc_loadavg_where_it_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "loadavg"
    monkeypatch.setattr(forked, "LOADAVG", path)
    monkeypatch.setattr(forked, "_cores", lambda: 2)
    monkeypatch.setattr(forked, "_load_average", lambda: 0.0)  # the minute would say yes
    path.write_bytes(b"1.90 1.00 0.50 2/100 99\n")
    assert forked.spare_core() is False
    path.write_bytes(b"1.90 1.00 0.50 1/100 99\n")
    assert forked.spare_core() is True
