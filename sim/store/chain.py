"""The hash chain that makes a changed, dropped or reordered log line detectable.

Each line of ``events.jsonl`` is the event's canonical JSON body with one more key,
``"hash"``, appended last: ``sha256(previous hash as hex ASCII + body)``. Because the
hash is always the final key and has a fixed width, a reader recovers the exact body
bytes by cutting a fixed 75-byte suffix, without re-encoding (re-encoding would tie
verification to the encoder's formatting).
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import sha256
from itertools import chain, repeat
from operator import add, itemgetter, methodcaller

GENESIS: bytes = b"0" * 64
"""The "previous hash" of the first line (seq 0)."""

HASH_HEAD = b',"hash":"'
HASH_TAIL = b'"}'
SUFFIX_LEN = len(HASH_HEAD) + 64 + len(HASH_TAIL)  # 75 bytes: ,"hash":"<64 hex>"}
_HEX = frozenset(b"0123456789abcdef")


def next_hash(prev: bytes, body: bytes) -> bytes:
    """The hash of a line: hex ASCII SHA-256 of ``prev`` (hex ASCII) followed by ``body``."""
    return sha256(prev + body).hexdigest().encode("ascii")


def make_line(prev: bytes, body: bytes) -> tuple[bytes, bytes]:
    """The full line (newline included) for ``body`` after ``prev``, and its hash."""
    digest = sha256(prev + body).hexdigest().encode("ascii")
    return body[:-1] + HASH_HEAD + digest + b'"}\n', digest


def split_line(line: bytes) -> tuple[bytes, bytes]:
    """Split one line (with or without its newline) into ``(body, hash)``.

    Raises ValueError when the line does not end with a well-formed ``"hash"`` key.
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    if len(line) <= SUFFIX_LEN or not line.startswith(b"{"):
        msg = "not an event line (too short, or not a JSON object)"
        raise ValueError(msg)
    digest = line[-66:-2]
    if line[-SUFFIX_LEN:-66] != HASH_HEAD or line[-2:] != HASH_TAIL or not _HEX.issuperset(digest):
        msg = 'line does not end with a "hash" key of 64 lowercase hex digits'
        raise ValueError(msg)
    return line[:-SUFFIX_LEN] + b"}", digest


# A batch of lines checked with a few calls over the whole batch, each iterating in C
# (`map`), rather than a Python loop per line: the same checks, the same verdict.
_DIGEST = itemgetter(slice(-66, -2))
_FRAME_HEAD = itemgetter(slice(-SUFFIX_LEN, -66))
_FRAME_TAIL = itemgetter(slice(-2, None))
_BODY = itemgetter(slice(None, -SUFFIX_LEN))
_SUFFIX = itemgetter(slice(-SUFFIX_LEN, None))
_HEXDIGEST = methodcaller("hexdigest")
_CLOSE = repeat(b"}")


def framed(lines: list[bytes]) -> bool:
    """Whether every line (without newline) ends with its ``,"hash":"<64>"}`` after a body."""
    n = len(lines)
    return (
        n > 0
        and min(map(len, lines)) > SUFFIX_LEN
        and list(map(_FRAME_HEAD, lines)).count(HASH_HEAD) == n
        and list(map(_FRAME_TAIL, lines)).count(HASH_TAIL) == n
    )


def chain_holds(lines: list[bytes], prev: bytes) -> bool:
    """Whether each of `lines` (without newline) is framed (:func:`framed`) and carries
    the hash of the line before it (`prev` for the first) followed by its body.

    Each line's predecessor hash is read from the line before, so the hashes need not
    be computed in turn: one `map` hashes them all. Each line's last 75 bytes must then
    be ``,"hash":"<its hash>"}``: those of every line joined are compared with the
    expected ones joined (all 75 bytes long: equal joined, equal one by one).
    """
    if not lines or min(map(len, lines)) <= SUFFIX_LEN:
        return False
    digests = map(_DIGEST, lines)
    bodies = map(add, map(add, chain((prev,), digests), map(_BODY, lines)), _CLOSE)
    hashes = '"},"hash":"'.join(map(_HEXDIGEST, map(sha256, bodies))).encode()
    return HASH_HEAD + hashes + HASH_TAIL == b"".join(map(_SUFFIX, lines))


def check_span(batches: Iterable[list[bytes]], prev: bytes) -> tuple[int, int | None, bytes]:
    """The hash chain of batches of whole lines (as :func:`sim.store.reading.whole_lines`
    gives a span of a file), the first chained from `prev`.

    (lines checked, the index among them of the first whose frame or hash does not hold,
    or None, the hash of the last line that held). What :func:`chain_holds` says of each
    batch; a batch that fails is checked line by line to say which line. A span checked
    this way joins the span before it: each line's predecessor hash is the one the line
    before it carries, so the chain of a file is the chain of its parts (`verify` checks
    the parts in two processes).
    """
    count = 0
    for lines in batches:
        if chain_holds(lines, prev):
            count += len(lines)
            prev = _DIGEST(lines[-1])
            continue
        for line in lines:  # which line: the first that does not hold alone
            if not chain_holds([line], prev):
                return count, count, prev
            count += 1
            prev = _DIGEST(line)
    return count, None, prev
