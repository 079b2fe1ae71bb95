"""Judging a cluster: issue an assessment, publish a new version of one, or wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.fusion.arithmetic import Breakdown, Verdict
from sim.fusion.clusters import Cluster
from sim.fusion.policy import FusionPolicy


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a node should emit for a cluster now, and the verdict behind it."""

    action: Literal["issue", "update"]
    breakdown: Breakdown | Verdict

    @property
    def confidence(self) -> float:
        return self.breakdown.confidence

    @property
    def band(self) -> str:
        return self.breakdown.band

    @property
    def sources(self) -> int:
        return len(self.breakdown.sources)


def judge(
    cluster: Cluster, breakdown: Breakdown | Verdict, policy: FusionPolicy
) -> Judgement | None:
    """What to emit for ``cluster`` given its ``breakdown`` (or cheaper :class:`Verdict`), or None.

    "issue" when no assessment exists yet and the breakdown clears the policy's bar
    (``min_sources`` supporting sources and ``min_confidence``; a warning's bar on a
    supply route); "update" when an
    assessment exists and any counted line has changed: a source added, its weight or
    the source it counts as (a new version: the published arithmetic stays what the
    node holds).
    An issued assessment is never withdrawn; contradicting evidence lowers its band.
    """
    if cluster.assessment is None:
        if policy.meets(breakdown.confidence, len(breakdown.sources), cluster.sector):
            return Judgement("issue", breakdown)
        return None
    if breakdown.signature != cluster.signature:
        return Judgement("update", breakdown)
    return None
