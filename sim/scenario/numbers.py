"""Numbers and flags as a scenario must write them: `true` is not 1, and "3" is not 3.

Pydantic's lax mode reads `analysts: true` as one analyst and `enabled: 1` as true,
and the manifest then records what the user never meant. Whole numbers, real numbers
and flags are strict here; a whole number is still a real number (`detection: 1`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

from sim.limits import SEED_LIMIT

Whole = Annotated[int, Strict()]
Real = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Flag = Annotated[bool, Strict()]
Probability = Annotated[Real, Field(ge=0.0, le=1.0)]

__all__ = ["SEED_LIMIT", "Flag", "Probability", "Real", "Whole"]
