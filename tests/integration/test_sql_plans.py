"""The SQL store's hot statements use the indexes they were written for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ledger.service import open_ledger
from ledger.store.sql.bulk import ANALYZE_AFTER
from ledger.store.sql.statements import SQLITE
from tests.integration.test_store_contract import made



def test_known_at_is_one_index_probe_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    open_ledger(str(db)).close()
    with sqlite3.connect(db) as conn:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + SQLITE.position_before, (0,)))
    assert "ix_events_recorded_at_position" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_id_lists_probe_the_unique_indexes_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    open_ledger(str(db)).close()
    with sqlite3.connect(db) as conn:
        for sql in (SQLITE.by_ids, SQLITE.last_versions):
            plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, ("[]",)))
            assert "SEARCH events USING" in plan and "SCAN events" not in plan, plan


def test_linked_from_candidates_probe_the_link_target_indexes_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    open_ledger(str(db)).close()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + SQLITE.linking, ("c", 1, "c", 1))
        plan = " ".join(r[3] for r in rows)
    assert "ix_events_link_target" in plan and "ix_events_link_retarget" in plan, plan
    assert "SCAN events" not in plan, plan


@pytest.mark.postgres
def test_linked_from_candidates_probe_the_link_target_indexes_on_postgres(pg_url: str) -> None:
    from ledger.store.sql.statements import POSTGRESQL

    open_ledger(pg_url).close()
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask for the index
            sql = POSTGRESQL.linking.replace("%s", "'c'", 1).replace("%s", "1", 1)
            sql = sql.replace("%s", "'c'", 1).replace("%s", "1", 1)
            plan = " ".join(r[0] for r in conn.execute(text("EXPLAIN " + sql)))
    finally:
        engine.dispose()
    assert "ix_events_link_target" in plan and "ix_events_link_retarget" in plan, plan


@pytest.mark.postgres
def test_a_large_append_refreshes_postgres_statistics(pg_url: str) -> None:
    # Without statistics the planner of a freshly loaded table chose a bitmap scan for one
    # claim's rows, 600x slower than the index; a large append runs ANALYZE after it commits.
    led = open_ledger(pg_url)
    try:
        led.store.append([made(f"c-{i}") for i in range(ANALYZE_AFTER)])
    finally:
        led.close()
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            tuples = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('events')")
            ).scalar()
    finally:
        engine.dispose()
    assert tuples is not None and tuples >= ANALYZE_AFTER * 0.9


@pytest.mark.postgres
def test_single_reads_run_in_autocommit_and_pool_the_connection_without_it(pg_url: str) -> None:
    # A writer's table lock lasts as long as its transaction: a connection pooled
    # in autocommit would release it after the lock statement itself.
    led = open_ledger(pg_url)
    try:
        led.store.append([made("c-1")])
        led.store.head()
        led.store.read_claim("c-1")
        raw = led.engine.raw_connection()
        try:
            assert raw.driver_connection.autocommit is False
            cur = raw.driver_connection.cursor()
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
                        " AND pid = pg_backend_pid()")
            assert cur.fetchone() == (0,)
        finally:
            raw.close()
    finally:
        led.close()


@pytest.mark.postgres
def test_append_reads_are_planned_for_their_values_not_prepared(pg_url: str) -> None:
    # Server-side prepared (generic) plans made one-event appends slow down as the log grew.
    led = open_ledger(pg_url)
    try:
        for i in range(8):
            led.store.append([made(f"c-{i}")])
        raw = led.engine.raw_connection()
        try:
            cur = raw.driver_connection.cursor()
            cur.execute(
                "SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT%%events%%'"
            )
            assert cur.fetchall() == []
        finally:
            raw.close()
    finally:
        led.close()
