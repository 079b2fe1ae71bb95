"""One node's view of a run: which events it can see (never ground truth).

A node sees its own reports, queue, analyses and assessments; messages it sent,
messages delivered to it and drops on its outgoing links; outages of links that
touch it; interventions and the run's start and end. It learns of another node's
report only when that report reaches it (its ``ReportReceived``), so a perspective
shows the report then, not when it was first filed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    cls = type(event)
    rule = _RULES.get(cls)
    if rule is None:
        rule = _RULES[cls] = _rule(cls)
    if rule is _own:
        return event.node == node  # type: ignore[attr-defined]
    return rule(node, event)


def _own(node: str, event: Any) -> bool:
    return bool(event.node == node)


def _own_or_originator(node: str, event: Any) -> bool:
    # a consent answer is seen by the asking node and by the originator that gave it
    return bool(event.node == node or event.originator == node)


def _sender(node: str, event: Any) -> bool:
    return endpoints(event.link)[0] == node


def _receiver(node: str, event: Any) -> bool:
    return endpoints(event.link)[1] == node


def _either_end(node: str, event: Any) -> bool:
    return node in endpoints(event.link)


def _everyone(node: str, event: Any) -> bool:
    return True


def _no_one(node: str, event: Any) -> bool:
    return False


def seen_by(cls: type[ev.Event]) -> str:
    """Who sees an event of this type: ``no one``, ``everyone``, ``own`` (its ``node``),
    ``own or originator``, ``sender`` or ``receiver`` (an end of its ``link``) or
    ``either end``. One rule per type, so a loop over a log can decide it once per type."""
    if cls.ground_truth:
        return "no one"
    if issubclass(cls, _OWN):
        return "own or originator" if "originator" in cls.__struct_fields__ else "own"
    if issubclass(cls, _EVERYONE):
        return "everyone"
    if issubclass(cls, _OUTGOING):
        return "sender"
    if issubclass(cls, ev.MessageDelivered):
        return "receiver"
    if issubclass(cls, ev.LinkDown | ev.LinkUp):
        return "either end"
    return "no one"


_BY_RULE: dict[str, Callable[[str, Any], bool]] = {
    "no one": _no_one,
    "everyone": _everyone,
    "own": _own,
    "own or originator": _own_or_originator,
    "sender": _sender,
    "receiver": _receiver,
    "either end": _either_end,
}


def _rule(cls: type[ev.Event]) -> Callable[[str, Any], bool]:
    """Who sees an event of this type (one rule per type, looked up once per event)."""
    return _BY_RULE[seen_by(cls)]


_RULES: dict[type, Callable[[str, Any], bool]] = {}


class QueryError(IntelsimError):
    """A question about a run that names something the run does not have."""


def check_node(scenario: Scenario, node: str) -> str:
    """`node` if the scenario has it; QueryError with a "did you mean" otherwise."""
    if node in scenario.nodes:
        return node
    known = ", ".join(scenario.nodes)
    msg = f"no node {node!r} in this run (its nodes: {known}){suggest(node, list(scenario.nodes))}"
    raise QueryError(msg)
