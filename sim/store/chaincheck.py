"""Check a log's hash chain, line by line, in a child process next to the one that decodes it.

`verify` must re-chain every line (one SHA-256 call each), and must also decode every
event and fold it (evolve, metrics, markings). The two need nothing from each other, so
for a big log `verify` runs :func:`check_chain` in a forked child on the machine's other
core (:mod:`sim.store.forked`). A log whose chain does not hold is then read again,
carefully. ``python -m sim.store.chaincheck PATH OFFSET SEQ PREV`` does the same from a
shell and prints ``{"count": N, "bad": SEQ or null, "last_hash": "…"}``.
"""

from __future__ import annotations

import json
import sys
from hashlib import sha256
from pathlib import Path

from sim.store.chain import HASH_HEAD as _HEAD
from sim.store.chain import SUFFIX_LEN

CHUNK = 1 << 20


def check_chain(path: Path, offset: int, seq: int, prev: bytes) -> tuple[int, int | None, bytes]:
    """(whole lines read, the seq of the first line that breaks the chain or None, last hash)."""
    count, rest, sha = 0, b"", sha256
    with open(path, "rb") as f:
        f.seek(offset)
        while chunk := f.read(CHUNK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            for line in data[: cut - 1].split(b"\n") if cut else ():
                digest = line[-66:-2]
                if (
                    len(line) <= SUFFIX_LEN
                    or line[-SUFFIX_LEN:-66] != _HEAD
                    or sha(prev + line[:-SUFFIX_LEN] + b"}").hexdigest().encode() != digest
                ):
                    return count, seq + count, prev
                prev = digest
                count += 1
    return count, None, prev


def main(argv: list[str]) -> int:
    """Check the chain of the log in argv and print what was found as JSON."""
    if len(argv) != 4:
        sys.stderr.write("usage: python -m sim.store.chaincheck EVENTS.jsonl OFFSET SEQ PREV\n")
        return 2
    try:
        count, bad, last = check_chain(Path(argv[0]), int(argv[1]), int(argv[2]), argv[3].encode())
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"cannot check {argv[0]}: {exc}\n")
        return 1
    sys.stdout.write(json.dumps({"count": count, "bad": bad, "last_hash": last.decode()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
