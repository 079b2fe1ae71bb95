"""Fixtures shared by several test modules.

The suite runs on every core (pytest-xdist, pyproject.toml's addopts): a session fixture
is made once per worker process, at most, and only read by the tests that use it.
"""

from __future__ import annotations

import pytest

from tests.runs import Run


@pytest.fixture(scope="session")
def teaching_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """teaching-minimal, run once (read by the timeline's and the reading's tests)."""
    return Run("teaching-minimal.yaml", tmp_path_factory.mktemp("teaching"))


@pytest.fixture(scope="session")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """baseline-2024 (~45,000 events, sealed in several blocks), run once."""
    return Run("baseline-2024.yaml", tmp_path_factory.mktemp("baseline"))
