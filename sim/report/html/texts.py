"""Many sentences made from few templates, stored as templates and numbers.

The timeline's 40,000 lines of a 180-day run are a few thousand sentences with
different numbers in them ("UKR-HUR starts analysing R1", "... R2", ...). gzip sees
the words again and again but pays for every number afresh; here each line is its
template (the text with every whole number taken out) and the numbers, each stored as
the difference from the same number of the last line of the same template (report
R41 after R40 is a 1). About half the size, compressed.

A number is a run of digits that is not part of a decimal fraction's tail or a
zero-padded field ("07" in a date stays in the template), so printing it back gives
the same characters. The page decodes with the same rule (``Report.texts`` in
``common.js``); :func:`decode_texts` is the rule in Python, and :func:`encode_texts`
checks every line with it.
"""

from __future__ import annotations

import re
from typing import Any

from sim.report.html.states import ReportError

SLOT = "\x01"  # where a number was taken out of a template
NUMBER = re.compile(r"(?<![\d.])(0|[1-9]\d*)(?!\d)")  # captured: split keeps it


def encode_texts(texts: list[str]) -> dict[str, Any]:
    """``{"templates", "template", "numbers"}`` for `texts` (see the module docstring)."""
    templates: dict[str, int] = {}
    which: list[int] = []
    numbers: list[int] = []
    last: dict[tuple[int, int], int] = {}
    for text in texts:
        if SLOT in text:
            msg = f"internal: a line holds the report's template mark: {text!r}"
            raise ReportError(msg)
        pieces = NUMBER.split(text)  # [text, number, text, number, ..., text]
        template = templates.setdefault(SLOT.join(pieces[::2]), len(templates))
        which.append(template)
        for slot, digits in enumerate(pieces[1::2]):
            value = int(digits)
            numbers.append(value - last.get((template, slot), 0))
            last[template, slot] = value
    encoded = {"templates": list(templates), "template": which, "numbers": numbers}
    if decode_texts(encoded) != texts:
        msg = "internal: the report's templates would not give its lines back"
        raise ReportError(msg)
    return encoded


def decode_texts(encoded: dict[str, Any]) -> list[str]:
    """The texts :func:`encode_texts` encoded."""
    parts = [template.split(SLOT) for template in encoded["templates"]]
    last: list[list[int]] = [[0] * (len(p) - 1) for p in parts]
    numbers = iter(encoded["numbers"])
    out = []
    for template in encoded["template"]:
        pieces, values = parts[template], last[template]
        text = [pieces[0]]
        for slot in range(len(values)):
            values[slot] += next(numbers)
            text += [str(values[slot]), pieces[slot + 1]]
        out.append("".join(text))
    return out
