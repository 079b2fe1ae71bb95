"""Numbers, flags and times as a scenario must write them: `true` is not 1, "3" is not 3.

Pydantic's lax mode reads `analysts: true` as one analyst, `enabled: 1` as true and
`start: 0` as 1 January 1970 (seconds since the Unix epoch), and the manifest then
records what the user never meant. Whole numbers, real numbers, flags and date-times
are strict here; a whole number is still a real number (`detection: 1`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict

from sim.limits import SEED_LIMIT

Whole = Annotated[int, Strict()]
Real = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Flag = Annotated[bool, Strict()]
Probability = Annotated[Real, Field(ge=0.0, le=1.0)]

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _written_as_a_moment(value: Any) -> Any:
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        msg = f"expected a date and time such as 2024-07-11T00:00:00Z, found {value!r}"
        raise ValueError(msg)
    return value


Moment = Annotated[datetime, BeforeValidator(_written_as_a_moment)]

__all__ = ["SEED_LIMIT", "Flag", "Moment", "Probability", "Real", "Whole"]
