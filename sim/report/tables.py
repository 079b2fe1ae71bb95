"""Rows of a query or a comparison as a rich table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table


def cell(value: object) -> str:
    """A value as a table cell: floats to 4 significant digits, lists joined, None as —."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def result_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    """A plain table of rows under their column names."""
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    return table
