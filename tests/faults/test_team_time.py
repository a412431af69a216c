"""Time never runs ahead, and idempotency compares what the hash covers.

A colleague with INSERT rights plants one correctly chained row recorded in the year 9000:
the database refuses it; if it got in anyway (before revision 0007, or past a dropped
trigger), verify names it and no honest append is stamped after it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.faults._support import (
    assert_ok,
    assert_one_error_line,
    libpq_url,
    run_ledger,
    text,
)
from tests.faults._team import (
    INSERT_ROW,
    INSERT_ROW_SQLITE,
    YEAR_9000_US,
    chained_row,
    line,
    sqlite_bypass,
)


def _head_sqlite(path: str) -> tuple[int, str]:
    with sqlite_bypass(path) as conn:
        return conn.execute("SELECT position, hash FROM events ORDER BY position DESC").fetchone()


def test_sqlite_refuses_a_future_row_and_verify_names_one_that_got_in(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    assert_ok(run_ledger("seed", "--db", db))
    row = chained_row(_head_sqlite(db), recorded_at=YEAR_9000_US, claim="planted")
    with sqlite_bypass(db) as conn, pytest.raises(sqlite3.IntegrityError, match="future"):
        conn.execute(INSERT_ROW_SQLITE, row)
    assert_ok(run_ledger("verify", "--db", db))
    # Past a dropped trigger (or planted before the guard existed):
    with sqlite_bypass(db) as conn:
        conn.execute("DROP TRIGGER events_refuse_future")
        conn.execute(INSERT_ROW_SQLITE, row)
    message = assert_one_error_line(run_ledger("verify", "--db", db), f"position {row['position']}",
                                    "future")
    assert "events_refuse_future" not in message  # the trigger is reported as a warning
    result = run_ledger("append", "-", "--db", db, input=line(1))
    assert_one_error_line(result, "in the future", "verify")
    with sqlite_bypass(db) as conn:
        count = conn.execute("SELECT count(*) FROM events WHERE recorded_at >= ?",
                             (YEAR_9000_US,)).fetchone()[0]
    assert count == 1, "an honest event was stamped after the planted head"


@pytest.mark.postgres
def test_postgres_refuses_a_future_row_and_verify_names_one_that_got_in(pg_database: str) -> None:
    assert_ok(run_ledger("seed", "--db", pg_database))
    with psycopg.connect(libpq_url(pg_database), autocommit=True) as conn:
        head = conn.execute("SELECT position, hash FROM events ORDER BY position DESC").fetchone()
        row = chained_row(head, recorded_at=YEAR_9000_US, claim="planted")
        with pytest.raises(psycopg.errors.CheckViolation, match="future"):
            conn.execute(INSERT_ROW, row)
        assert_ok(run_ledger("verify", "--db", pg_database))
        conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_future")
        conn.execute(INSERT_ROW, row)
    result = run_ledger("verify", "--db", pg_database)
    assert_one_error_line(result, f"position {row['position']}", "future")
    assert "events_refuse_future" in text(result) and "disabled" in text(result)
    assert_one_error_line(run_ledger("append", "-", "--db", pg_database, input=line(1)),
                          "in the future")


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_idempotency_compares_canonical_json(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = str(tmp_path / "l.db") if engine == "sqlite" else request.getfixturevalue("pg_database")
    event_id = str(uuid.uuid4())

    def with_metadata(value: object) -> str:
        event = json.loads(line(7))
        event["event_id"] = event_id
        event["metadata"] = {"n": value}
        return json.dumps(event) + "\n"

    assert_ok(run_ledger("append", "-", "--db", db, input=with_metadata(1)))
    # `true` hashes differently from 1: the same id with it is a conflict, not "already stored".
    for other in (True, "1", [1]):
        result = run_ledger("append", "-", "--db", db, input=with_metadata(other))
        assert_one_error_line(result, event_id, "different content")
    # 1.0 is written 1 by RFC 8785: the very same content.
    result = assert_ok(run_ledger("append", "-", "--db", db, input=with_metadata(1.0)))
    assert "1 skipped" in text(result)
