"""The hash chain that makes a changed, dropped or reordered log line detectable.

Each line of ``events.jsonl`` is the event's canonical JSON body with one more key,
``"hash"``, appended last: ``sha256(previous hash as hex ASCII + body)``. Because the
hash is always the final key and has a fixed width, a reader recovers the exact body
bytes by cutting a fixed 75-byte suffix, without re-encoding (re-encoding would tie
verification to the encoder's formatting).
"""

from __future__ import annotations

from hashlib import sha256

GENESIS: bytes = b"0" * 64
"""The "previous hash" of the first line (seq 0)."""

_HEAD = b',"hash":"'
_TAIL = b'"}'
SUFFIX_LEN = len(_HEAD) + 64 + len(_TAIL)  # 75 bytes: ,"hash":"<64 hex>"}
_HEX = frozenset(b"0123456789abcdef")


def next_hash(prev: bytes, body: bytes) -> bytes:
    """The hash of a line: hex ASCII SHA-256 of ``prev`` (hex ASCII) followed by ``body``."""
    return sha256(prev + body).hexdigest().encode("ascii")


def make_line(prev: bytes, body: bytes) -> tuple[bytes, bytes]:
    """The full line (newline included) for ``body`` after ``prev``, and its hash."""
    digest = sha256(prev + body).hexdigest().encode("ascii")
    return body[:-1] + _HEAD + digest + b'"}\n', digest


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
    if line[-SUFFIX_LEN:-66] != _HEAD or line[-2:] != _TAIL or not _HEX.issuperset(digest):
        msg = 'line does not end with a "hash" key of 64 lowercase hex digits'
        raise ValueError(msg)
    return line[:-SUFFIX_LEN] + b"}", digest
