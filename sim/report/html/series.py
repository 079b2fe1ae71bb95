"""What the report's charts draw: metrics over time, sizes of the state over time, outages.

- Metrics over time: the run's metrics projection (:class:`MetricsProjection`, the
  same one ``intelsim metrics`` runs) is fed the log once and its result read at
  evenly spaced times, so each chart point is what ``metrics`` would print for the log
  cut at that time. Every number it returns becomes a series; the page lets you pick.
- Sizes over time: for every node and link field the state description has (a queue,
  reports under analysis, messages in flight), the largest size it reached in each
  interval between two sample times (a peak between samples is not lost).
- Outages and compromises: the intervals during which a link was not up, and during
  which an adversary read it (ground truth), from the same state deltas.
"""

from __future__ import annotations

import math
from typing import Any

from sim.analysis.metrics import MetricsProjection, flatten
from sim.events import Event
from sim.report.html.states import Entity, ticks
from sim.scenario.models import Scenario

SAMPLES = 120  # points per chart: smooth at any width a projector shows
SIGNIFICANT = 4


def rounded(value: float | None) -> float | None:
    """`value` to a few significant digits (charts need no more; the JSON stays small)."""
    if value is None or isinstance(value, int) or value == 0 or not math.isfinite(value):
        return value  # counts stay exact
    digits = SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
    result = round(value, digits)
    return int(result) if result == int(result) and abs(result) < 2**53 else result


class Sampler:
    """Evenly spaced times over the horizon, and which sample an event's time falls in."""

    def __init__(self, horizon: float, count: int = SAMPLES) -> None:
        self.times = [horizon * i / count for i in range(count + 1)]

    def ticks(self) -> list[int]:
        """The sample times on the page's clock."""
        return [ticks(t) for t in self.times]

    def bin(self, t: float) -> int:
        """The sample whose interval ``(times[i-1], times[i]]`` holds `t` (0 for t <= 0)."""
        times = self.times
        step = times[-1] / (len(times) - 1) if times[-1] > 0 else 1.0
        i = max(0, math.ceil(t / step - 1e-9))
        return min(i, len(times) - 1)


class MetricSamples:
    """The metrics projection's numbers at each sample time."""

    def __init__(self, scenario: Scenario, sampler: Sampler) -> None:
        self.projection = MetricsProjection(scenario)
        self.sampler = sampler
        self._next = 0
        self.samples: list[dict[str, float | int | None]] = []

    def _sample(self) -> None:
        self.samples.append(flatten(self.projection.result()))
        self._next += 1

    def add(self, event: Event) -> None:
        """Fold one event; first take the samples whose time it has passed."""
        times = self.sampler.times
        while self._next < len(times) and event.t > times[self._next]:
            self._sample()
        self.projection.apply(event)

    def columns(self) -> dict[str, Any]:
        """``{"keys": [...], "values": [[value per sample] per key]}``; all-None keys left out."""
        while self._next < len(self.sampler.times):
            self._sample()
        keys: dict[str, None] = {}
        for sample in self.samples:
            keys.update(dict.fromkeys(sample))
        columns: dict[str, list[float | int | None]] = {}
        for key in keys:
            values = [rounded(sample.get(key)) for sample in self.samples]
            if any(v is not None for v in values):
                columns[key] = values
        return {"keys": list(columns), "values": list(columns.values())}


def size(value: Any) -> int | None:
    """How big a described value is: a count as is, a list or mapping by its length."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, list | dict):
        return len(value)
    return None


class StateSeries:
    """Peak size of every numeric or collection field of every node and link, per sample."""

    def __init__(self, sampler: Sampler, initial: dict[str, Any]) -> None:
        self.sampler = sampler
        count = len(sampler.times)
        self.start: dict[tuple[str, str, str], int] = {}
        self.peaks: dict[tuple[str, str, str], list[int]] = {}
        self.lasts: dict[tuple[str, str, str], list[int]] = {}
        for section in ("nodes", "links"):
            for name, fields in initial[section].items():
                for field, value in fields.items():
                    n = size(value)
                    if n is not None:
                        key = (section, name, field)
                        self.start[key] = n
                        self.peaks[key] = [-1] * count
                        self.lasts[key] = [-1] * count

    def observe(self, tick: int, entity: Entity, field: str, value: Any) -> None:
        """A state delta observer: note the new size in the sample interval it falls in."""
        key = (entity[0], entity[1], field)
        peaks = self.peaks.get(key)
        n = size(value)
        if peaks is None or n is None:
            return
        i = self.sampler.bin(tick / 1_000_000)
        peaks[i] = max(peaks[i], n)
        self.lasts[key][i] = n

    def columns(self) -> dict[str, Any]:
        """``{section: {field: {name: [peak per sample]}}}``; a quiet interval keeps the level."""
        out: dict[str, dict[str, dict[str, list[int]]]] = {"nodes": {}, "links": {}}
        for key, peaks in self.peaks.items():
            section, name, field = key
            level, series = self.start[key], []
            for peak, last in zip(peaks, self.lasts[key], strict=True):
                series.append(max(level, peak))
                if last >= 0:
                    level = last
            out[section].setdefault(field, {})[name] = series
        return out


class Intervals:
    """When each link was down (not up) and when it was compromised, from state deltas."""

    def __init__(self, initial: dict[str, Any]) -> None:
        self.links = list(initial["links"])
        self._ix = {name: i for i, name in enumerate(self.links)}
        self.down: list[list[Any]] = []  # [link, from tick, to tick or -1, causes]
        self.compromised: list[list[Any]] = []
        self._open_down: dict[int, list[Any]] = {}
        self._open_comp: dict[int, list[Any]] = {}
        for name, fields in initial["links"].items():
            ix = self._ix[name]
            if not fields.get("up", True):
                self._open_down[ix] = [ix, 0, -1, fields.get("down_causes", [])]
                self.down.append(self._open_down[ix])

    def observe(self, tick: int, entity: Entity, field: str, value: Any) -> None:
        """A state delta observer: open or close an interval when `up` or `compromised` change."""
        if entity[0] != "links":
            return
        ix = self._ix[entity[1]]
        if field == "up":
            if value:
                closed = self._open_down.pop(ix, None)
                if closed is not None:
                    closed[2] = tick
            elif ix not in self._open_down:
                self._open_down[ix] = [ix, tick, -1, []]
                self.down.append(self._open_down[ix])
        elif field == "down_causes" and ix in self._open_down:
            causes = self._open_down[ix][3]
            causes.extend(c for c in value if c not in causes)
        elif field == "compromised":
            if value and ix not in self._open_comp:
                self._open_comp[ix] = [ix, tick, -1, list(value)]
                self.compromised.append(self._open_comp[ix])
            elif not value and ix in self._open_comp:
                self._open_comp.pop(ix)[2] = tick

    def columns(self) -> dict[str, Any]:
        """``{"down": [[link, from, to, causes]...], "compromised": [...]}`` (to -1: still)."""
        return {"down": self.down, "compromised": self.compromised}
