"""Who knew what, when: time to knowledge per usage, episodes, first appearance, false
attribution and partner evidence, as a projection of the log (DESIGN.md, "Metrics").

Definitions (docs/event-log.md, "Metrics", says the same for users):

- A version of an assessment is **sound** when, on *genuine* support alone (lines
  resting on at least one report that traces to a real use of the munition it names;
  every contradiction stays), it would still clear its issuing node's bar
  (``min_sources``, ``min_confidence``, as the event records them) *and* state the band
  it states, or a higher one. A version propped up by fabricated or misidentified
  reports is not knowledge, even when the use it claims is real; nor is one whose
  confidence they inflated (an inflated band can carry it past a sharing threshold to
  partners that would not otherwise have it).
- Node N **knows** a usage (munition m, sector s, time u) from the first time N holds
  a sound version of an assessment of m in s whose period contains u: issued or
  updated by N, or received. Knowledge held before the use (an episode already
  assessed) counts from the use itself.
- **Time to knowledge** at N: the Kaplan–Meier estimate over every usage of a monitored
  munition (``metrics.origin``, default DPRK), a usage not known by the end being
  censored at the end; its median and the share known within 2, 7 and 30 days.
- An **episode** is a monitored munition in a sector within one ``metrics.episode``
  window (default a week, counted from the start) that saw at least one use;
  **coverage** at N is the share of episodes with a usage N knew by the end.
- **First appearance** of a monitored munition at N: its first use anywhere to N's
  first sound assessment of it.
- A **false attribution** is an assessment of a monitored munition, as N holds it at the
  end, that asserts a use (its version clears its node's bar as published) and is not
  sound: it rests on no real use of what it names, or would not stand without fabricated
  or misidentified reports (a look-alike of another origin taken for a DPRK munition is
  one). A version brought below its node's bar (a correction withdrew the report it
  rested on, a denial weighed against it) asserts nothing and is not counted.
  **False attribution hours**: how long N held false attributions, summed over them
  (from the moment it held a false version to the moment it held a version that is not,
  or the end). **Misidentified support**: the misidentified reports (naming a munition
  other than the one truly used) that N's asserting assessments count as support at the
  end: misidentifications that reached N and still weigh there.
- **Partner evidence**: the share of N's own assessments (last version) resting on
  evidence from another node: a report first filed there, or its assessment.
- A **warning** is an assessment of a monitored munition on a supply route (its
  "sector" is a route of ``theater.routes``), fused from indicators: sightings of
  shipments. It is sound, or false, by the same rule (an indicator is genuine when it
  names what the shipment it traces to really carried). **Warning lead time** of a
  munition at N: its first use in theatre minus N's first sound warning of it
  (negative: the warning came after; None: no warning by the end), for munitions first
  used during the run (``new_in_theatre``); a munition never used in the run counts
  from the end (a lower bound). **Shipments warned**: the share of shipments that
  reached their depots in the run of which N held a sound warning (same munition and
  route, a period containing the departure) before they arrived.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported when results are made: it costs every command start-up
    import numpy as np
    import numpy.typing as npt

from sim import events as ev
from sim.analysis.stats_basic import share as _share
from sim.analysis.survival import Survival, kaplan_meier, kaplan_meier_plain
from sim.fusion import band, load_scale, tally
from sim.scenario.models import Scenario

DAY = 24.0
WITHIN_DAYS = (2, 7, 30)
# up to this many (usage, node) pairs, results are made in plain Python: importing numpy
# alone (~0.1 s) costs more than the loops; past it, numpy (the figures are the same)
PLAIN_PAIRS = 1 << 18


@cache
def band_rank() -> dict[str, int]:
    """The PHIA words, in order (read from the yardstick on first use, not at import: a
    run without assessments never needs it, nor YAML's ~10 ms of start-up)."""
    return {name: i for i, name in enumerate(load_scale().names)}


# report -> (genuine: traces to a real use of what it names, fabricated, node it was filed at)
ReportFacts = Callable[[str], tuple[bool, bool, str] | None]


@dataclass(slots=True)
class _Version:
    sound: bool
    genuine: bool  # rests on at least one genuine supporting report
    partners: frozenset[str]  # nodes other than the holder its evidence came from
    asserts: bool = True  # clears its node's bar as published (else a withdrawn claim)
    misidentified: frozenset[str] = frozenset()  # misidentified reports it counts as support

    @property
    def false(self) -> bool:
        """A false attribution: it asserts a use that would not stand on genuine evidence."""
        return self.asserts and not self.sound


@dataclass(slots=True)
class _Assessment:
    node: str
    munition: str
    sector: str
    period: tuple[float, float]
    versions: list[_Version] = field(default_factory=list)


@dataclass(slots=True)
class _Holder:
    """What one node knows."""

    # (munition, sector) -> period -> first time a sound version covering it was held
    periods: dict[tuple[str, str], dict[tuple[float, float], float]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)  # munition -> first sound
    held: dict[str, int] = field(default_factory=dict)  # assessment -> version held
    issued: list[str] = field(default_factory=list)
    false_since: dict[str, float] = field(default_factory=dict)  # assessment -> held false since
    # warnings: (munition, route) -> period -> first time a sound warning covering it was held
    warned: dict[tuple[str, str], dict[tuple[float, float], float]] = field(default_factory=dict)
    first_warning: dict[str, float] = field(default_factory=dict)  # munition -> first sound
    false_h: float = 0.0  # hours false attributions were held, closed so far


class Knowledge:
    """Incremental: feed usages and assessment events in order, then ask per node."""

    def __init__(self, scenario: Scenario) -> None:
        self.origin = scenario.metrics.origin
        self.episode = scenario.metrics.episode
        self.monitored = {m for m, spec in scenario.munitions.items() if spec.origin == self.origin}
        self._names: list[str] = []
        self._ids: dict[str, int] = {}
        self._t: array[float] = array("d")
        # each usage's episode, numbered as first seen: (munition, sector, window) -> number
        # (the usage's munition and sector are its episode's: 4 bytes a usage name all three)
        self._e: array[int] = array("I")
        self._episodes: dict[tuple[int, int, int], int] = {}
        self._pairs: dict[tuple[str, str], tuple[int, int]] = {}  # (munition, sector) -> ids
        # the last monitored use's munition, sector, window and episode
        self._last: tuple[str | None, str | None, int, int] = (None, None, -1, -1)
        self.lookalike = 0  # uses of munitions of another origin
        self._first_use: dict[str, float] = {}
        self._assessments: dict[str, _Assessment] = {}
        self.holders: dict[str, _Holder] = {name: _Holder() for name in scenario.nodes}
        # supply-chain warning: an assessment of a munition on a route is a warning
        self.routes = set(scenario.theater.routes)
        self.new = new_in_theatre(scenario) & self.monitored
        self._shipments: dict[str, tuple[str, str, float]] = {}  # id -> munition, route, left
        self._arrived: dict[str, float] = {}

    def _id(self, name: str) -> int:
        i = self._ids.get(name)
        if i is None:
            i = self._ids[name] = len(self._names)
            self._names.append(name)
        return i

    def _holder(self, node: str) -> _Holder:
        holder = self.holders.get(node)
        if holder is None:
            holder = self.holders[node] = _Holder()
        return holder

    # --- events ---------------------------------------------------------------------

    def used(self, e: ev.MunitionUsed) -> None:
        """A ground-truth use: monitored ones are followed, others counted as look-alikes."""
        munition, sector, t = e.munition, e.sector, e.t
        last = self._last
        if munition != last[0] or sector != last[1]:
            if munition not in self.monitored:
                self.lookalike += 1
                return
            window = int(t // self.episode)
        elif (window := int(t // self.episode)) == last[2]:
            # the episode of the monitored use before: uses come in runs of one munition,
            # sector and window
            self._t.append(t)
            self._e.append(last[3])
            return
        pair = self._pairs.get((munition, sector))
        if pair is None:
            pair = self._pairs[(munition, sector)] = (self._id(munition), self._id(sector))
            self._first_use.setdefault(munition, t)  # (a munition's first pair: its first use)
        self._t.append(t)
        key = (pair[0], pair[1], window)
        episode = self._episodes.get(key)
        if episode is None:
            episode = self._episodes[key] = len(self._episodes)
        self._e.append(episode)
        self._last = (munition, sector, window, episode)

    def shipped(self, e: ev.ShipmentDeparted) -> None:
        """A ground-truth shipment left: warnings are judged against it."""
        if e.munition in self.monitored:
            self._shipments[e.shipment] = (e.munition, e.route, e.t)

    def arrived(self, e: ev.ShipmentArrived) -> None:
        """A ground-truth shipment reached its route's depots."""
        if e.shipment in self._shipments:
            self._arrived[e.shipment] = e.t

    def published(self, e: ev.AssessmentFacts, facts: ReportFacts) -> None:
        """An assessment issued or updated at its node: judge the version, and N knows it."""
        record = self._assessments.get(e.assessment)
        if record is None:
            record = self._assessments[e.assessment] = _Assessment(
                e.node, e.munition, e.sector, (e.period_start, e.period_end)
            )
            self._holder(e.node).issued.append(e.assessment)
        record.versions.append(self._version(e, facts))
        self._hold(e.node, e.assessment, len(record.versions), e.t)

    def received(self, e: ev.AssessmentReceived) -> None:
        """A node received a version of another node's assessment."""
        self._hold(e.node, e.assessment, e.version, e.t)

    def _version(self, e: ev.AssessmentFacts, facts: ReportFacts) -> _Version:
        def genuine(line: ev.EvidenceLine) -> bool:
            return any((f := facts(r)) is not None and f[0] for r in line.reports)

        support = [x for x in e.evidence if x.polarity == "supports"]
        p, n = tally(e.evidence, e.prior, keep=genuine)
        rank = band_rank()
        stated = rank.get(e.band, len(rank))
        sound = n >= e.min_sources and p >= e.min_confidence and rank[band(p)] >= stated
        asserts = len(e.sources) >= e.min_sources and e.confidence >= e.min_confidence
        partners: set[str] = set()
        misidentified: set[str] = set()
        for x in support:
            for r in x.reports:
                f = facts(r)
                if f is not None:
                    partners.add(f[2])
                    if not f[0] and not f[1]:  # collected, but names the wrong munition
                        misidentified.add(r)
            for via in x.via:
                held = self._assessments.get(via)
                if held is not None:
                    partners.add(held.node)
        partners.discard(e.node)
        return _Version(
            sound,
            any(genuine(x) for x in support),
            frozenset(partners),
            asserts,
            frozenset(misidentified),
        )

    def _hold(self, node: str, assessment: str, version: int, t: float) -> None:
        record = self._assessments.get(assessment)
        if record is None or not 1 <= version <= len(record.versions):
            return  # a foreign log: nothing known of it
        holder = self._holder(node)
        holder.held[assessment] = version
        if record.munition not in self.monitored:
            return
        if record.sector in self.routes:  # a warning
            if record.versions[version - 1].sound:
                periods = holder.warned.setdefault((record.munition, record.sector), {})
                periods.setdefault(record.period, t)
                holder.first_warning.setdefault(record.munition, t)
            return
        since = holder.false_since.pop(assessment, None)
        if since is not None:
            holder.false_h += t - since
        held = record.versions[version - 1]
        if held.false:
            holder.false_since[assessment] = t
        if not held.sound:
            return
        periods = holder.periods.setdefault((record.munition, record.sector), {})
        if record.period not in periods:
            periods[record.period] = t
        holder.first.setdefault(record.munition, t)

    # --- results ----------------------------------------------------------------------

    @property
    def usages(self) -> int:
        """How many uses of monitored munitions the run had."""
        return len(self._t)

    def episodes(self) -> int:
        """How many episodes (monitored munition, sector, window) saw a use."""
        return len(self._episodes)

    def _episodes_known(self, observed: npt.NDArray[np.bool_]) -> int:
        """How many episodes have a usage among the `observed` ones."""
        import numpy as np

        if not self._episodes:
            return 0
        episode = np.frombuffer(self._e, dtype=np.uint32)[observed]
        return int(np.count_nonzero(np.bincount(episode, minlength=len(self._episodes))))

    def known_times(self, node: str) -> npt.NDArray[np.float64]:
        """For each monitored usage in order, when ``node`` knew it (NaN: never).

        Vectorised per (munition, sector) and per period length: periods of one length
        never overlap, so each usage falls in at most one of them (a sorted search).
        """
        import numpy as np

        holder = self._holder(node)
        episode = np.frombuffer(self._e, dtype=np.uint32)
        keys = np.array(list(self._episodes), dtype=np.int64).reshape(-1, 3)
        m = keys[:, 0].astype(np.uint16)[episode]
        s = keys[:, 1].astype(np.uint16)[episode]
        u = np.frombuffer(self._t, dtype=np.float64)
        known = np.full(u.size, np.inf)
        for (munition, sector), periods in holder.periods.items():
            mi, si = self._ids.get(munition), self._ids.get(sector)
            if mi is None or si is None:
                continue
            which = np.flatnonzero((m == mi) & (s == si))
            if which.size == 0:
                continue
            times = u[which]
            by_length: dict[float, list[tuple[float, float]]] = {}
            for (a, b), t in periods.items():
                by_length.setdefault(b - a, []).append((a, t))
            for length, spans in by_length.items():
                spans.sort()
                starts = np.array([a for a, _ in spans])
                firsts = np.array([t for _, t in spans])
                i = np.searchsorted(starts, times, side="right") - 1
                inside = (i >= 0) & (times < starts[np.maximum(i, 0)] + length)
                held = np.where(inside, firsts[np.maximum(i, 0)], np.inf)
                known[which] = np.minimum(known[which], held)
        np.maximum(known, u, out=known)  # an episode known before the use: from the use
        known[np.isinf(known)] = np.nan
        return known

    def node_result(self, node: str, horizon: float) -> dict[str, Any]:
        """The knowledge metrics of one node, JSON-ready."""
        if len(self._t) * len(self.holders) <= PLAIN_PAIRS:
            km, n_known, episodes_known = self._survival_plain(node, horizon)
        else:
            km, n_known, episodes_known = self._survival_numpy(node, horizon)
        median = km.median()
        n_episodes = self.episodes()
        holder = self._holder(node)
        result: dict[str, Any] = {
            "usages_known": n_known,
            "usage_coverage": _share(n_known, len(self._t)),
            "knowledge_median_h": None if median is None else round(median, 6),
        }
        for d in WITHIN_DAYS:
            share = km.share_by(d * DAY)
            result[f"known_within_{d}d"] = None if share is None else round(share, 6)
        result["episodes_known"] = episodes_known
        result["coverage"] = _share(episodes_known, n_episodes)
        result["first_appearance_h"] = {
            m: (round(holder.first[m] - t0, 6) if m in holder.first else None)
            for m, t0 in sorted(self._first_use.items())
        }
        result.update(self._attribution(holder, horizon))
        result.update(self._warnings(holder, horizon))
        return result

    def _survival_numpy(self, node: str, horizon: float) -> tuple[Survival, int, int]:
        """Time to knowledge at `node` (Kaplan–Meier), usages known, episodes known."""
        import numpy as np

        # in place where it can be: these arrays are as long as the run has usages
        durations = self.known_times(node)
        observed = ~np.isnan(durations)
        durations[~observed] = horizon
        durations -= np.frombuffer(self._t, dtype=np.float64)
        np.maximum(durations, 0.0, out=durations)
        km = kaplan_meier(durations, observed)
        return km, int(observed.sum()), self._episodes_known(observed)

    def known_times_plain(self, node: str) -> list[float | None]:
        """:meth:`known_times` in plain Python (None: never), the same floats."""
        holder = self._holder(node)
        times = self._t
        known: list[float | None] = [None] * len(times)
        if not holder.periods:
            return known
        keys = list(self._episodes)
        episode = self._e
        for (munition, sector), periods in holder.periods.items():
            mi, si = self._ids.get(munition), self._ids.get(sector)
            if mi is None or si is None:
                continue
            which = [i for i, e in enumerate(episode) if keys[e][0] == mi and keys[e][1] == si]
            if not which:
                continue
            by_length: dict[float, list[tuple[float, float]]] = {}
            for (a, b), t in periods.items():
                by_length.setdefault(b - a, []).append((a, t))
            for length, spans in by_length.items():
                spans.sort()
                starts = [a for a, _ in spans]
                for i in which:
                    u = times[i]
                    j = bisect_right(starts, u) - 1
                    # as known_times: the latest period starting at or before the use,
                    # its start + length computed as numpy does (the same doubles)
                    if j >= 0 and u < starts[j] + length:
                        first, was = spans[j][1], known[i]
                        if was is None or first < was:
                            known[i] = first
        for i, when in enumerate(known):
            if when is not None and when < times[i]:  # known before the use: from the use
                known[i] = times[i]
        return known

    def _survival_plain(self, node: str, horizon: float) -> tuple[Survival, int, int]:
        """:meth:`_survival_numpy` in plain Python, to the same floats."""
        known = self.known_times_plain(node)
        times = self._t
        durations: list[float] = []  # clamped at 0, in usage order
        observed: list[bool] = []
        episodes: set[int] = set()
        for i, held in enumerate(known):
            d = (horizon if held is None else held) - times[i]
            durations.append(d if d > 0.0 else 0.0)  # np.maximum(d, 0.0)
            observed.append(held is not None)
            if held is not None:
                episodes.add(self._e[i])
        km = kaplan_meier_plain(durations, observed)
        return km, km.events, len(episodes)

    def _warnings(self, holder: _Holder, horizon: float) -> dict[str, Any]:
        """Warning lead time per new munition, shipments warned of, false warnings."""
        lead: dict[str, float | None] = {}
        for m in sorted(self.new):
            # a munition never used in the run: its lead is at least this (a lower bound)
            first_use = self._first_use.get(m, horizon)
            warned = holder.first_warning.get(m)
            lead[m] = None if warned is None else round(first_use - warned, 6)
        arrived = list(self._arrived.items())
        by_route: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for shipment, t_arrived in arrived:
            munition, route, left = self._shipments[shipment]
            by_route.setdefault((munition, route), []).append((left, t_arrived))
        ahead = sum(
            warned_ahead(shipments, holder.warned.get(key, {}))
            for key, shipments in by_route.items()
        )
        false = 0
        for assessment, v in holder.held.items():
            record = self._assessments[assessment]
            if record.sector in self.routes and record.munition in self.monitored:
                false += record.versions[v - 1].false
        return {
            "warning_lead_h": lead,
            "shipments_warned": _share(ahead, len(arrived)),
            "false_warnings": false,
        }

    def _attribution(self, holder: _Holder, horizon: float) -> dict[str, Any]:
        held = [
            self._assessments[a].versions[v - 1]
            for a, v in holder.held.items()
            if self._assessments[a].munition in self.monitored
            and self._assessments[a].sector not in self.routes
        ]
        false = sum(v.false for v in held)
        false_h = holder.false_h + sum(horizon - t for t in holder.false_since.values())
        misidentified: set[str] = set()
        for v in held:
            if v.asserts:
                misidentified.update(v.misidentified)
        own = [
            self._assessments[a].versions[-1]
            for a in holder.issued
            if self._assessments[a].munition in self.monitored
            and self._assessments[a].sector not in self.routes
        ]
        partners: dict[str, int] = {}
        for version in own:
            for name in version.partners:
                partners[name] = partners.get(name, 0) + 1
        return {
            "false_attributions": false,
            "false_attribution_rate": _share(false, len(held)),
            "false_attribution_h": round(max(false_h, 0.0), 6),
            "misidentified_support": len(misidentified),
            "on_partner_evidence": _share(sum(bool(v.partners) for v in own), len(own)),
            "partner_evidence": {name: _share(n, len(own)) for name, n in sorted(partners.items())},
        }


def warned_ahead(
    shipments: list[tuple[float, float]], warned: dict[tuple[float, float], float]
) -> int:
    """How many shipments ``(left, arrived)`` departed in a period ``(start, end)`` of
    `warned` (``start <= left < end``) first warned of at a time before they arrived.

    One sweep in order of departure (periods join as their start passes, leave once they
    end), not every period for every shipment: both grow with the run. The earliest
    warning among the periods a departure falls in decides, as any of them would.
    """
    if not warned:
        return 0
    periods = sorted((start, end, t) for (start, end), t in warned.items())
    live: list[tuple[float, float]] = []  # (first warned, end) of periods begun
    ahead, i = 0, 0
    for left, arrived in sorted(shipments):
        while i < len(periods) and periods[i][0] <= left:
            _, end, t = periods[i]
            heappush(live, (t, end))
            i += 1
        while live and live[0][1] <= left:  # ended before this departure: and all later
            heappop(live)
        if live and live[0][0] < arrived:
            ahead += 1
    return ahead


def new_in_theatre(scenario: Scenario) -> set[str]:
    """Munitions shipped in the run and first used in theatre during it: every usage line
    of them starts after the run's start (Koksan guns in Kursk from November 2024). The
    others were in use before any warning the run can show: no lead time for them."""
    shipped = {line.munition for line in scenario.theater.shipments}
    starts: dict[str, list[float]] = {}
    for line in scenario.theater.usage:
        starts.setdefault(line.munition, []).append(line.at if line.at is not None else line.from_)
    return {m for m in shipped if m in starts and min(starts[m]) > 0}
