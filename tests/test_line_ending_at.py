"""`line_ending_at`: the whole line that ends at a byte offset, as splitting the file says."""

from __future__ import annotations

from pathlib import Path

from sim.store.reading import line_ending_at, tail_line


def test_every_line_is_found_by_where_it_ends_and_nothing_else_is(tmp_path: Path) -> None:
    # lines of many lengths, one far longer than the span it first looks back
    lines = [b"a", b"", b"b" * 70_000, b"{}", b"c" * 100]
    path = tmp_path / "log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    ends, at = [], 0
    for line in lines:
        at += len(line) + 1
        ends.append(at)
    for line, end in zip(lines, ends, strict=True):
        assert line_ending_at(path, end, span=16) == line
        assert line_ending_at(path, end) == line
    assert line_ending_at(path, 0) is None
    for inside in (1 + 1 + 5, ends[2] - 1, ends[-1] - 3):  # not just after a newline
        assert line_ending_at(path, inside) is None
    assert tail_line(path) == lines[-1]


def test_a_file_cut_mid_line_has_no_last_line(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"one\ntwo")
    assert tail_line(path) is None
    assert line_ending_at(path, 4) == b"one"
    path.write_bytes(b"")
    assert tail_line(path) is None
