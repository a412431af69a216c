"""Append-only in the database itself (the hash rule in the README): every mutating statement is refused by the
database, whoever issues it, and the log is byte-for-byte unchanged afterwards.

The statements are raw SQL through SQLAlchemy `text()` on an engine of the program's own making
(same pragmas, same driver), i.e. exactly what a script or a careless admin would run.
"""

from __future__ import annotations

import io
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ledger.domain.events import validate_event
from ledger.domain.model import NewEvent
from ledger.service import export_events, open_ledger
from ledger.store.sql.engine import make_engine
from ledger.store.sql.urls import resolve_url

_COLUMNS = (
    "position, event_id, claim_id, version, type, schema_version, occurred_from, occurred_to, "
    "recorded_at, data, metadata, salt, prev_hash, hash"
)


def _event(claim: str, kind: str = "ClaimMade") -> NewEvent:
    data = (
        {"claimant": "Wall Street Journal", "statement": "Wagner will supply a Pantsir-S1"}
        if kind == "ClaimMade"
        else {"denier": "Dmitry Peskov (Kremlin)", "quote": "based on nothing"}
    )
    return validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": kind,
            "claim_id": claim,
            "occurred_at": "2023-11-02",
            "data": data,
            "metadata": {"recorded_by": "analyst-1"},
        }
    )


@dataclass
class Populated:
    url: str
    engine: Engine
    dialect: str
    before: bytes


def _export(url: str) -> bytes:
    ledger = open_ledger(url)
    try:
        out = io.BytesIO()
        export_events(ledger, out)
        return out.getvalue()
    finally:
        ledger.close()


@pytest.fixture
def populated(db_url: str) -> Iterator[Populated]:
    ledger = open_ledger(db_url)
    try:
        ledger.store.append([_event("a"), _event("b"), _event("a", "ClaimDenied")])
        ledger.store.append([_event("c"), _event("b", "ClaimDenied")])
    finally:
        ledger.close()
    before = _export(db_url)
    assert before.count(b"\n") == 5
    engine = make_engine(resolve_url(db_url))
    populated = Populated(db_url, engine, engine.dialect.name, before)
    try:
        yield populated
    finally:
        engine.dispose()
    # The log is unchanged afterwards, whatever the test tried.
    assert _export(db_url) == populated.before


def _refused(engine: Engine, sql: str) -> str:
    """Run `sql` in its own transaction; it must fail, naming the append-only rule."""
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.execute(text(sql))
    message = str(info.value.orig)
    return message


# Statements refused on both engines.
COMMON = {
    "update-one-row": "UPDATE events SET claim_id = 'forged' WHERE position = 2",
    "update-data": "UPDATE events SET data = metadata WHERE position = 3",
    "update-hash": "UPDATE events SET hash = prev_hash",
    "update-all-rows": "UPDATE events SET version = version",
    "update-noop-value": "UPDATE events SET position = position WHERE position = 1",
    "delete-one-row": "DELETE FROM events WHERE position = 3",
    "delete-last-row": "DELETE FROM events WHERE position = (SELECT max(position) FROM events)",
    "delete-all": "DELETE FROM events",
    "upsert-position": (
        f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events WHERE position = 2 "
        "ON CONFLICT (position) DO UPDATE SET claim_id = 'forged'"
    ),
    "upsert-event-id": (
        f"INSERT INTO events ({_COLUMNS}) SELECT position + 100, event_id, claim_id, "
        "version + 100, type, schema_version, occurred_from, occurred_to, recorded_at, data, "
        "metadata, salt, prev_hash, hash FROM events WHERE position = 2 "
        "ON CONFLICT (event_id) DO UPDATE SET hash = excluded.prev_hash"
    ),
    "upsert-claim-version": (
        f"INSERT INTO events ({_COLUMNS}) SELECT 99, '00000000-0000-4000-8000-000000000099', "
        "claim_id, version, type, schema_version, occurred_from, occurred_to, recorded_at, data, "
        "metadata, salt, prev_hash, hash FROM events WHERE position = 1 "
        "ON CONFLICT (claim_id, version) DO UPDATE SET data = excluded.metadata"
    ),
}

SQLITE_ONLY = {
    # INSERT OR REPLACE deletes the colliding row; without the BEFORE INSERT guard it would
    # silently renumber or rewrite a stored event.
    "insert-or-replace-same-position": (
        f"INSERT OR REPLACE INTO events ({_COLUMNS}) SELECT position, "
        "'00000000-0000-4000-8000-000000000001', 'forged', 1, type, schema_version, "
        "occurred_from, occurred_to, recorded_at, data, metadata, salt, prev_hash, hash "
        "FROM events WHERE position = 2"
    ),
    "insert-or-replace-same-event-id": (
        f"INSERT OR REPLACE INTO events ({_COLUMNS}) SELECT 6, event_id, claim_id, 50, type, "
        "schema_version, occurred_from, occurred_to, recorded_at, data, metadata, salt, "
        "prev_hash, hash FROM events WHERE position = 2"
    ),
    "insert-or-replace-same-claim-version": (
        f"INSERT OR REPLACE INTO events ({_COLUMNS}) SELECT 6, "
        "'00000000-0000-4000-8000-000000000002', claim_id, version, type, schema_version, "
        "occurred_from, occurred_to, recorded_at, data, metadata, salt, prev_hash, hash "
        "FROM events WHERE position = 2"
    ),
    "replace-into": (
        f"REPLACE INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events WHERE position = 5"
    ),
    "update-or-replace": "UPDATE OR REPLACE events SET position = 1 WHERE position = 2",
    "insert-or-ignore-collision": (
        f"INSERT OR IGNORE INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events"
    ),
}

POSTGRES_ONLY = {
    "truncate": "TRUNCATE events",
    "truncate-cascade": "TRUNCATE TABLE events RESTART IDENTITY CASCADE",
    "merge-update": (
        "MERGE INTO events e USING (SELECT 2 AS p) s ON e.position = s.p "
        "WHEN MATCHED THEN UPDATE SET claim_id = 'forged'"
    ),
    "merge-delete": (
        "MERGE INTO events e USING (SELECT 3 AS p) s ON e.position = s.p "
        "WHEN MATCHED THEN DELETE"
    ),
    "delete-using-cte": (
        "WITH gone AS (DELETE FROM events WHERE position > 3 RETURNING position) "
        "SELECT count(*) FROM gone"
    ),
    "update-from-join": (
        "UPDATE events e SET data = o.data FROM events o WHERE e.position = 1 AND o.position = 2"
    ),
}


CASES = [
    pytest.param(engine, sql, id=f"{engine}-{name}")
    for engine, statements in (
        ("sqlite", {**COMMON, **SQLITE_ONLY}),
        ("postgres", {**COMMON, **POSTGRES_ONLY}),
    )
    for name, sql in sorted(statements.items())
]


@pytest.mark.parametrize(("db_url", "sql"), CASES, indirect=["db_url"])
def test_mutating_statement_is_refused(populated: Populated, sql: str) -> None:
    message = _refused(populated.engine, sql)
    assert "append-only" in message


def test_refused_in_a_transaction_that_did_other_work_first(populated: Populated) -> None:
    """A refusal aborts the statement; the transaction cannot smuggle a change through."""
    with pytest.raises(DBAPIError, match="append-only"), populated.engine.begin() as conn:
        conn.execute(text("SELECT count(*) FROM events")).scalar()
        conn.execute(text("DELETE FROM events WHERE position = 5"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_guard_holds_without_the_programs_pragmas(populated: Populated) -> None:
    """A plain sqlite3 connection (recursive_triggers off) still cannot replace or delete."""
    database = resolve_url(populated.url).database
    assert database
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        assert conn.execute("PRAGMA recursive_triggers").fetchone() == (0,)
        for sql in [
            SQLITE_ONLY["insert-or-replace-same-position"],
            SQLITE_ONLY["replace-into"],
            COMMON["delete-one-row"],
            COMMON["update-one-row"],
        ]:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_the_program_itself_still_appends_after_the_refusals(populated: Populated) -> None:
    for sql in COMMON.values():
        with pytest.raises(DBAPIError), populated.engine.begin() as conn:
            conn.execute(text(sql))
    ledger = open_ledger(populated.url)
    try:
        (stored,) = ledger.store.append([_event("d")]).added
        assert stored.position == 6
    finally:
        ledger.close()
    after = _export(populated.url)
    assert after.startswith(populated.before)
    populated.before = after  # the fixture's final check compares against this
