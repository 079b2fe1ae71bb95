"""Snapshots of the folded state every K events, hash-chained, so `replay --at t` starts near t.

`intelsim verify`, which folds the whole log anyway, leaves ``snapshots/`` in the run
directory: one file per snapshot (the state after event ``seq``, pickled) and
``index.json``. A small state gets one every EVERY events and one before RunEnded, so a
replay at any t folds at most EVERY events; a large one, which grows with the run, only
MAX_SNAPSHOTS, spread over the log, so that verify's cost per event stays flat.

Each record of the index holds the snapshot's seq and time, the byte offset of the next
line, the hash of line ``seq``, the SHA-256 of the payload, a fingerprint of intelsim's
source files (the state's classes among them), and a hash chaining it to the record
before: ``sha256(previous + seq + t + line hash + payload hash)``.

A reader uses a snapshot only if all of it holds: the record chain, the payload's
hash, the fingerprint of today's code (a snapshot of an older state layout is ignored,
never misread), and the line hash at that offset of today's log. Payloads are read with
an unpickler that admits only intelsim's own classes (and a deque, sets, msgspec's
struct rebuilder, the datetime of the scenario in force), so a run directory from
elsewhere cannot make a reader run code.
Without snapshots, a replay folds from the start.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from sim.store.chain import GENESIS
from sim.store.reading import Resume

SNAPSHOT_DIR = "snapshots"
INDEX = "index.json"
EVERY = 25_000  # events between the points where a snapshot may be taken
MAX_SNAPSHOTS = 2  # of a large state: at every MAX_SNAPSHOTS-th of the log (on a point),
# whatever they weigh. Each pickles the whole state, which grows with the run (the
# baseline's by ~32 bytes an event), so one at every point would cost verify the square
# of a long run; these few keep its cost per event flat (16 gave 0.41x events/s at 8x
# the baseline's horizon), and a replay then folds at most half the log
BYTES_PER_EVENT = 2  # what the other points' snapshots may weigh, in all, per event
# folded: a small state (queue-50k's is 3 KB) gets one at every point and one before
# RunEnded, so a replay at any t folds at most EVERY events; a large one gets none more
_ALLOWED = {
    ("collections", "deque"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    # how msgspec structs in the state (e.g. events kept as evidence) pickle: it only
    # rebuilds a struct of a class that itself had to pass this list
    ("msgspec._utils", "rebuild"),
    # the scenario in force (WorldState.scenario) holds its start as an aware datetime
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
}


class _Unpickler(pickle.Unpickler):
    """Admits intelsim's own classes and a deque, nothing else; records what it admitted."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.classes: set[tuple[str, str]] = set()

    def find_class(self, module: str, name: str) -> Any:
        if not (module == "sim" or module.startswith("sim.") or (module, name) in _ALLOWED):
            msg = f"a snapshot may not name {module}.{name}"
            raise pickle.UnpicklingError(msg)
        self.classes.add((module, name))
        return super().find_class(module, name)


@cache
def _fingerprint() -> str:
    """A hash of intelsim's own source: changes whenever a state class's layout can have.

    Every module of the `sim` package, by path and bytes (coarser than the classes a
    payload names, so never a misread: at worst a re-fold after an upgrade). Computed once
    per process, from files alone: a snapshot is written without reading its payload back.
    """
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _loads(data: bytes) -> tuple[Any, str]:
    unpickler = _Unpickler(data)
    state = unpickler.load()
    return state, _fingerprint()


@dataclass(frozen=True)
class Snapshot:
    """A usable snapshot: the state after `seq` and where to read on from."""

    seq: int
    t: float
    state: Any
    resume: Resume


class SnapshotWriter:
    """Snapshots of the state after every `every`-th event and the one before RunEnded,
    as many as their weight allows (see MAX_SNAPSHOTS); written on :meth:`finish`."""

    def __init__(self, run_dir: Path, every: int | None = None, events: int = 0) -> None:
        self.dir = Path(run_dir) / SNAPSHOT_DIR
        self.tmp = Path(run_dir) / f".{SNAPSHOT_DIR}.{os.getpid()}.tmp"
        self.every = every or EVERY
        # on a point, so that one check per event finds both kinds
        self.spread = self.every * max(1, -(-events // (MAX_SNAPSHOTS * self.every)))
        # the state before RunEnded: `replay` at the end (its default) then reads one line
        self.last = events - 2 if events >= 2 else -1
        self.taken: list[tuple[int, float, str, str]] = []  # seq, t, payload sha256, fingerprint
        self.weight = 0  # bytes of the payloads taken
        self.latest = (0, 1)  # bytes of the last one, and the count of events it holds
        self.failed = False

    def offer(self, seq: int, t: float, state: Any) -> None:
        """Called with the state after each seq that is due (after every `every`-th event,
        and `last`, the one before RunEnded): keep it if it is spread's or the budget
        allows."""
        # after RunEnded there is nothing left to read: a resume there would read no line
        if self.failed or getattr(state, "ended", False):
            return
        # a state grows at most in step with its events: expect the last payload's bytes
        # per event, and skip unpickled what would break the budget (pickling is the cost)
        size, held = self.latest
        budget = BYTES_PER_EVENT * (seq + 1)
        if (seq + 1) % self.spread and self.weight + size * (seq + 1) // held > budget:
            return
        try:
            data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
            self.tmp.mkdir(exist_ok=True)
            (self.tmp / f"{seq}.pickle").write_bytes(data)
            fingerprint = _fingerprint()
        except (OSError, pickle.PicklingError, pickle.UnpicklingError, TypeError, AttributeError):
            self.failed = True  # a read-only run directory or an unpicklable state: no snapshots
            return
        self.weight += len(data)
        self.latest = (len(data), seq + 1)
        self.taken.append((seq, t, hashlib.sha256(data).hexdigest(), fingerprint))

    def finish(self, lines: dict[int, tuple[int, bytes]], *, keep: bool = True) -> int:
        """Write the index (given each snapshot's next-line offset and line hash); how many."""
        if self.failed or not self.taken or not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return 0
        records, prev = [], GENESIS.decode()
        for seq, t, payload, fingerprint in self.taken:
            offset, line_hash = lines[seq]
            link = _link(prev, seq, t, line_hash.decode(), payload, fingerprint)
            records.append([seq, t, offset, line_hash.decode(), payload, fingerprint, link])
            prev = link
        doc = {"format": 2, "snapshots": records}
        (self.tmp / INDEX).write_bytes(orjson.dumps(doc))
        shutil.rmtree(self.dir, ignore_errors=True)
        os.replace(self.tmp, self.dir)
        return len(records)


def load_snapshot(run_dir: Path, at: float, log: Path) -> Snapshot | None:
    """The latest usable snapshot with a time at or before `at`, or None (see the module doc)."""
    folder = Path(run_dir) / SNAPSHOT_DIR
    try:
        doc = orjson.loads((folder / INDEX).read_bytes())
        records = doc["snapshots"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    prev, usable = GENESIS.decode(), None
    for record in records:
        try:
            seq, t, offset, line_hash, payload, fingerprint, link = record
            expected = _link(prev, seq, t, line_hash, payload, fingerprint)
        except (ValueError, TypeError):
            return None
        if link != expected:
            return None  # the chain of snapshots was changed: trust none of them
        prev = link
        if t <= at:
            usable = (int(seq), float(t), int(offset), str(line_hash), str(payload), fingerprint)
    if usable is None:
        return None
    return _open(folder, log, usable)


def _open(
    folder: Path, log: Path, record: tuple[int, float, int, str, str, str]
) -> Snapshot | None:
    seq, t, offset, line_hash, payload, fingerprint = record
    try:
        data = (folder / f"{seq}.pickle").read_bytes()
        if hashlib.sha256(data).hexdigest() != payload:
            return None
        with open(log, "rb") as f:
            f.seek(offset - 67)
            tail = f.read(67)
        if offset < 67 or tail[:64].decode() != line_hash or tail[64:] != b'"}\n':
            return None  # the log at that place is not the one the snapshot was taken of
        state, now = _loads(data)
    except (OSError, pickle.UnpicklingError, UnicodeDecodeError, EOFError, AttributeError,
            ImportError, TypeError, ValueError):  # fmt: skip
        return None
    if now != fingerprint:
        return None
    return Snapshot(seq, t, state, Resume(offset, seq + 1, line_hash.encode(), t))


def _link(prev: str, seq: int, t: float, line_hash: str, payload: str, fingerprint: str) -> str:
    """A record's place in the chain of snapshots."""
    text = f"{prev}|{seq}|{t!r}|{line_hash}|{payload}|{fingerprint}"
    return hashlib.sha256(text.encode()).hexdigest()


def line_ends(log: Path, seqs: list[int]) -> dict[int, tuple[int, bytes]]:
    """For each seq, the byte offset just after its line and the line's hash (one raw scan)."""
    wanted = sorted(seqs)
    ends: dict[int, int] = {}
    line = base = 0
    with open(log, "rb") as f:
        while wanted:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            n = chunk.count(b"\n")
            pos, at = -1, line
            while wanted and wanted[0] < line + n:
                while at <= wanted[0]:
                    pos = chunk.find(b"\n", pos + 1)
                    at += 1
                ends[wanted.pop(0)] = base + pos + 1
            line += n
            base += len(chunk)
        found = {}
        for seq, end in ends.items():
            f.seek(end - 67)
            found[seq] = (end, f.read(67)[:64])
    return found


def mismatches(run_dir: Path, writer: SnapshotWriter) -> list[int]:
    """Seqs of snapshots already in the run whose state differs from the one just folded."""
    folder = Path(run_dir) / SNAPSHOT_DIR
    try:
        old = {int(r[0]) for r in orjson.loads((folder / INDEX).read_bytes())["snapshots"]}
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return []
    bad = []
    for seq, *_ in writer.taken:
        if seq not in old:
            continue
        try:
            before, _ = _loads((folder / f"{seq}.pickle").read_bytes())
            now, _ = _loads((writer.tmp / f"{seq}.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            bad.append(seq)
            continue
        if before != now:
            bad.append(seq)
    return bad
