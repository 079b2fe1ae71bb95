"""One node's view of a run: which events it can see (never ground truth).

A node sees its own reports, queue, analyses and assessments; messages it sent,
messages delivered to it and drops on its outgoing links; outages of links that
touch it; interventions and the run's start and end. It learns of another node's
report only when that report reaches it (its ``ReportReceived``), so a perspective
shows the report then, not when it was first filed.
"""

from __future__ import annotations

from sim import events as ev
from sim.errors import IntelsimError, suggest
from sim.scenario.models import Scenario


def endpoints(link: str) -> tuple[str, str]:
    """The (from, to) nodes of a link named ``"FROM->TO"``."""
    src, _, dst = link.partition("->")
    return src, dst


_OWN = (
    ev.SightingReported,
    ev.ReportReceived,
    ev.AnalysisStarted,
    ev.AnalysisCompleted,
    ev.AssessmentIssued,
    ev.AssessmentUpdated,
    ev.AssessmentReceived,
    ev.ReportExploited,
    ev.ConsentRequested,
    ev.ConsentGranted,
    ev.ConsentRefused,
)
_EVERYONE = (ev.RunStarted, ev.RunEnded, ev.InterventionApplied)
_OUTGOING = (ev.MessageSent, ev.MessageHeld, ev.MessageDropped)


def visible_to(node: str, event: ev.Event) -> bool:
    """Whether `node` can see `event` as it happens."""
    if type(event).ground_truth:
        return False
    if isinstance(event, _OWN):
        # a consent answer is seen by the asking node and by the originator that gave it
        return event.node == node or getattr(event, "originator", None) == node
    if isinstance(event, _EVERYONE):
        return True
    if isinstance(event, _OUTGOING):
        return endpoints(event.link)[0] == node
    if isinstance(event, ev.MessageDelivered):
        return endpoints(event.link)[1] == node
    if isinstance(event, ev.LinkDown | ev.LinkUp):
        return node in endpoints(event.link)
    return False


class QueryError(IntelsimError):
    """A question about a run that names something the run does not have."""


def check_node(scenario: Scenario, node: str) -> str:
    """`node` if the scenario has it; QueryError with a "did you mean" otherwise."""
    if node in scenario.nodes:
        return node
    known = ", ".join(scenario.nodes)
    msg = f"no node {node!r} in this run (its nodes: {known}){suggest(node, list(scenario.nodes))}"
    raise QueryError(msg)
