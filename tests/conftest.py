"""Fixtures shared by several test modules.

The suite runs on every core (pytest-xdist, pyproject.toml's addopts): a session fixture
is made once per worker process, at most, and only read by the tests that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from sim.store import forked
from tests.runs import Run

Forks = Callable[[ModuleType], list[Any]]


@pytest.fixture(scope="session")
def teaching_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """teaching-minimal, run once (read by the timeline's and the reading's tests)."""
    return Run("teaching-minimal.yaml", tmp_path_factory.mktemp("teaching"))


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """baseline-2024 (~45,000 events, sealed in several blocks), run once."""
    return Run("baseline-2024.yaml", tmp_path_factory.mktemp("baseline"))


@pytest.fixture
def children_of(monkeypatch: pytest.MonkeyPatch) -> Forks:
    """``children_of(module)``: the children `module` forks from now on (None for a fork
    refused), counted; and a fork never refused for threads that other tests of this
    process left idle (a browser's, Dask's: the child uses none of them), so a test
    about a forked path takes it, and can say it did."""
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)

    def counting(module: ModuleType) -> list[Any]:
        children: list[Any] = []
        real = module.fork

        def counted(*args: Any) -> Any:
            children.append(real(*args))
            return children[-1]

        monkeypatch.setattr(module, "fork", counted)
        return children

    return counting
