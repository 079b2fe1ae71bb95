"""`intelsim query`: SQL (DuckDB) over the events of one or more runs.

Each run's log is read once, checked, into the same columns as the Parquet export
(:mod:`sim.analysis.exports.parquet`) plus a ``run`` column, and offered to DuckDB as
the table ``events``. Ground truth is included: the log holds it, and whoever can read
the log can read it; use ``intelsim export --as NODE`` for one node's view.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from sim.analysis.exports.parquet import event_batches, events_schema
from sim.analysis.perspective import QueryError
from sim.analysis.source import RunSource


@dataclass
class QueryResult:
    """A query's columns and rows (as many as asked), and how many rows it had in all."""

    columns: list[str]
    rows: list[tuple[object, ...]]
    total: int


def _events_table(sources: list[RunSource]) -> pa.Table:
    schema = events_schema().insert(0, pa.field("run", pa.string(), nullable=False))

    def batches() -> Iterator[pa.RecordBatch]:
        for source in sources:
            reading = source.reading()
            start_ms = round(source.scenario.start.timestamp() * 1000)
            for batch in event_batches(reading.events(), start_ms=start_ms):
                run = pa.array([source.run_dir.name] * batch.num_rows, pa.string())
                yield pa.RecordBatch.from_arrays([run, *batch.columns], schema=schema)
            reading.raise_if_broken()

    return pa.Table.from_batches(list(batches()), schema=schema)


def query_runs(
    sources: list[RunSource], sql: str, *, limit: int | None = 50, out: Path | None = None
) -> QueryResult:
    """Run `sql` over the table ``events`` of the runs; write all rows to `out` if given."""
    con = duckdb.connect()
    con.register("events", _events_table(sources))
    try:
        relation = con.sql(sql)
    except duckdb.Error as exc:
        raise QueryError(f"the query failed: {exc}") from None
    if relation is None:
        raise QueryError("the query returns no rows: give a SELECT")
    try:
        if out is not None:
            _write(con, relation, out)
        total = con.sql(f"select count(*) from ({sql})").fetchall()[0][0]
        shown = relation.limit(limit) if limit is not None else relation
        rows = shown.fetchall()
    except duckdb.Error as exc:
        raise QueryError(f"the query failed: {exc}") from None
    return QueryResult(list(relation.columns), rows, int(total))


def _write(con: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".csv":
        relation.write_csv(str(out))
    elif suffix == ".parquet":
        relation.write_parquet(str(out))
    else:
        raise QueryError(f"cannot write {out}: give a .csv or .parquet file")
