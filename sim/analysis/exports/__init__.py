"""`intelsim export`: a run for other tools — STIX 2.1, MISP or Parquet — respecting markings.

Every export reads the log once, checked; a broken log exports nothing (exit 1). The
file is written next to its final name and moved into place only when complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim import events as ev
from sim.analysis.exports.view import ExportError, check_reader, collect
from sim.analysis.metrics import MetricsProjection
from sim.analysis.perspective import visible_to
from sim.analysis.source import RunSource
from sim.errors import LogError

FORMATS = ("stix", "misp", "parquet")


@dataclass
class Exported:
    """What an export wrote."""

    format: str
    paths: list[Path] = field(default_factory=list)
    items: int = 0  # objects, attributes or rows
    reader: str = ""
    ground_truth: bool = False


def default_out(source: RunSource, fmt: str, as_node: str | None, ground_truth: bool) -> Path:
    """``RUN/exports/<format>[-NODE][-ground-truth].<ext>`` (a directory for Parquet)."""
    stem = fmt + (f"-{as_node}" if as_node else "") + ("-ground-truth" if ground_truth else "")
    suffix = "" if fmt == "parquet" else ".json"
    return source.run_dir / "exports" / f"{stem}{suffix}"


def export_run(
    source: RunSource,
    fmt: str,
    *,
    as_node: str | None = None,
    ground_truth: bool = False,
    out: Path | None = None,
) -> Exported:
    """Export a run in `fmt`; only what `as_node` saw and knew; ground truth only if asked."""
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}"
        raise ExportError(msg)
    check_reader(source.scenario, as_node, ground_truth)
    target = Path(out) if out is not None else default_out(source, fmt, as_node, ground_truth)
    reader = as_node or "exercise control (all nodes)"
    done = Exported(fmt, reader=reader, ground_truth=ground_truth)
    if fmt == "parquet":
        _parquet(source, target, as_node, ground_truth, done)
    else:
        _document(source, target, fmt, as_node, ground_truth, done)
    return done


def _checked(source: RunSource) -> tuple[Iterator[ev.Event], Callable[[], None]]:
    reading = source.reading()
    return reading.events(), reading.raise_if_broken


def _document(
    source: RunSource, target: Path, fmt: str, as_node: str | None, truth: bool, done: Exported
) -> None:
    from sim.analysis.exports.misp import misp_event
    from sim.analysis.exports.stix import stix_bundle

    events, check = _checked(source)
    view = collect(source.scenario, events, as_node=as_node, ground_truth=truth)
    check()
    name = source.run_dir.name
    key = str(source.manifest.get("final_hash") or name)
    text = stix_bundle(view, name, key) if fmt == "stix" else misp_event(view, name)
    _write(target, text.encode())
    done.paths.append(target)
    done.items = len(view.reports) + sum(len(a.versions) for a in view.assessments.values())


def _parquet(
    source: RunSource, target: Path, as_node: str | None, truth: bool, done: Exported
) -> None:
    from sim.analysis.exports.parquet import write_events, write_metrics

    events, check = _checked(source)
    projection = MetricsProjection(source.scenario) if truth else None

    def keep(event: ev.Event) -> bool:
        if projection is not None:
            projection.apply(event)
        if as_node is not None:
            return visible_to(as_node, event)
        return truth or not type(event).ground_truth

    meta = {
        "run": source.run_dir.name,
        "scenario": source.scenario.name,
        "start": source.scenario.start.isoformat(),
        "reader": done.reader,
        "ground_truth": truth,
        "schema_version": 1,
    }
    _mkdir(target)
    start_ms = round(source.scenario.start.timestamp() * 1000)
    tmp = target / ".events.parquet.tmp"
    done.items = write_events(
        events, tmp, start_ms=start_ms, keep=keep, reveal_truth=truth, metadata=meta
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


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create {path}: {exc.strerror or exc}"
        raise LogError(msg) from None


def _write(target: Path, data: bytes) -> None:
    _mkdir(target.parent)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        msg = f"cannot write {target}: {exc.strerror or exc}"
        raise LogError(msg) from None


__all__ = ["FORMATS", "ExportError", "Exported", "export_run"]
