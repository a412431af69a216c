"""Engine set-up and the write lock: every dialect branch of the store lives here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ledger.store.sql.sqlite_file import SQLITE_BUSY_TIMEOUT_S, prepare_sqlite_file

# pg_advisory_xact_lock takes a bigint; this one is the ledger's (ASCII "ledger01").
PG_WRITE_LOCK_KEY = 0x6C65646765723031
# Advisory locks are per database, but a ledger is per schema (the `events` table that
# search_path finds): mixing in the schema's name lets ledgers in two schemas of one database
# append at the same time, while two writers of one ledger still take the same lock.
PG_WRITE_LOCK = "SELECT pg_advisory_xact_lock(%s # hashtextextended(current_schema(), 0))"

_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN"}


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: URL) -> Engine:
    """An engine for one command or store; SQLite files are created 0600 before first use."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        # No ping before every checkout: it was a round trip on every question and append,
        # and most ledger processes are one command on fresh connections. A connection found
        # lost is invalidated with its whole pool instead (below, and by Core itself).
        pool_pre_ping=False,
        pool_size=2,
        max_overflow=4,
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        prepare_sqlite_file(Path(database))
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling would BEGIN DEFERRED behind our back; we issue
        # BEGIN ourselves so writers can take the lock up front (a deferred transaction that
        # upgrades to a write can fail with SQLITE_BUSY without waiting).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.execute("PRAGMA foreign_keys=ON")
        # 64 MiB of page cache: index pages of large logs stay hot during bulk appends.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(_BEGIN[mode])

    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the ledger's write lock: one writer at a time, on either engine."""
    if is_sqlite(engine):
        with engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn
        return
    with engine.connect() as conn, conn.begin():
        # Why a lock and not a sequence: sequences hand out numbers in start order but commit
        # in any order, so a reader tailing by position would skip a late commit. Holding one
        # transaction-scoped advisory lock makes head + 1 the next position, gap-free, in
        # commit order.
        conn.exec_driver_sql(PG_WRITE_LOCK, (PG_WRITE_LOCK_KEY,))
        yield conn


@contextlib.contextmanager
def driver_connection(engine: Engine, *, single_reads: bool = False) -> Iterator[Any]:
    """A pooled DBAPI connection, with driver errors raised as SQLAlchemy's (as Core does).

    A lost connection is invalidated, so the pool never hands it out again, and callers see
    the same `sqlalchemy.exc.DBAPIError` subclasses whichever path ran the statement.

    `single_reads`: the caller runs independent one-statement reads, so on PostgreSQL they
    run in autocommit (each statement is its own snapshot); a transaction would only add a
    BEGIN and a ROLLBACK round trip to each. The connection goes back to the pool with
    autocommit off: a writer relies on it for its transaction-scoped lock.
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except dbapi_error as exc:  # the server is down or refusing: what engine.connect() raises
        lost = engine.dialect.is_disconnect(exc, None, None)
        raise DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=lost
        ) from exc
    driver = raw.driver_connection
    autocommit = single_reads and not is_sqlite(engine)
    lost = False
    try:
        if autocommit:
            driver.autocommit = True
        yield driver
        if autocommit:
            driver.autocommit = False
    except dbapi_error as exc:
        lost = engine.dialect.is_disconnect(exc, raw.driver_connection, None)
        if lost:
            # The server went away: every pooled connection is as dead as this one (Core
            # invalidates its pool the same way), so the next checkout connects afresh.
            raw.invalidate(exc)
            engine.dispose()
        raise DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=lost
        ) from exc
    finally:
        if autocommit and not lost and driver.autocommit:  # an error left it on: never pool it
            raw.invalidate()
        raw.close()


@contextlib.contextmanager
def driver_write_transaction(engine: Engine) -> Iterator[Any]:
    """`write_transaction` on the bare DBAPI connection: the same lock, no Core per statement.

    For the append path, where a Core connection's begin/commit/event machinery cost as much
    as the one-row transaction itself. Commits on success, rolls back on any exception.
    """
    with driver_connection(engine) as dbapi:
        cur = dbapi.cursor()
        try:
            if is_sqlite(engine):
                cur.execute("BEGIN IMMEDIATE")
            else:  # psycopg opens the transaction with this first statement
                cur.execute(PG_WRITE_LOCK, (PG_WRITE_LOCK_KEY,))
        finally:
            cur.close()
        try:
            yield dbapi
        except BaseException:
            with contextlib.suppress(Exception):  # a lost connection cannot roll back
                dbapi.rollback()
            raise
        dbapi.commit()

