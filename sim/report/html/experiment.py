"""The report of a what-if analysis directory (compare, sweep, replications, value, ...).

Generic over what those commands write: the manifest's facts, every ``*.csv`` table
(the tables the command wrote, in full up to a row limit), and every plot it drew
(SVG inline, PNG where there is no SVG). The page draws interval charts from any table
with ``ci_low``/``ci_high`` columns: against the manifest's factors when it has some
(a sweep), as a forest plot otherwise (a comparison).
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import LogError
from sim.store import MANIFEST_FILE, read_json

MAX_ROWS = 5000  # rows of one table embedded (the CSV next to the report has them all)
FIRST = ("value", "summary", "comparison")  # the tables people read first
HIDDEN_FACTS = {"resolved", "points", "metrics", "host", "platform"}


def _facts(manifest: dict[str, Any]) -> dict[str, str]:
    """The manifest's facts as short strings (nested ones summarised)."""
    facts: dict[str, str] = {}
    for key, value in manifest.items():
        if key in HIDDEN_FACTS:
            continue
        if isinstance(value, dict):
            inner = value.get("scenario") or value.get("file")
            facts[key] = str(inner) if inner else ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            facts[key] = ", ".join(_fact_item(v) for v in value) or "—"
        else:
            facts[key] = str(value)
    return facts


def _fact_item(value: Any) -> str:
    if isinstance(value, dict) and "path" in value:
        values = value.get("values")
        return f"{value['path']} = {', '.join(map(str, values))}" if values else str(value["path"])
    return str(value)


def _cell(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)  # a seed: JavaScript numbers would round it
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if hasattr(value, "item"):  # numpy scalar
        return _cell(value.item())
    return value


def _table(path: Path) -> dict[str, Any]:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        msg = f"{path}: cannot read the table: {exc}"
        raise LogError(msg) from None
    return _frame_table(frame, path.stem, path.name)


def _frame_table(frame: pd.DataFrame, name: str, file: str) -> dict[str, Any]:
    rows = len(frame)
    frame = frame.head(MAX_ROWS)
    return {
        "name": name,
        "file": file,
        "rows": rows,
        "columns": [str(c) for c in frame.columns],
        "numeric": [bool(pd.api.types.is_numeric_dtype(frame[c])) for c in frame.columns],
        "values": [[_cell(v) for v in frame[c].tolist()] for c in frame.columns],
    }


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _records(value: Any, key: str) -> list[dict[str, Any]] | None:
    """Rows from a list of flat records, or from a mapping name -> flat record."""
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        rows = value
    elif isinstance(value, dict) and value and all(isinstance(r, dict) for r in value.values()):
        rows = [{key: name, **record} for name, record in value.items()]
    else:
        return None
    if all(_scalar(v) for row in rows for v in row.values()):
        return rows
    return None


def _json_tables(path: Path) -> list[dict[str, Any]]:
    """Tables inside a JSON file the command wrote (e.g. a summary of metrics with CIs)."""
    data = read_json(path)
    found = []
    candidates = [(path.stem, data)]
    if isinstance(data, dict):
        candidates += [(f"{path.stem}.{k}", v) for k, v in data.items()]
    for name, value in candidates:
        rows = _records(value, "metric")
        if rows is None:
            continue
        frame = pd.DataFrame.from_records(rows)
        found.append(_frame_table(frame, name, path.name))
    return found


def _images(directory: Path) -> list[dict[str, str]]:
    """The plots the command drew: SVG where there is one, else PNG (base64)."""
    found: dict[str, Path] = {}
    for path in sorted(directory.rglob("*")):
        if path.suffix in (".svg", ".png") and path.is_file():
            stem = str(path.relative_to(directory).with_suffix(""))
            if stem not in found or path.suffix == ".svg":
                found[stem] = path
    images = []
    for stem, path in found.items():
        if path.suffix == ".svg":
            text = path.read_text(encoding="utf-8")
            images.append({"name": stem, "svg": text[text.find("<svg") :]})
        else:
            images.append({"name": stem, "png": base64.b64encode(path.read_bytes()).decode()})
    return images


def _title(kind: str, manifest: dict[str, Any]) -> str:
    a, b = manifest.get("a"), manifest.get("b")
    if isinstance(a, dict) and isinstance(b, dict):
        return f"{b.get('scenario')} vs {a.get('scenario')}"
    return str(manifest.get("scenario") or kind)


def experiment_data(directory: Path) -> dict[str, Any]:
    """The page's data for a what-if output directory (see the module docstring)."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST_FILE
    manifest = read_json(manifest_path) if manifest_path.is_file() else {}
    if not isinstance(manifest, dict):
        manifest = {}
    tables = sorted(
        directory.glob("*.csv"),
        key=lambda p: (p.stem not in FIRST, FIRST.index(p.stem) if p.stem in FIRST else 0, p.stem),
    )
    stems = {p.stem for p in tables}
    json_tables = [
        table
        for path in sorted(directory.glob("*.json"))
        if path.name != MANIFEST_FILE and path.stem not in stems
        for table in _json_tables(path)
    ]
    if not tables and not json_tables and not manifest:
        msg = (
            f"{directory} is neither a run directory (no events.jsonl) nor a what-if output "
            "directory (no manifest.json or tables): give one written by run, compare or sweep"
        )
        raise LogError(msg)
    kind = str(manifest.get("kind") or "analysis")
    factors = [
        f["path"] for f in manifest.get("factors", []) if isinstance(f, dict) and "path" in f
    ]
    return {
        "kind": "experiment",
        "analysis": kind,
        "title": _title(kind, manifest),
        "directory": directory.name,
        "facts": _facts(manifest),
        "factors": factors,
        "tables": [*(_table(path) for path in tables), *json_tables],
        "images": _images(directory),
    }
