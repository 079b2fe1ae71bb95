"""Snapshots of the folded state every K events (placeholder until written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_snapshot(run_dir: Path, at: float) -> Any:
    """The latest usable snapshot at or before `at`, or None."""
    return None
