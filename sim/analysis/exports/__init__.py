"""`intelsim export`: a run for other tools — STIX 2.1, MISP or Parquet — respecting markings.

One module per format (`stix`, `misp`, `parquet`), each with its `export_…` function;
this module holds what they share. Every export reads the log once, checked; a broken
log exports nothing (exit 1). A file is written next to its final name and moved into
place only when complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim import events as ev
from sim.analysis.exports.view import ExportError, ExportView, check_reader, collect
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


def begin(
    source: RunSource, fmt: str, as_node: str | None, ground_truth: bool, out: Path | None
) -> tuple[Path, Exported]:
    """Check the reader and say where an export goes (see :func:`default_out`)."""
    check_reader(source.scenario, as_node, ground_truth)
    target = Path(out) if out is not None else default_out(source, fmt, as_node, ground_truth)
    reader = as_node or "exercise control (all nodes)"
    return target, Exported(fmt, reader=reader, ground_truth=ground_truth)


def checked(source: RunSource) -> tuple[Iterator[ev.Event], Callable[[], None]]:
    """The run's events, read checked, and what to call once read (raises if broken)."""
    reading = source.reading()
    return reading.events(), reading.raise_if_broken


def collect_checked(source: RunSource, as_node: str | None, ground_truth: bool) -> ExportView:
    """What the reader knew, from a checked reading of the whole log."""
    events, check = checked(source)
    view = collect(source.scenario, events, as_node=as_node, ground_truth=ground_truth)
    check()
    return view


def run_key(source: RunSource) -> str:
    """What makes ids stable for the run: its final hash (or its name)."""
    return str(source.manifest.get("final_hash") or source.run_dir.name)


def mkdir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create {path}: {exc.strerror or exc}"
        raise LogError(msg) from None


def write_file(target: Path, data: bytes) -> None:
    mkdir(target.parent)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        msg = f"cannot write {target}: {exc.strerror or exc}"
        raise LogError(msg) from None


__all__ = ["FORMATS", "ExportError", "Exported"]
