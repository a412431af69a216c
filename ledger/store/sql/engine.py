"""Engine set-up and the write lock: every dialect branch of the store lives here."""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ledger.domain.errors import LedgerError, SchemaError
from ledger.store.sql.sqlite_file import prepare_sqlite_file

#: The table whose lock is the PostgreSQL write lock (revision 0007).
PG_LOCK_TABLE = "ledger_write_lock"
#: How long a writer waits for the write lock by default (`--lock-timeout`).
DEFAULT_LOCK_TIMEOUT_S = 30.0
LOCK_TIMEOUT_ENV = "LEDGER_LOCK_TIMEOUT"
#: How long a question waits for the lock to catch its projection up before refolding instead.
BRIEF_WAIT_S = 2.0
_SQLITE_BRIEF_WAIT = "PRAGMA busy_timeout = 2000"  # BRIEF_WAIT_S, as constant text

# The ledger's own schema: where the `events` this session sees lives. Resolved once per
# engine; the lock then names that schema's table, whatever the session's search_path or
# current_schema() (two roles with a schema of their own name must take the same lock).
_LEDGER_SCHEMA = (
    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid = to_regclass('events')"
)
# Who holds the lock table's lock (other than us): for the one line a timed-out writer prints.
_HOLDERS = (
    "SELECT a.pid, a.usename, a.application_name, a.client_addr::text, a.xact_start "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'relation' AND l.granted AND l.relation = to_regclass(%s) "
    "AND l.pid <> pg_backend_pid() ORDER BY a.xact_start LIMIT 3"
)
_SQLSTATE_LOCK_TIMEOUT = "55P03"
_SQLSTATE_READ_ONLY = "25006"
_SQLSTATE_NO_PRIVILEGE = "42501"


class WriteRefused(LedgerError):
    """This connection cannot write: a read-only database (a standby) or a role without the
    write lock's right. Questions fall back to answering without writing."""


class LockTimeout(LedgerError):
    """Another writer held the write lock for longer than the lock timeout."""


@dataclass
class _WriteLock:
    timeout_s: float
    table: str | None = None  # the schema-qualified lock table (PostgreSQL), once resolved
    statement: str | None = None


_write_locks: weakref.WeakKeyDictionary[Engine, _WriteLock] = weakref.WeakKeyDictionary()


def lock_timeout_of(engine: Engine) -> float:
    found = _write_locks.get(engine)
    return DEFAULT_LOCK_TIMEOUT_S if found is None else found.timeout_s


_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN"}


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: URL, *, lock_timeout: float | None = None) -> Engine:
    """An engine for one command or store; SQLite files are created 0600 before first use.

    `lock_timeout`: seconds a writer waits for the write lock (None: $LEDGER_LOCK_TIMEOUT,
    else the default), so a command without its own --lock-timeout still honours the setting.
    """
    timeout = _env_lock_timeout() if lock_timeout is None else lock_timeout
    if timeout < 0:
        raise LedgerError(f"--lock-timeout {timeout:g} is negative: give a number of seconds")
    engine = _sqlite_engine(url, timeout) if url.get_backend_name() == "sqlite" else _pg_engine(url)
    _write_locks[engine] = _WriteLock(timeout)
    return engine


def _env_lock_timeout() -> float:
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        return float(raw)
    except ValueError:
        raise LedgerError(
            f"{LOCK_TIMEOUT_ENV}={raw!r} is not a number of seconds (e.g. 30)"
        ) from None


def _pg_engine(url: URL) -> Engine:
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


def _sqlite_engine(url: URL, busy_timeout_s: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        prepare_sqlite_file(Path(database))
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
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
        if mode == "WRITE":
            brief = bool(conn.get_execution_options().get("ledger_lock_brief"))
            take_write_lock(conn.engine, conn.connection.driver_connection, brief=brief)
        else:
            conn.exec_driver_sql(_BEGIN[mode])

    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine, *, brief: bool = False) -> Iterator[Connection]:
    """A transaction holding the ledger's write lock: one writer at a time, on either engine.

    `brief`: see take_write_lock.
    """
    with engine.connect() as conn:
        sqlite = is_sqlite(engine)
        if sqlite:  # the begin event below takes the lock in place of BEGIN
            conn = conn.execution_options(sqlite_begin="WRITE", ledger_lock_brief=brief)
        try:
            with conn.begin():
                if not sqlite:  # Core began lazily: the driver opens it with the lock
                    take_write_lock(engine, conn.connection.driver_connection, brief=brief)
                yield conn
        finally:
            if sqlite and brief:  # its busy timeout was changed: never pool it again
                conn.invalidate()


def take_write_lock(engine: Engine, dbapi: Any, *, brief: bool = False) -> None:
    """Take the ledger's write lock as the first statement of `dbapi`'s transaction.

    Why a lock and not a sequence: sequences hand out numbers in start order but commit in
    any order, so a reader tailing by position would skip a late commit. Holding the lock
    for the whole transaction makes head + 1 the next position, gap-free, in commit order.

    SQLite: BEGIN IMMEDIATE, waiting at most the busy timeout. PostgreSQL: the table lock of
    the ledger's `ledger_write_lock` in EXCLUSIVE mode, which no plain SELECT conflicts with
    and which needs UPDATE on that table (granted to writers only), waiting at most
    `lock_timeout`.

    `brief`: wait at most BRIEF_WAIT_S instead, when shorter (a projection catch-up that would
    rather answer without writing than wait behind a long import). On SQLite this changes
    the connection's busy timeout: the caller discards the connection afterwards.
    """
    lock = _write_locks.setdefault(engine, _WriteLock(DEFAULT_LOCK_TIMEOUT_S))
    shorter = brief and BRIEF_WAIT_S < lock.timeout_s
    cur = dbapi.cursor()
    try:
        if is_sqlite(engine):
            if shorter:
                cur.execute(_SQLITE_BRIEF_WAIT)
            try:
                cur.execute("BEGIN IMMEDIATE")
            except engine.dialect.loaded_dbapi.OperationalError as exc:
                raise _sqlite_refusal(exc, lock) from None
            return
        if lock.statement is None:
            _resolve_lock_table(cur, lock)
        assert lock.statement is not None and lock.table is not None
        try:
            # Two statements, one round trip (no parameters: psycopg sends them as one query).
            cur.execute(_lock_statement(lock.table, BRIEF_WAIT_S) if shorter else lock.statement)
        except engine.dialect.loaded_dbapi.Error as exc:
            refusal = _pg_refusal(engine, exc, lock)
            if refusal is None:
                raise
            with contextlib.suppress(Exception):
                dbapi.rollback()
            raise refusal from None
    finally:
        cur.close()


def _resolve_lock_table(cur: Any, lock: _WriteLock) -> None:
    cur.execute(_LEDGER_SCHEMA)
    row = cur.fetchone()
    if row is None:
        raise SchemaError("this database holds no ledger (no events table): run `ledger init`")
    lock.table = f"{_quote(row[0])}.{PG_LOCK_TABLE}"
    lock.statement = _lock_statement(lock.table, lock.timeout_s)


def _lock_statement(table: str, timeout_s: float | None) -> str:
    milliseconds = max(1, round(timeout_s * 1000)) if timeout_s else 0
    return (
        # 0 would mean "wait forever" to PostgreSQL; --lock-timeout 0 means "do not wait".
        f"SET LOCAL lock_timeout = {milliseconds}; "
        f"LOCK TABLE {table} IN EXCLUSIVE MODE{'' if milliseconds else ' NOWAIT'}"
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sqlite_refusal(exc: Exception, lock: _WriteLock) -> LedgerError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LockTimeout(
            f"another process held this ledger's write lock for more than "
            f"{lock.timeout_s:g} s (--lock-timeout); try again, or wait longer with "
            "--lock-timeout SECONDS"
        )
    if "readonly" in text or "read-only" in text:
        return WriteRefused("this ledger file is read-only: write to a writable copy")
    return LedgerError(f"cannot take the write lock: {exc}")


def _pg_refusal(engine: Engine, exc: Exception, lock: _WriteLock) -> LedgerError | None:
    state = getattr(exc, "sqlstate", None)
    if state == _SQLSTATE_LOCK_TIMEOUT:
        return LockTimeout(
            f"the ledger's write lock is still held after {lock.timeout_s:g} s "
            f"(--lock-timeout) by {_holders(engine, lock)}; try again, ask them to finish, "
            "or wait longer with --lock-timeout SECONDS"
        )
    if state == _SQLSTATE_READ_ONLY:
        return WriteRefused(
            "this database is read-only (a hot standby or a read-only transaction): "
            "write to the primary"
        )
    if state == _SQLSTATE_NO_PRIVILEGE:
        return WriteRefused(
            f"this role may not take the ledger's write lock (it needs UPDATE on {lock.table}): "
            "write as the ledger's app role (`ledger init --app-role ROLE` grants it)"
        )
    return None


def _holders(engine: Engine, lock: _WriteLock) -> str:
    """The sessions holding the lock, as one phrase (best effort: a fresh connection)."""
    try:
        raw = engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            cur = driver.cursor()
            cur.execute(_HOLDERS, (lock.table,))
            rows = cur.fetchall()
        finally:
            raw.close()
    except Exception:  # noqa: BLE001 - the timeout itself is what the user must hear
        rows = []
    if not rows:
        return "another session (gone by now)"
    return ", ".join(_describe_holder(*row) for row in rows)


def _describe_holder(pid: int, user: Any, app: Any, addr: Any, since: Any) -> str:
    parts = [f"user {user or '?'}"]
    if app:
        parts.append(f"application '{app}'")
    if addr:
        parts.append(f"from {addr}")
    if since is not None:
        parts.append(f"in a transaction since {since:%Y-%m-%d %H:%M:%S %Z}".rstrip())
    return f"pid {pid} ({', '.join(parts)})"


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
        take_write_lock(engine, dbapi)
        try:
            yield dbapi
        except BaseException:
            with contextlib.suppress(Exception):  # a lost connection cannot roll back
                dbapi.rollback()
            raise
        dbapi.commit()

