"""Cross-references of a valid scenario: names that must exist, times within the run.

Errors name the field path and suggest the closest known name. Warnings flag what
is legal but can never work, such as a sharing rule whose marking excludes its
destination.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sim.errors import Problem, suggest
from sim.scenario.models import Scenario, link_name
from sim.scenario.releasability import Releasability
from sim.scenario.units import format_hours

# A member of a community that is not in `nations` is accepted when it looks like an
# ISO 3166 alpha-3 code: a community may list nations that take no part in the scenario.
_NATION_CODE = re.compile(r"^[A-Z]{3}$")


class _Checker:
    def __init__(self, scenario: Scenario, file: str) -> None:
        self.s = scenario
        self.file = file
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message, severity="warning"))

    def known(self, path: str, name: str, what: str, names: Iterable[str]) -> bool:
        choices = list(names)
        if name in choices:
            return True
        hint = suggest(name, choices) or (f"; known: {', '.join(choices)}" if choices else "")
        self.error(path, f"unknown {what} `{name}`{hint}")
        return False

    def time(self, path: str, hours: float | None) -> None:
        if hours is not None and hours > self.s.duration:
            end = format_hours(self.s.duration)
            self.error(path, f"{format_hours(hours)} is after the end of the run ({end})")

    def window(self, path: str, start: float, until: float | None) -> None:
        # an `until` past the end means "to the end": a variant may shorten `duration`
        # without rewriting every window of its base
        self.time(f"{path}.from", start)
        if until is not None and until <= start:
            self.error(
                f"{path}.until",
                f"until ({format_hours(until)}) must be after from ({format_hours(start)})",
            )


def check_references(s: Scenario, file: str = "") -> list[Problem]:
    """Every dangling name, out-of-run time and never-deliverable sharing rule in `s`."""
    c = _Checker(s, file)
    _theater(c)
    _nations(c)
    _nodes_and_links(c)
    _collectors(c)
    _sharing(c)
    _adversary(c)
    for i, intervention in enumerate(s.interventions):
        c.time(f"interventions[{i}].at", intervention.at)
    return c.problems


def _theater(c: _Checker) -> None:
    for name, munition in c.s.munitions.items():
        for j, other in enumerate(munition.looks_like or []):
            path = f"munitions.{name}.looks_like[{j}]"
            if c.known(path, other, "munition", c.s.munitions) and other == name:
                c.error(path, f"a munition cannot look like itself ({name!r})")
    for i, usage in enumerate(c.s.theater.usage):
        path = f"theater.usage[{i}]"
        c.known(f"{path}.munition", usage.munition, "munition", c.s.munitions)
        c.known(f"{path}.sector", usage.sector, "sector", c.s.theater.sectors)
        if usage.at is not None:
            c.time(f"{path}.at", usage.at)
        else:
            c.window(path, usage.from_, usage.until)
    for name in c.s.theater.routes:
        if name in c.s.theater.sectors:
            c.error(f"theater.routes.{name}", "is also a sector; a name is one or the other")
    for i, shipment in enumerate(c.s.theater.shipments):
        path = f"theater.shipments[{i}]"
        c.known(f"{path}.munition", shipment.munition, "munition", c.s.munitions)
        c.known(f"{path}.route", shipment.route, "route", c.s.theater.routes)
        if shipment.at is not None:
            c.time(f"{path}.at", shipment.at)
        else:
            c.window(path, shipment.from_, shipment.until)


def _nations(c: _Checker) -> None:
    for community, members in c.s.communities.items():
        if community in c.s.nations:
            c.error(f"communities.{community}", "is also a nation; a name is one or the other")
        for j, member in enumerate(members):
            path = f"communities.{community}[{j}]"
            if member in c.s.communities:
                c.error(path, f"`{member}` is a community; communities do not nest")
            elif member not in c.s.nations and not _NATION_CODE.match(member):
                c.known(path, member, "nation", c.s.nations)
    ladder = c.s.classifications
    for dupe in sorted({x for x in ladder if ladder.count(x) > 1}):
        c.error("classifications", f"`{dupe}` appears more than once")
    names = [*c.s.nodes, *c.s.collectors, *c.s.munitions]
    for name in names:
        if "." in name or "->" in name:
            c.error(name, "names may not contain `.` or `->` (they are used in field paths)")


def _nodes_and_links(c: _Checker) -> None:
    parties = [*c.s.nations, *c.s.communities]
    origins = sorted({m.origin for m in c.s.munitions.values()})
    for name, node in c.s.nodes.items():
        c.known(f"nodes.{name}.nation", node.nation, "nation or community", parties)
        c.known(f"nodes.{name}.clearance", node.clearance, "classification", c.s.classifications)
        if node.expertise is not None:
            c.known(f"nodes.{name}.expertise.origin", node.expertise.origin, "origin", origins)
        tearline = None if node.consent is None else node.consent.tearline
        if tearline is not None:
            path = f"nodes.{name}.consent.tearline"
            c.known(
                f"{path}.classification",
                tearline.classification,
                "classification",
                c.s.classifications,
            )
            for j, party in enumerate(tearline.rel_to):
                c.known(f"{path}.rel_to[{j}]", party, "nation or community", parties)
    seen: dict[str, int] = {}
    names = [link.name for link in c.s.links]
    for i, link in enumerate(c.s.links):
        path = f"links.{link.name}" if names.count(link.name) == 1 else f"links[{i}]"
        ends_known = c.known(f"{path}.from", link.from_, "node", c.s.nodes)
        ends_known = c.known(f"{path}.to", link.to, "node", c.s.nodes) and ends_known
        if ends_known and link.from_ == link.to:
            c.error(path, f"a link from {link.from_} to itself")
        if link.name in seen:
            c.error(path, f"duplicate link {link.name} (also links[{seen[link.name]}])")
        seen.setdefault(link.name, i)
        c.known(
            f"{path}.max_classification",
            link.max_classification,
            "classification",
            c.s.classifications,
        )


def _collectors(c: _Checker) -> None:
    for name, collector in c.s.collectors.items():
        path = f"collectors.{name}"
        c.known(f"{path}.node", collector.node, "node", c.s.nodes)
        for j, sector in enumerate(collector.sectors):
            c.known(f"{path}.sectors[{j}]", sector, "sector", c.s.theater.sectors)
        for j, route in enumerate(collector.routes):
            c.known(f"{path}.routes[{j}]", route, "route", c.s.theater.routes)
        for j, munition in enumerate(collector.munitions or []):
            c.known(f"{path}.munitions[{j}]", munition, "munition", c.s.munitions)


def _sharing(c: _Checker) -> None:
    parties = [*c.s.nations, *c.s.communities]
    links = {link.name: link for link in c.s.links}
    rules = Releasability(c.s)
    for i, rule in enumerate(c.s.sharing):
        path = f"sharing[{i}]"
        marking = rule.marking
        level_ok = c.known(
            f"{path}.marking.classification",
            marking.classification,
            "classification",
            c.s.classifications,
        )
        for j, name in enumerate(marking.rel_to):
            c.known(f"{path}.marking.rel_to[{j}]", name, "nation or community", parties)
        if rule.disciplines is not None and rule.items == "assessments":
            c.error(
                f"{path}.disciplines", "filters reports and findings; this rule shares assessments"
            )
        if not c.known(f"{path}.from", rule.from_, "node", c.s.nodes):
            continue
        for j, dst in enumerate(rule.to):
            if not c.known(f"{path}.to[{j}]", dst, "node", c.s.nodes):
                continue
            link = links.get(link_name(rule.from_, dst))
            if link is None:
                # a warning, not an error: DESIGN.md's own example shares assessments back
                # over a link it does not declare
                c.warn(
                    f"{path}.to[{j}]",
                    f"this rule can never deliver to {dst}: there is no link "
                    f"{link_name(rule.from_, dst)}",
                )
                continue
            ladder = c.s.classifications
            if not level_ok or link.max_classification not in ladder:
                continue
            if c.s.nodes[dst].clearance not in ladder:
                continue
            refused = rules.refusal(link.name, marking.classification, marking.rel_to)
            if refused is not None:
                c.warn(f"{path}.to[{j}]", f"this rule can never deliver to {dst}: {refused.why}")


def _adversary(c: _Checker) -> None:
    for i, campaign in enumerate(c.s.adversary.disinformation):
        path = f"adversary.disinformation[{i}]"
        c.known(f"{path}.node", campaign.node, "node", c.s.nodes)
        c.known(f"{path}.munition", campaign.munition, "munition", c.s.munitions)
        for j, sector in enumerate(campaign.sectors):
            c.known(f"{path}.sectors[{j}]", sector, "sector", c.s.theater.sectors)
        c.window(path, campaign.from_, campaign.until)
    links = [link.name for link in c.s.links]
    for i, attack in enumerate(c.s.adversary.cyber):
        path = f"adversary.cyber[{i}]"
        for j, name in enumerate(attack.links):
            c.known(f"{path}.links[{j}]", name, "link", links)
        c.time(f"{path}.at", attack.at)
        if attack.until is not None and attack.until <= attack.at:
            at, until = format_hours(attack.at), format_hours(attack.until)
            c.error(f"{path}.until", f"until ({until}) must be after at ({at})")
