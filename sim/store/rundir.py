"""Run directories: unique run ids, finding a run by path, id or "latest", small JSON files."""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import orjson

from sim.errors import LogError, suggest

EVENTS_FILE = "events.jsonl"
MANIFEST_FILE = "manifest.json"  # what was run: resolved scenario, seed, hashes, timings
METRICS_FILE = "metrics.json"  # a projection of the log, recomputable
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ATTEMPTS = 100


def _safe_name(name: str) -> str:
    """A scenario name made safe as the first part of a directory name."""
    return _UNSAFE.sub("-", name).strip("-.") or "run"


def new_run_dir(out: Path, name: str) -> Path:
    """Create and return ``out/<name>-<UTC yyyymmddTHHMMSS>-<6 hex>``; never reuses a directory."""
    out = Path(out)
    prefix = _safe_name(name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create output directory {out}: {exc.strerror or exc}"
        raise LogError(msg) from None
    for _ in range(_ATTEMPTS):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        run = out / f"{prefix}-{stamp}-{secrets.token_hex(3)}"
        try:
            run.mkdir(exist_ok=False)
        except FileExistsError:
            continue  # another run took this id in the same second: draw a new suffix
        except OSError as exc:
            msg = f"cannot create run directory {run}: {exc.strerror or exc}"
            raise LogError(msg) from None
        return run
    msg = f"could not find a free run id under {out} after {_ATTEMPTS} attempts"
    raise LogError(msg)


def _runs(out: Path) -> list[Path]:
    """Run directories (those holding an event log) directly under ``out``."""
    try:
        return [d for d in out.iterdir() if (d / EVENTS_FILE).is_file()]
    except OSError:
        return []


def resolve_run(arg: str, out: Path = Path("logs")) -> Path:
    """The run directory named by ``arg``: a directory path, a run id under ``out``, or "latest".

    A path to an ``events.jsonl`` file names its directory. Raises LogError otherwise.
    """
    out = Path(out)
    if arg == "latest":
        runs = _runs(out)
        if not runs:
            msg = f"no runs under {out}/ yet: run `intelsim run SCENARIO` first"
            raise LogError(msg)
        # by its log, not the directory: verify's snapshots or an export must not make an
        # old run the latest
        return max(runs, key=lambda d: ((d / EVENTS_FILE).stat().st_mtime_ns, d.name))
    path = Path(arg)
    if path.is_file() and path.name == EVENTS_FILE:
        return path.parent
    if path.is_dir():
        return path
    if (out / arg).is_dir() and not path.is_absolute():
        return out / arg
    names = [d.name for d in _runs(out)]
    hint = suggest(arg, names)
    msg = (
        f'no run {arg!r}: it is not a run directory, nor a run id under {out}/, nor "latest"{hint}'
    )
    raise LogError(msg)


def events_path(run: Path) -> Path:
    """The ``events.jsonl`` of a run directory; LogError when the run has none."""
    path = Path(run) / EVENTS_FILE
    if not path.is_file():
        msg = f"{run} has no {EVENTS_FILE}: it is not a run directory"
        raise LogError(msg)
    return path


def _default(obj: Any) -> Any:
    """Encode what orjson does not know: paths, sets, msgspec structs, pydantic models."""
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if isinstance(obj, msgspec.Struct):
        return msgspec.to_builtins(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    msg = f"cannot write {type(obj).__name__} as JSON"
    raise TypeError(msg)


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as pretty JSON with sorted keys, atomically (a reader never sees half)."""
    path = Path(path)
    data = orjson.dumps(
        obj,
        default=_default,
        option=orjson.OPT_INDENT_2
        | orjson.OPT_SORT_KEYS
        | orjson.OPT_SERIALIZE_NUMPY
        | orjson.OPT_NON_STR_KEYS,
    )
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data + b"\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise LogError(msg) from None


def read_json(path: Path) -> Any:
    """Read a JSON file; LogError naming the file when it is missing or not JSON."""
    path = Path(path)
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise LogError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read: {exc.strerror or exc}"
        raise LogError(msg) from None
    except orjson.JSONDecodeError as exc:
        msg = f"{path}: not valid JSON: {exc}"
        raise LogError(msg) from None
