"""Pure evidence rules: evidence and its polarity, lineage, shared artefacts, confidence.

A fusion node groups evidence (the reports it analyses and the assessments it receives)
into clusters by munition, sector and period (:mod:`sim.fusion.clusters`), weighs each
cluster in log-odds with a structured breakdown (:mod:`sim.fusion.arithmetic`) and
judges when to issue an assessment or publish a new version (:mod:`sim.fusion.judge`).
Nothing here imports simpy, the store or a clock: ``evolve`` replays it. Admiralty
grades and the PHIA words live in :mod:`sim.grading` and are re-exported here.
"""

from sim.fusion.arithmetic import (
    ALREADY_HELD,
    CIRCULAR,
    REASONS,
    SAME_ARTEFACT,
    Breakdown,
    Verdict,
    assess,
    logistic,
    logit,
    tally,
    weigh,
)
from sim.fusion.clusters import Cluster, ClusterIndex, Filing, Signature, signature_of
from sim.fusion.evidence import (
    CONTRADICTS,
    POLARITIES,
    SUPPORTS,
    PartnerAssessment,
    Polarity,
    ReportEvidence,
    evidence_llr,
)
from sim.fusion.judge import Judgement, judge
from sim.fusion.policy import DEFAULT_PRIOR, FusionPolicy, period_of
from sim.grading import (
    Grade,
    GradeError,
    Scale,
    band,
    confidence,
    is_valid_grade,
    load_scale,
    parse_grade,
)

__all__ = [
    "ALREADY_HELD",
    "CIRCULAR",
    "CONTRADICTS",
    "DEFAULT_PRIOR",
    "POLARITIES",
    "REASONS",
    "SAME_ARTEFACT",
    "SUPPORTS",
    "Breakdown",
    "Cluster",
    "ClusterIndex",
    "Filing",
    "FusionPolicy",
    "Grade",
    "GradeError",
    "Judgement",
    "PartnerAssessment",
    "Polarity",
    "ReportEvidence",
    "Scale",
    "Signature",
    "Verdict",
    "assess",
    "band",
    "confidence",
    "evidence_llr",
    "is_valid_grade",
    "judge",
    "load_scale",
    "logistic",
    "logit",
    "parse_grade",
    "period_of",
    "signature_of",
    "tally",
    "weigh",
]
