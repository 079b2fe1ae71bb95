"""Compact memory of every report and usage of a run, for the lines that name them later.

A timeline must be able to say who filed a report whenever a later line names it (an
assessment lists it, a message carries it), and what a usage was whenever a sighting
traces to it; a collector's delay is unbounded, so neither can be forgotten. Kept as
Python objects that costs about 600 bytes a report (a dict entry, a record, six string
objects of its own); here a report is two numbers in arrays (8 bytes: which of the
run's few distinct name tuples it has, and its usage) and a usage two (12 bytes: its
time, and its munition and sector by number), indexed by the engine's ids ``R1, R2, …``
and ``U1, U2, …`` (any other id falls back to a dict), each distinct tuple stored once.
A run 10 times as long then costs megabytes more, not hundreds (bench/bench_read.py
measures peak memory at 1x and 10x).
"""

from __future__ import annotations

from array import array
from typing import NamedTuple


class Filed(NamedTuple):
    """A report as filed: enough to name it in later lines."""

    collector: str
    discipline: str
    grade: str
    munition: str
    sector: str
    node: str
    usage: str | None
    polarity: str = "supports"


def claim_text(collector: str, discipline: str, grade: str, polarity: str, munition: str) -> str:
    """What a report claims, in words: ``police (FORENSIC, C3) reports a KN-23``, or for a
    denial ``state-media (OSINT, E5) denies a KN-23`` (never "reports" what it denies)."""
    verb = "denies" if polarity == "contradicts" else "reports"
    return f"{collector} ({discipline}, {grade}) {verb} a {munition}"


class Used(NamedTuple):
    """Ground truth: what a usage was."""

    munition: str
    sector: str
    t: float


class _Pairs:
    """Each distinct (munition, sector) once, by number."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], int] = {}
        self.names: list[tuple[str, str]] = []

    def number(self, pair: tuple[str, str]) -> int:
        n = self.index.get(pair)
        if n is None:
            n = self.index[pair] = len(self.names)
            self.names.append(pair)
        return n


def id_slot(item: str, prefix: str) -> int | None:
    """``R17`` -> 16: the array slot of an engine id, or None for any other id."""
    if item[:1] == prefix:  # the checks in the order that settles an engine id soonest
        digits = item[1:]
        if digits.isdigit() and digits.isascii() and digits[:1] != "0":
            return int(digits) - 1
    return None


class ReportBook:
    """Every report filed so far: ``book.get("R17") -> Filed | None``."""

    def __init__(self) -> None:
        # a run files many reports with the same names (collector, discipline, grade,
        # munition, sector, node, polarity): each distinct tuple once, by number
        self._kinds: list[tuple[str, ...]] = []
        self._numbered: dict[tuple[str, ...], int] = {}
        self._kind = array("I")  # the tuple's number per report slot
        self._usage = array("i")  # the usage's slot, -1 none, -2 an id kept in _odd_usage
        self._odd: dict[str, Filed] = {}
        self._odd_usage: dict[int, str] = {}
        self._next = "R1"  # the id of the next slot: the engine files reports in this order

    def add(self, report: str, filed: Filed) -> None:
        """Remember a report (a second filing of the same id replaces the first)."""
        self.file(report, (*filed[:6], filed.polarity), filed.usage)

    def file(self, report: str, names: tuple[str, ...], usage: str | None) -> int:
        """:meth:`add` without a :class:`Filed`: `names` are its collector, discipline,
        grade, munition, sector, node and polarity, in that order (a timeline files
        every sighting, and making a record of each would cost more than telling it).

        Returns the number of `names` in this book (the same names, the same number),
        for a caller to keep what it says of them once.
        """
        kind = self._numbered.get(names)
        if kind is None:
            kind = self._numbered[names] = len(self._kinds)
            self._kinds.append(names)
        if usage is None:
            code = -1
        elif (u := id_slot(usage, "U")) is not None and u < _BIG:
            code = u
        else:
            code = -2
        usages = self._usage
        if report == self._next:  # the usual case: the next id (a string compare, no parse)
            slot = len(usages)
            self._kind.append(kind)
            usages.append(code)
            self._next = f"R{slot + 2}"
        else:
            found = id_slot(report, "R")
            if found is None or found > len(usages) + 1_000_000:
                self._odd[report] = Filed._make([*names[:6], usage, names[6]])
                return kind
            slot = found
            while len(usages) <= slot:  # a gap stays empty
                self._kind.append(0)
                usages.append(-3)  # -3: no such report
            self._kind[slot] = kind
            usages[slot] = code
            self._next = f"R{len(usages) + 1}"
        if code == -2:
            self._odd_usage[slot] = usage  # type: ignore[assignment]
        return kind

    def get(self, report: str) -> Filed | None:
        """The report as filed, or None if no such report was filed."""
        slot = id_slot(report, "R")
        if slot is None or slot >= len(self._usage) or self._usage[slot] == -3:
            return self._odd.get(report)
        fields = self._kinds[self._kind[slot]]
        code = self._usage[slot]
        usage = None if code == -1 else self._odd_usage[slot] if code == -2 else f"U{code + 1}"
        return Filed._make([*fields[:6], usage, fields[6]])


_BIG = (1 << 31) - 1  # a usage slot past what 4 bytes hold is kept by name


class UsageBook:
    """Every usage so far: ``book.get("U3") -> Used | None``."""

    def __init__(self) -> None:
        self._pairs = _Pairs()  # (munition, sector), each distinct pair once
        self._pair = array("I")
        self._t = array("d")
        self._odd: dict[str, Used] = {}
        self._next = "U1"  # the id of the next slot: the engine numbers usages in this order
        # the last usage added, by id: a collector that reports at once names it next
        self._last: tuple[str | None, str | None] = (None, None)

    def add(self, usage: str, used: Used) -> None:
        """Remember a usage."""
        self.note(usage, used.munition, used.sector, used.t)

    def note(self, usage: str, munition: str, sector: str, t: float) -> None:
        """:meth:`add` without a :class:`Used` (a timeline notes every usage)."""
        if usage == self._next:  # the usual case: the next id (a string compare, no parse)
            slot = len(self._t)
            pair = self._pairs.index.get((munition, sector))  # _Pairs.number, in line
            self._pair.append(self._pairs.number((munition, sector)) if pair is None else pair)
            self._t.append(t)
            self._next = f"U{slot + 2}"
        else:
            found = id_slot(usage, "U")
            if found is None or found > len(self._t):
                self._odd[usage] = Used(munition, sector, t)
                return
            # an id used twice (never by the engine): the later use wins, as in a dict
            self._pair[found], self._t[found] = self._pairs.number((munition, sector)), t
        self._last = (usage, munition)

    def get(self, usage: str) -> Used | None:
        """The usage, or None if no such usage happened (yet)."""
        slot = id_slot(usage, "U")
        if slot is None or slot >= len(self._t):
            return self._odd.get(usage)
        munition, sector = self._pairs.names[self._pair[slot]]
        return Used(munition, sector, self._t[slot])

    def munition(self, usage: str) -> str | None:
        """``book.get(usage).munition``, or None if no such usage happened (yet)."""
        last = self._last
        if usage == last[0]:
            return last[1]
        slot = id_slot(usage, "U")
        if slot is None or slot >= len(self._t):
            used = self._odd.get(usage)
            return None if used is None else used.munition
        return self._pairs.names[self._pair[slot]][0]
