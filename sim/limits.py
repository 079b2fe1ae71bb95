"""Bounds the program enforces, in one place for the command line and the library.

Kept free of imports so that the command line can show them without loading the model.
"""

from __future__ import annotations

SEED_LIMIT = 2**63  # seeds are 63-bit: what derive_seed makes and what the log stores
DEFAULT_MAX_EVENTS = 10_000_000  # ~2.6 GB of log and minutes of run: past that, ask first
