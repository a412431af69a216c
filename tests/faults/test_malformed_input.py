"""Malformed NDJSON through `ledger import FILE` and `ledger import -`: the same answer either way.

A refused input names its line, stores nothing (not even the good lines before the bad one) and
exits 1 with one `Error:` line. Decisions asserted here, as the code documents them:

- CRLF line endings are accepted (`ledger.service.iter_lines`: "CRLF files from Windows tools
  are still NDJSON"), and the `\r` is not part of the data;
- a missing final newline is accepted;
- an empty or blank line is refused, wherever it is (also a trailing one): NDJSON holds one
  object on every line;
- a line longer than `ledger.service.MAX_LINE_BYTES` (8 MiB) is refused before it is held whole.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from ledger.service import MAX_LINE_BYTES
from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    export_lines,
    record_figures,
    run_ledger,
    sqlite_stats,
)

NS = uuid.UUID("5b0c9a52-3f4e-4d0a-9d1e-8f1b2c3d4e5f")


def good(i: int, **data: str) -> bytes:
    return json.dumps({
        "event_id": str(uuid.uuid5(NS, str(i))),
        "type": "ClaimMade",
        "claim_id": f"malformed-{i}",
        "occurred_at": "2023-11-21",
        "data": {"claimant": "Wire service", "statement": f"Statement {i}", **data},
    }).encode()


G1, G2, G3 = good(1), good(2), good(3)

# name, input bytes, refused line, a fragment of the reason
REFUSED = [
    ("truncated JSON", G1 + b"\n" + G2[:40] + b"\n" + G3 + b"\n", 2, "not valid JSON"),
    ("truncated last line", G1 + b"\n" + G2[:-1], 2, "not valid JSON"),
    ("two objects on a line", G1 + b"\n" + G2 + G3 + b"\n", 2, "more than one JSON value"),
    ("two objects, a space between", G1 + b"\n" + G2 + b" " + G3 + b"\n", 2, "more than one"),
    ("a JSON array of events", b"[" + G1 + b"," + G2 + b"]\n", 1, "got an array"),
    ("a pretty-printed array", b"[\n  " + G1 + b",\n  " + G2 + b"\n]\n", 1, "not valid JSON"),
    ("a JSON number", G1 + b"\n42\n", 2, "got a number"),
    ("a JSON null", G1 + b"\nnull\n", 2, "got null"),
    ("a byte-order mark", b"\xef\xbb\xbf" + G1 + b"\n" + G2 + b"\n", 1, "byte-order mark"),
    ("a BOM on line 2", G1 + b"\n\xef\xbb\xbf" + G2 + b"\n", 2, "byte-order mark"),
    ("an empty line", G1 + b"\n\n" + G2 + b"\n", 2, "empty"),
    ("a blank line", G1 + b"\n   \t\n" + G2 + b"\n", 2, "empty"),
    ("a trailing empty line", G1 + b"\n" + G2 + b"\n\n", 3, "empty"),
    ("invalid UTF-8", G1 + b"\n" + good(2, quote="caf\u00e9").replace(b"caf\\u00e9", b"caf\xe9")
     + b"\n", 2, "not valid UTF-8"),
    ("overlong UTF-8 encoding", G1 + b"\n" + G2.replace(b"Wire", b"W\xc1\xa9re") + b"\n", 2,
     "UTF-8"),
    ("a raw control character in a string", G1 + b"\n" + G2.replace(b"Wire", b"Wi\x01re")
     + b"\n", 2, "not valid JSON"),
    ("old Mac CR-only line endings", G1 + b"\r" + G2 + b"\r", 1, "more than one JSON value"),
    ("a NUL byte", G1 + b"\n" + G2.replace(b"Wire", b"Wi\x00re") + b"\n", 2, "line 2"),
]

ACCEPTED = [
    ("CRLF line endings", G1 + b"\r\n" + G2 + b"\r\n", 2),
    ("no final newline", G1 + b"\n" + G2, 2),
    ("CRLF and no final newline", G1 + b"\r\n" + G2, 2),
    ("an empty input", b"", 0),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding one event, copied for each test (so 'stores nothing' means something)."""
    path = tmp_path_factory.mktemp("malformed") / "template.db"
    base = good(0) + b"\n"
    assert_ok(run_ledger("import", "-", "--db", str(path), input=base))
    return path


def _copy(template: Path, tmp_path: Path, name: str) -> str:
    target = tmp_path / name
    shutil.copy(template, target)
    return str(target)


def _both(data: bytes, template: Path, tmp_path: Path) -> tuple[object, object, str, str]:
    file_db, stdin_db = _copy(template, tmp_path, "file.db"), _copy(template, tmp_path, "stdin.db")
    path = tmp_path / "input.ndjson"
    path.write_bytes(data)
    by_file = run_ledger("import", str(path), "--db", file_db)
    by_stdin = run_ledger("import", "-", "--db", stdin_db, input=data)
    return by_file, by_stdin, file_db, stdin_db


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "data", "line", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
def test_malformed_input_is_refused_naming_the_line(
    name: str, data: bytes, line: int, reason: str, template: Path, tmp_path: Path
) -> None:
    by_file, by_stdin, file_db, stdin_db = _both(data, template, tmp_path)
    file_error = assert_one_error_line(by_file, f"line {line}", reason)  # type: ignore[arg-type]
    stdin_error = assert_one_error_line(by_stdin, f"line {line}", reason)  # type: ignore[arg-type]
    assert file_error == stdin_error
    assert file_error.startswith(f"Error: line {line}")
    assert sqlite_stats(file_db) == sqlite_stats(stdin_db) == (1, 1, 1)  # nothing stored
    record_figures(f"malformed: {name}", malformed_tried=1, malformed_refused=1)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "data", "count"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_tolerated_shapes_are_accepted_identically(
    name: str, data: bytes, count: int, template: Path, tmp_path: Path
) -> None:
    by_file, by_stdin, file_db, stdin_db = _both(data, template, tmp_path)
    assert_ok(by_file)  # type: ignore[arg-type]
    assert_ok(by_stdin)  # type: ignore[arg-type]
    assert by_file.stderr == by_stdin.stderr  # type: ignore[attr-defined]
    assert f"imported: {count} added" in by_file.stderr.decode()  # type: ignore[attr-defined]
    exported = export_lines(file_db)
    assert len(exported) == 1 + count
    assert [e["event_id"] for e in exported] == [e["event_id"] for e in export_lines(stdin_db)]
    for stored, original in zip(exported[1:], (G1, G2)):
        # No stray \r anywhere: the data is exactly the line's.
        assert stored["data"] == json.loads(original)["data"]
    record_figures(f"malformed (accepted): {name}", malformed_tried=1, malformed_refused=0)


@pytest.mark.timeout(180)
def test_a_10_mb_line_is_refused_by_the_documented_limit(template: Path, tmp_path: Path) -> None:
    assert MAX_LINE_BYTES == 8 * 1024 * 1024
    huge = good(2, quote="x" * (10 * 1024 * 1024))
    data = G1 + b"\n" + huge + b"\n" + G3 + b"\n"
    by_file, by_stdin, file_db, stdin_db = _both(data, template, tmp_path)
    file_error = assert_one_error_line(by_file, "line 2", "8 MiB")  # type: ignore[arg-type]
    stdin_error = assert_one_error_line(by_stdin, "line 2", "8 MiB")  # type: ignore[arg-type]
    assert file_error == stdin_error
    assert sqlite_stats(file_db) == sqlite_stats(stdin_db) == (1, 1, 1)
    record_figures("malformed: 10 MB line", malformed_tried=1, malformed_refused=1)


@pytest.mark.timeout(180)
def test_the_line_limit_is_exact(template: Path, tmp_path: Path) -> None:
    """A line of exactly MAX_LINE_BYTES (without its newline) passes; one byte more is refused."""
    head = good(5, quote="")
    pad = MAX_LINE_BYTES - len(head)
    at_limit = good(5, quote="y" * pad)
    assert len(at_limit) == MAX_LINE_BYTES
    over = good(6, quote="y" * (pad + 1))
    db = _copy(template, tmp_path, "limit.db")
    assert_ok(run_ledger("import", "-", "--db", db, input=at_limit + b"\n"))
    assert_ok(run_ledger("import", "-", "--db", db, input=G1 + b"\n" + at_limit))  # no newline
    assert_one_error_line(run_ledger("import", "-", "--db", db, input=over + b"\n"), "line 1")
    assert_one_error_line(run_ledger("import", "-", "--db", db, input=over), "line 1", "8 MiB")
    assert sqlite_stats(db)[0] == 3
    record_figures("malformed: line limit +1", malformed_tried=2, malformed_refused=2)
