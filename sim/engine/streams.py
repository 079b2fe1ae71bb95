"""Named random streams: each component draws from its own, derived from (seed, name)."""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *names: object) -> int:
    """A 63-bit seed from a root seed and a path of names; stable across runs and machines."""
    text = ":".join([str(seed), *map(str, names)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def stream(seed: int, name: str) -> random.Random:
    """The random stream of the named component (e.g. "collector:kharkiv-prosecutors").

    Streams never share state, so changing one link's latency leaves every collector's
    draws as they were: that is what makes paired what-if comparisons tight.
    """
    return random.Random(derive_seed(seed, name))
