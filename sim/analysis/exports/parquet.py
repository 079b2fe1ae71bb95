"""A run as Parquet: one table of events with a fixed schema derived from the event schema.

The columns are ``seq``, ``t`` (hours), ``time`` (UTC), ``type`` and ``ground_truth``,
then every field of every event type in :data:`sim.events.EVENT_TYPES`, in declaration
order, once each: a field an event type does not have is null in its rows. A nested
struct (a marking) becomes one column per field (``marking_classification``,
``marking_rel_to``); a mapping (an intervention's changes) is JSON text. New event
types and fields flow through without a change here.

Ground truth stays out unless asked: ground-truth events are left out, and fields only
ground truth knows (a sighting's ``usage``) are null. With ``--ground-truth`` the
metrics of the run (which rest on ground truth) are written as a second table. Rows
are written in batches, so memory stays flat however long the run.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import msgspec
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from sim import events as ev
from sim.analysis.exports import Exported, begin, checked, mkdir
from sim.analysis.metrics import MetricsProjection, flatten
from sim.analysis.perspective import visible_to
from sim.analysis.source import RunSource
from sim.errors import LogError

BATCH = 65_536
SCHEMA_VERSION = 1
_SCALARS: dict[Any, pa.DataType] = {
    str: pa.string(),
    float: pa.float64(),
    int: pa.int64(),
    bool: pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    """One column: its name, Arrow type and how to get its value from an event."""

    name: str
    type: pa.DataType
    get: Callable[[Any], Any]


def _arrow_type(tp: Any) -> tuple[pa.DataType, bool]:
    """The Arrow type of a field's annotation, and whether the value goes as JSON text."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return _arrow_type(args[0]) if len(args) == 1 else (pa.string(), True)
    if tp in _SCALARS:
        return _SCALARS[tp], False
    if origin is list and get_args(tp) and get_args(tp)[0] in _SCALARS:
        return pa.list_(_SCALARS[get_args(tp)[0]]), False
    return pa.string(), True


def _getter(name: str, as_json: bool) -> Callable[[Any], Any]:
    if as_json:
        return lambda e: (
            None if (v := getattr(e, name, None)) is None else orjson.dumps(v, default=_builtins)
        )
    return lambda e: getattr(e, name, None)


def _builtins(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


def _sub_getter(name: str, sub: str) -> Callable[[Any], Any]:
    return lambda e: None if (v := getattr(e, name, None)) is None else getattr(v, sub)


def event_columns() -> list[Column]:
    """The columns of the events table, derived from the closed vocabulary of events."""
    columns: dict[str, Column] = {}
    for cls in ev.EVENT_TYPES.values():
        for field in msgspec.structs.fields(cls):
            if field.name in ("seq", "t") or field.name in columns:
                continue
            tp = field.type
            if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
                for sub in msgspec.structs.fields(tp):
                    arrow, _ = _arrow_type(sub.type)
                    key = f"{field.name}_{sub.name}"
                    columns[key] = Column(key, arrow, _sub_getter(field.name, sub.name))
                continue
            arrow, as_json = _arrow_type(tp)
            columns[field.name] = Column(field.name, arrow, _getter(field.name, as_json))
    return list(columns.values())


def events_schema(metadata: dict[str, Any] | None = None) -> pa.Schema:
    """The Arrow schema of the events table (``intelsim schema --events`` in columns)."""
    fields = [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("t", pa.float64(), nullable=False),
        pa.field("time", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("type", pa.string(), nullable=False),
        pa.field("ground_truth", pa.bool_(), nullable=False),
        *(pa.field(c.name, c.type) for c in event_columns()),
    ]
    meta = None if metadata is None else {b"intelsim": orjson.dumps(metadata)}
    return pa.schema(fields, metadata=meta)


def _batch(
    rows: list[ev.Event], columns: list[Column], start_ms: int, reveal: bool
) -> pa.RecordBatch:
    ts = [e.t for e in rows]
    hidden = set() if reveal else {type(e) for e in rows if type(e).truth_fields}
    arrays = [
        pa.array([e.seq for e in rows], pa.int64()),
        pa.array(ts, pa.float64()),
        pa.array([start_ms + round(t * 3_600_000) for t in ts], pa.int64()).cast(
            pa.timestamp("ms", tz="UTC")
        ),
        pa.array([type(e).__name__ for e in rows], pa.string()),
        pa.array([type(e).ground_truth for e in rows], pa.bool_()),
    ]
    for column in columns:
        get = column.get
        if hidden and any(column.name in cls.truth_fields for cls in hidden):
            values = [None if column.name in type(e).truth_fields else get(e) for e in rows]
        else:
            values = [get(e) for e in rows]
        arrays.append(pa.array(values, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=events_schema())


def event_batches(
    events: Iterable[ev.Event],
    *,
    start_ms: int,
    keep: Callable[[ev.Event], bool] = lambda e: True,
    reveal_truth: bool = True,
) -> Iterator[pa.RecordBatch]:
    """The kept events as Arrow record batches of the events schema, BATCH rows at most."""
    columns = event_columns()
    rows: list[ev.Event] = []
    for event in events:
        if keep(event):
            rows.append(event)
            if len(rows) >= BATCH:
                yield _batch(rows, columns, start_ms, reveal_truth)
                rows = []
    if rows:
        yield _batch(rows, columns, start_ms, reveal_truth)


def write_events(
    events: Iterable[ev.Event],
    path: Path,
    *,
    start_ms: int,
    keep: Callable[[ev.Event], bool],
    reveal_truth: bool,
    metadata: dict[str, Any],
) -> int:
    """Write the kept events to `path` as Parquet, in batches; the number of rows."""
    count = 0
    with pq.ParquetWriter(path, events_schema(metadata), compression="zstd") as writer:
        for batch in event_batches(events, start_ms=start_ms, keep=keep, reveal_truth=reveal_truth):
            writer.write_batch(batch)
            count += batch.num_rows
    return count


def write_metrics(metrics: dict[str, Any], path: Path, metadata: dict[str, Any]) -> None:
    """The run's metrics as a two-column table: ``metric`` (dotted key) and ``value``."""
    flat = flatten(metrics)
    table = pa.table(
        {
            "metric": pa.array(list(flat), pa.string()),
            "value": pa.array([None if v is None else float(v) for v in flat.values()]),
        }
    ).replace_schema_metadata({b"intelsim": orjson.dumps(metadata)})
    pq.write_table(table, path, compression="zstd")


def export_parquet(
    source: RunSource, *, as_node: str | None = None, ground_truth: bool = False,
    out: Path | None = None,
) -> Exported:  # fmt: skip
    """Write the run's events (and, with ground truth, its metrics) as Parquet in a directory."""
    target, done = begin(source, "parquet", as_node, ground_truth, out)
    events, check = checked(source)
    projection = MetricsProjection(source.scenario) if ground_truth else None

    def keep(event: ev.Event) -> bool:
        if projection is not None:
            projection.apply(event)
        if as_node is not None:
            return visible_to(as_node, event)
        return ground_truth or not type(event).ground_truth

    meta = {
        "run": source.run_dir.name,
        "scenario": source.scenario.name,
        "start": source.scenario.start.isoformat(),
        "reader": done.reader,
        "ground_truth": ground_truth,
        "schema_version": SCHEMA_VERSION,
    }
    mkdir(target)
    start_ms = round(source.scenario.start.timestamp() * 1000)
    tmp = target / ".events.parquet.tmp"
    done.items = write_events(
        events, tmp, start_ms=start_ms, keep=keep, reveal_truth=ground_truth, metadata=meta
    )
    try:
        check()
    except LogError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target / "events.parquet")
    done.paths.append(target / "events.parquet")
    if projection is not None:
        write_metrics(projection.result(), target / "metrics.parquet", meta)
        done.paths.append(target / "metrics.parquet")
    return done
