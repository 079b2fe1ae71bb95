"""Where the map draws each node: nations as boxes, in columns from the field to the partners.

A nation's column is how many links separate it from the nearest nation whose nodes
receive collectors' reports (the field is on the left, NATO in the middle, partners
further right); nations no report can reach go last. Nodes stack inside their nation.
"""

from __future__ import annotations

from collections import deque

from sim.scenario.models import Scenario

NODE = 230.0  # px from one node to the next in a nation (model coordinates; the page fits)
ROW = 150.0  # px from one nation to the next in a column (room for its box and name)
GAP = 110.0  # px between columns, besides the nodes' own width


def nation_columns(scenario: Scenario) -> dict[str, int]:
    """The column of each nation that has nodes (0: where collectors report)."""
    nation_of = {name: node.nation for name, node in scenario.nodes.items()}
    nations = list(dict.fromkeys(nation_of.values()))
    neighbours: dict[str, set[str]] = {n: set() for n in nations}
    for link in scenario.links:
        a, b = nation_of.get(link.from_), nation_of.get(link.to)
        if a is not None and b is not None and a != b:
            neighbours[a].add(b)
    feeds = collectors_per_nation(scenario)
    column = dict.fromkeys(sorted(feeds, key=nations.index) or nations[:1], 0)
    todo = deque(column)
    while todo:
        nation = todo.popleft()
        for other in sorted(neighbours[nation], key=nations.index):
            if other not in column:
                column[other] = column[nation] + 1
                todo.append(other)
    last = max(column.values(), default=0) + 1
    return {n: column.get(n, last) for n in nations}


def collectors_per_nation(scenario: Scenario) -> dict[str, int]:
    """How many collectors report to each nation's nodes (nations with none left out)."""
    counts: dict[str, int] = {}
    for collector in scenario.collectors.values():
        node = scenario.nodes.get(collector.node)
        if node is not None:
            counts[node.nation] = counts.get(node.nation, 0) + 1
    return counts


def positions(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Model coordinates of every node, each column centred on y = 0.

    A nation's nodes sit side by side (a box wider than tall suits a screen); nations
    stack in their column, the one with the most collectors first (the field on top).
    """
    columns = nation_columns(scenario)
    feeds = collectors_per_nation(scenario)
    members: dict[str, list[str]] = {}
    for name, node in scenario.nodes.items():
        members.setdefault(node.nation, []).append(name)
    placed: dict[str, tuple[float, float]] = {}
    x = 0.0
    for col in sorted(set(columns.values())):
        nations = sorted(
            (n for n in columns if columns[n] == col), key=lambda n: (-feeds.get(n, 0), n)
        )
        width = max(len(members[n]) for n in nations) * NODE
        height = ROW * (len(nations) - 1)
        for k, nation in enumerate(nations):
            y = -height / 2 + k * ROW
            left = x + (width - len(members[nation]) * NODE) / 2
            for i, name in enumerate(members[nation]):
                placed[name] = (left + i * NODE, y)
        x += width + GAP
    return placed
