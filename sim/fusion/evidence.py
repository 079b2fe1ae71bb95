"""Evidence at a fusion node: analysed reports and received assessments, with polarity.

A report *supports* the claim it makes (a munition used in a sector at a time) or
*contradicts* it (a denial: "not DPRK", "it was an Iskander", "staged"). Its weight is
the log-likelihood ratio of its Admiralty grade (:mod:`sim.grading`):

- supporting evidence adds ``LOG_LR[grade]`` (negative for grades whose information is
  doubtful or improbable: an unreliable source's unlikely claim is weak evidence
  against it);
- contradicting evidence adds ``-max(0, LOG_LR[grade])``: a denial lowers confidence by
  the strength its grade gives it, and a denial graded doubtful, improbable or
  "cannot be judged" (credibility 4-6) carries no weight at all. It never raises
  confidence: reading "improbable denial" as support would let an adversary's
  noise corroborate the claim it denies.

Collectors declaring the same physical evidence (``collectors.X.evidence``) are one
source (:attr:`ReportEvidence.key`). A received assessment is evidence too: its counted
lines, each still tied to the source it rests on, discounted by the originator's
reliability (see :mod:`sim.fusion.arithmetic`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.events import EvidenceLine
from sim.grading import RELIABILITY_WEIGHT, log_likelihood_ratio, parse_grade

SUPPORTS = "supports"
CONTRADICTS = "contradicts"
POLARITIES = (SUPPORTS, CONTRADICTS)
Polarity = Literal["supports", "contradicts"]


def evidence_llr(grade: str, polarity: str) -> float:
    """The log-likelihood ratio one piece of evidence graded ``grade`` lends the claim."""
    llr = log_likelihood_ratio(grade)
    if polarity == SUPPORTS:
        return llr
    if polarity == CONTRADICTS:
        return 0.0 - max(0.0, llr)  # never -0.0 in the log
    msg = f"polarity must be {SUPPORTS!r} or {CONTRADICTS!r}, got {polarity!r}"
    raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class ReportEvidence:
    """What fusion needs of one analysed report.

    ``collector`` is the source it names (a spoofed source for a fake); ``used_at`` is
    the time of use it claims; ``artefact`` the physical evidence group its collector
    examines, or None.
    """

    report: str
    collector: str
    grade: str
    munition: str
    sector: str
    used_at: float
    polarity: str = SUPPORTS
    artefact: str | None = None

    def __post_init__(self) -> None:
        parse_grade(self.grade)  # raises GradeError with the reason
        if self.polarity not in POLARITIES:
            msg = f"polarity must be {SUPPORTS!r} or {CONTRADICTS!r}, got {self.polarity!r}"
            raise ValueError(msg)

    @property
    def key(self) -> str:
        """The independent source this report belongs to: its collector, or the artefact
        group its collector examines.

        Collectors that examine the same physical evidence (``collectors.X.evidence``)
        count as one source within a cluster, at the strongest examination: the police
        explosive-ordnance team, the prosecutors and the forensic institute looking at the
        debris of the strikes of one period are one line of evidence, not three. Per
        cluster rather than per strike: it never counts a shared examination twice, and
        more evidence can never split or merge sources (confidence only rises with more
        support).
        """
        return self.collector if self.artefact is None else self.artefact


@dataclass(frozen=True, slots=True)
class PartnerAssessment:
    """A received assessment as evidence: the version the node holds.

    ``lines`` are the lines its originator counted (its published arithmetic);
    ``reliability`` is the originator's Admiralty reliability letter, whose weight
    discounts every line it vouches for.
    """

    assessment: str
    node: str
    version: int
    reliability: str
    munition: str
    sector: str
    period: tuple[float, float]
    lines: tuple[EvidenceLine, ...]

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITY_WEIGHT:
            msg = f"reliability must be one of A-F, got {self.reliability!r}"
            raise ValueError(msg)

    @property
    def weight(self) -> float:
        """How far the originator can be trusted: its reliability letter's weight."""
        return RELIABILITY_WEIGHT[self.reliability]

    @property
    def midpoint(self) -> float:
        """The middle of the period it covers: where it joins the receiver's clusters."""
        return (self.period[0] + self.period[1]) / 2.0
