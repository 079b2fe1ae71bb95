"""A scenario without some of its parts: nodes, a nation's nodes, links, collectors,
adversary campaigns — and everything that depends on them.

`intelsim value` asks what a part is worth by running a scenario with and without it.
The scenario without it must be the same scenario in every other respect, and valid, so
a removal cascades, and every step is listed with its reason:

- a **node** takes with it its links (both ways), its collectors, the sharing rules it
  sends by, its place in the rules that send to it, and the disinformation campaigns
  fed to it;
- a **nation** (a code as nodes name it: `KOR`, or an organisation such as `NATO`) is
  all the nodes of that nation; the nation itself stays (markings still name it);
- a **link** `FROM->TO` takes with it TO from the sharing rules of FROM (nothing could
  cross it) and itself from the cyber attacks on it;
- a **collector** is its reports; a campaign that impersonates it keeps claiming the
  evidence the collector examined (its fakes must not change with the removal);
- a **campaign** (`adversary.disinformation`) or **attack** (`adversary.cyber`) by name;
- a sharing rule left with no destination, or an attack left with no link, goes too;
  an intervention change naming anything removed goes (an intervention left with no
  change goes), and changes naming a list item by its index are renumbered.

Pure: functions of the raw document (links in list form, as the loader gives it); the
input is never changed. `without` validates the result: a removal this module does not
know how to cascade is an error that says what still names the part, never a scenario
that silently means something else.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.errors import IntelsimError, suggest
from sim.scenario.loader import validate_raw
from sim.scenario.models import Scenario, link_name
from sim.scenario.paths import PathError, item_name, list_index, split_path
from sim.scenario.problems import Origin

KINDS = ("node", "nation", "link", "collector", "campaign", "attack")
GROUP = "+"  # "KOR-NIS+KOR-DIA": several parts removed together, valued as one


class RemovalError(IntelsimError):
    """A part that cannot be removed: an unknown name, or a removal that leaves an
    invalid scenario."""


@dataclass(frozen=True)
class Part:
    """A named part of a scenario that can be removed."""

    kind: str  # one of KINDS
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Effect:
    """One consequence of a removal: what was removed (or kept as it was), and why."""

    action: str  # "removed" or "kept"
    what: str  # "node", "link", "sharing destination", "intervention change", ...
    name: str
    because: str

    def __str__(self) -> str:
        return f"{self.action} {self.what} {self.name} ({self.because})"


@dataclass(frozen=True)
class Removal:
    """A scenario document without some parts, and everything the removal did."""

    raw: dict[str, Any]
    parts: tuple[Part, ...]
    effects: tuple[Effect, ...]
    warnings: tuple[str, ...] = ()

    def removed(self, what: str) -> list[str]:
        """Names of the removed items of one kind ("node", "link", ...)."""
        return [e.name for e in self.effects if e.action == "removed" and e.what == what]


# --- naming parts --------------------------------------------------------------------


def part_names(scenario: Scenario) -> dict[str, list[str]]:
    """Every removable part's name, by kind."""
    return {
        "node": list(scenario.nodes),
        "nation": sorted({node.nation for node in scenario.nodes.values()}),
        "link": [link.name for link in scenario.links],
        "collector": list(scenario.collectors),
        "campaign": [c.name for c in scenario.adversary.disinformation],
        "attack": [a.name for a in scenario.adversary.cyber],
    }


def resolve_part(scenario: Scenario, text: str) -> tuple[Part, ...]:
    """The parts `text` names: a node, nation, link, collector, campaign or attack by name,
    `KIND:NAME` where a name is ambiguous, or several joined by `+` (removed together).

    Raises RemovalError with the closest name for an unknown one.
    """
    names = part_names(scenario)
    text = text.strip()
    found = _exact(names, text)
    if found is None and GROUP in text:
        members = [t.strip() for t in text.split(GROUP)]
        parts = [p for m in members for p in resolve_part(scenario, m)]
        return tuple(dict.fromkeys(parts))
    if found is None:
        everything = [n for kind in KINDS for n in names[kind]]
        kind, _, rest = text.partition(":")
        hint = suggest(rest if kind in KINDS else text, everything)
        msg = (
            f"--without {text}: `{scenario.name}` has no node, nation, link, collector, "
            f"campaign or attack called `{rest if kind in KINDS else text}`{hint}"
        )
        raise RemovalError(msg)
    return (found,)


def _exact(names: dict[str, list[str]], text: str) -> Part | None:
    kind, colon, rest = text.partition(":")
    if colon and kind in KINDS and rest in names[kind]:
        return Part(kind, rest)
    matches = [Part(k, text) for k in KINDS if text in names[k]]
    if len(matches) > 1:
        options = " or ".join(f"`{p.kind}:{p.name}`" for p in matches)
        msg = f"--without {text} names a {' and a '.join(p.kind for p in matches)}: write {options}"
        raise RemovalError(msg)
    return matches[0] if matches else None


# --- the transform -------------------------------------------------------------------


def remove_parts(raw: dict[str, Any], parts: Sequence[Part]) -> Removal:
    """The document without `parts` and what depends on them, and every effect (not
    validated: see `without`)."""
    cut = _Cut(copy.deepcopy(raw))
    cut.run(parts)
    return Removal(cut.raw, tuple(parts), tuple(cut.effects))


def without(raw: dict[str, Any], parts: Sequence[Part], file: str = "") -> Removal:
    """`remove_parts`, validated: RemovalError names what still breaks the scenario.

    Warnings the removal brings (a sharing rule that can no longer deliver) are kept
    on the result; those the scenario had before are not repeated.
    """
    removal = remove_parts(raw, parts)
    label = " + ".join(str(p) for p in parts)
    if not removal.raw.get("nodes"):
        msg = f"without {label} no node would be left to run"
        raise RemovalError(msg)
    _, before = validate_raw(raw, Origin(top=file))
    _, after = validate_raw(removal.raw, Origin(top=file))
    errors = [p for p in after if p.severity == "error"]
    if errors:
        lines = "".join(f"\n  {p.path}: {p.message}" for p in errors)
        where = f" {file}" if file else ""
        msg = f"without {label}, the scenario{where} is not valid:{lines}"
        raise RemovalError(msg)
    # by message: a removal renumbers the items a warning's path names
    old = Counter(p.message for p in before)
    fresh = []
    for p in after:
        if old[p.message] > 0:
            old[p.message] -= 1
        else:
            fresh.append(f"{p.path}: {p.message}")
    return Removal(removal.raw, removal.parts, removal.effects, tuple(fresh))


@dataclass
class _Cut:
    """One removal in progress: the document being cut and what has gone so far."""

    raw: dict[str, Any]
    effects: list[Effect] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)
    collectors: set[str] = field(default_factory=set)
    # list sections: the items before the removal, and old index -> new index (None: gone)
    old: dict[str, list[Any]] = field(default_factory=dict)
    moved: dict[str, dict[int, int | None]] = field(default_factory=dict)

    def note(self, what: str, name: str, because: str, action: str = "removed") -> None:
        self.effects.append(Effect(action, what, name, because))

    def run(self, parts: Sequence[Part]) -> None:
        named = {kind: {p.name for p in parts if p.kind == kind} for kind in KINDS}
        self._nodes(named["node"], named["nation"])
        self._links(named["link"])
        self._collectors(named["collector"])
        self._sharing()
        self._campaigns(named["campaign"])
        self._attacks(named["attack"])
        self._interventions()

    def _nodes(self, names: set[str], nations: set[str]) -> None:
        nodes: dict[str, Any] = self.raw.get("nodes") or {}
        for name, spec in list(nodes.items()):
            nation = spec.get("nation") if isinstance(spec, dict) else None
            if name in names:
                because = "named"
            elif nation in nations:
                because = f"a node of {nation}"
            else:
                continue
            self.nodes.add(name)
            del nodes[name]
            self.note("node", name, because)

    def _links(self, names: set[str]) -> None:
        def why(item: Any) -> str | None:
            name = item_name(item)
            if name in names:
                return "named"
            ends = [item.get("from"), item.get("to")] if isinstance(item, dict) else []
            gone = [end for end in ends if end in self.nodes]
            if gone:
                return f"its end {gone[0]} is removed"
            return None

        for name, because in self._filter("links", why, lambda item: str(item_name(item))):
            self.links.add(name)
            self.note("link", name, because)

    def _collectors(self, names: set[str]) -> None:
        collectors: dict[str, Any] = self.raw.get("collectors") or {}
        for name, spec in list(collectors.items()):
            node = spec.get("node") if isinstance(spec, dict) else None
            if name not in names and node not in self.nodes:
                continue
            self.collectors.add(name)
            del collectors[name]
            self.note("collector", name, "named" if name in names else f"it reports to {node}")
            self._pin_impersonators(name, spec)

    def _pin_impersonators(self, name: str, spec: Any) -> None:
        """A campaign posing as a removed collector keeps claiming its evidence."""
        evidence = spec.get("evidence") if isinstance(spec, dict) else None
        campaigns = (self.raw.get("adversary") or {}).get("disinformation") or []
        for campaign in campaigns:
            if not isinstance(campaign, dict) or campaign.get("source") != name:
                continue
            if evidence is not None and campaign.get("evidence") is None:
                campaign["evidence"] = evidence
                self.note(
                    "campaign",
                    str(campaign.get("name")),
                    f"it poses as {name}: its fakes still claim the evidence `{evidence}`",
                    action="kept",
                )

    def _sharing(self) -> None:
        def why(rule: Any) -> str | None:
            if not isinstance(rule, dict):
                return None
            src = str(rule.get("from"))
            if src in self.nodes:
                return f"it sends from {src}, removed"
            to = rule.get("to")
            targets = [to] if isinstance(to, str) else list(to or [])
            gone: dict[str, str] = {}
            for dst in targets:
                if dst in self.nodes:
                    gone[dst] = f"{dst} is removed"
                elif link_name(src, str(dst)) in self.links:
                    gone[dst] = f"link {link_name(src, str(dst))} is removed"
            if not gone:
                return None
            kept = [dst for dst in targets if dst not in gone]
            if not kept:
                return "no destination is left: " + "; ".join(gone.values())
            rule["to"] = kept
            for dst, because in gone.items():
                self.note("sharing destination", f"{src} → {dst}", because)
            return None

        for name, because in self._filter("sharing", why, _rule_name):
            self.note("sharing rule", name, because)

    def _campaigns(self, names: set[str]) -> None:
        def why(item: Any) -> str | None:
            if not isinstance(item, dict):
                return None
            if item.get("name") in names:
                return "named"
            if item.get("node") in self.nodes:
                return f"it feeds {item.get('node')}, removed"
            return None

        for name, because in self._filter("adversary.disinformation", why, _name):
            self.note("campaign", name, because)

    def _attacks(self, names: set[str]) -> None:
        def why(item: Any) -> str | None:
            if not isinstance(item, dict):
                return None
            if item.get("name") in names:
                return "named"
            key = "links" if "links" in item else "link"
            targets = item.get(key)
            listed = [targets] if isinstance(targets, str) else list(targets or [])
            gone = [t for t in listed if t in self.links]
            if not gone:
                return None
            if len(gone) == len(listed):
                return f"no link is left to attack: {', '.join(gone)} removed"
            for target in gone:
                self.note("attack target", f"{item.get('name')} on {target}", "link removed")
            item.pop("link", None)
            item["links"] = [t for t in listed if t not in gone]
            return None

        for name, because in self._filter("adversary.cyber", why, _name):
            self.note("attack", name, because)

    def _filter(
        self, where: str, why: Callable[[Any], str | None], name: Callable[[Any], str]
    ) -> list[tuple[str, str]]:
        """Drop the items of a list section for which `why` gives a reason, remembering
        how the others moved (for intervention paths); (name, reason) of each dropped.

        `why` may trim an item it keeps (a rule's destinations); `name` reads the item
        as it was before.
        """
        holder, key = self._section(where)
        items = holder.get(key) if holder is not None else None
        if holder is None or not isinstance(items, list):
            return []
        self.old[where] = copy.deepcopy(items)
        kept: list[Any] = []
        dropped: list[tuple[str, str]] = []
        moved: dict[int, int | None] = {}
        for i, item in enumerate(items):
            before = name(item) if isinstance(item, dict) else str(item)
            because = why(item)
            if because is None:
                moved[i] = len(kept)
                kept.append(item)
            else:
                moved[i] = None
                dropped.append((before, because))
        holder[key] = kept
        self.moved[where] = moved
        return dropped

    def _section(self, where: str) -> tuple[dict[str, Any] | None, str]:
        *heads, key = where.split(".")
        holder: Any = self.raw
        for head in heads:
            holder = holder.get(head) if isinstance(holder, dict) else None
        return (holder if isinstance(holder, dict) else None), key

    # --- interventions ---------------------------------------------------------------

    def _interventions(self) -> None:
        def why(item: Any) -> str | None:
            if not isinstance(item, dict) or not isinstance(item.get("set"), dict):
                return None
            changes = {}
            for path, value in item["set"].items():
                new_path, because = self._change(str(path))
                if because is not None:
                    self.note("intervention change", f"{path} at {item.get('at')}", because)
                    continue
                changes[new_path] = value
            item["set"] = changes
            return None if changes else "none of its changes is left"

        for name, because in self._filter("interventions", why, lambda i: f"at {i.get('at')}"):
            self.note("intervention", name, because)

    def _change(self, path: str) -> tuple[str, str | None]:
        """The path as it reads after the removal, or why the change goes."""
        try:
            segs = split_path(path)
        except PathError:
            return path, None
        named = {"nodes": self.nodes, "collectors": self.collectors}
        if len(segs) > 1 and segs[0] in named and segs[1] in named[segs[0]]:
            return path, f"{segs[1]} is removed"
        for where in ("links", "sharing", "adversary.disinformation", "adversary.cyber"):
            depth = where.count(".") + 1
            if len(segs) > depth and ".".join(segs[:depth]) == where:
                return self._renumber(segs, depth, where)
        return path, None

    def _renumber(self, segs: list[str], depth: int, where: str) -> tuple[str, str | None]:
        old = self.old.get(where)
        path = ".".join(segs)
        if old is None:
            return path, None
        index = list_index(old, segs[depth])
        if index is None:
            return path, None
        index %= len(old)
        new = self.moved[where].get(index)
        if new is None:
            name = item_name(old[index])
            return path, f"{name or f'{where}[{index}]'} is removed"
        if segs[depth].lstrip("-").isdigit():
            segs = [*segs[:depth], str(new), *segs[depth + 1 :]]
        return ".".join(segs), None


def _rule_name(rule: dict[str, Any]) -> str:
    to = rule.get("to")
    targets = ", ".join(map(str, to)) if isinstance(to, list) else str(to)
    return f"{rule.get('from')} → {targets} ({rule.get('items')})"


def _name(item: dict[str, Any]) -> str:
    return str(item.get("name"))
