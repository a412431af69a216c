"""Opening a ledger: the full SQL store, the read-only SQLite reader, schema upgrades."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ledger.domain.errors import LedgerError, NotFoundError, SchemaError
from ledger.service.ledger import Ledger
from ledger.store.clock import wall_clock


def open_ledger(
    db: str | None,
    *,
    create: bool = True,
    clock: Callable[[], int] = wall_clock,
    tz: Any = None,
    lock_timeout: float | None = None,
) -> Ledger:
    """Open the ledger at `db` (path or URL); a new database gets the schema on first use.

    `create=False` (the reading commands) refuses a path or database that holds no ledger and
    creates nothing: a mistyped `--db` must not leave an empty ledger behind.
    """
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import ensure_schema
    from ledger.store.sql.projection import SqlSnapshots
    from ledger.store.sql.store import SqlStore
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    if not create:
        _refuse_missing_file(db)
    engine = make_engine(url, lock_timeout=lock_timeout)
    try:
        ensure_schema(engine, create_if_empty=create)
    except SchemaError:
        engine.dispose()
        if not create:
            _refuse_empty_database(engine, db)
        raise
    return Ledger(
        store=SqlStore(engine, clock=clock),
        engine=engine,
        url=redact(url),
        snapshots=SqlSnapshots(engine),
        tz=tz,
    )


def open_reader(db: str | None, *, tz: Any = None) -> Ledger:
    """Open a ledger to answer questions about a claim or two.

    An existing SQLite file at the current schema is read with the bare sqlite3 driver (a
    one-shot process then never imports SQLAlchemy); anything else opens the full store.
    Answers are the same either way: without persisted snapshots a claim is refolded from
    its own events.
    """
    from ledger.store.sql.revision import HEAD
    from ledger.store.sql.sqlite_file import SQLITE_BUSY_TIMEOUT_S
    from ledger.store.sql.reader import open_sqlite_reader, sqlite_file
    from ledger.store.sql.urls import target

    path = sqlite_file(target(db))
    reader = None if path is None else open_sqlite_reader(path, HEAD, SQLITE_BUSY_TIMEOUT_S)
    if reader is None:
        return open_ledger(db, create=False, tz=tz)
    return Ledger(store=reader, url=str(path), tz=tz)


def _no_ledger(db: str | None) -> NotFoundError:
    from ledger.store.sql.urls import redact, target

    where = redact(target(db))
    return NotFoundError(f"no ledger at {where}; create one with ledger init --db {where}")


def _refuse_missing_file(db: str | None) -> None:
    """A SQLite path with no file (or an empty one) holds no ledger: say so before connecting,
    since connecting would create the file and its directory."""
    from ledger.store.sql.reader import sqlite_file
    from ledger.store.sql.urls import target

    raw = target(db)
    path = sqlite_file(raw)
    if path is None and raw.startswith("sqlite:") and ":memory:" not in raw:
        path = _sqlite_url_path(raw)
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        raise _no_ledger(db)


def _sqlite_url_path(raw: str) -> Path | None:
    from ledger.store.sql.urls import resolve_url

    database = resolve_url(raw).database
    return Path(database).expanduser() if database and not database.startswith("file:") else None


def _refuse_empty_database(engine: Any, db: str | None) -> None:
    """A server database (or schema) without any table holds no ledger."""
    from ledger.store.sql.migrate import schema_state

    try:
        state = schema_state(engine)
    finally:
        engine.dispose()
    if state.current is None and state.empty:
        raise _no_ledger(db) from None


def init_ledger(db: str | None) -> tuple[str | None, str, str]:
    """Create or upgrade the schema; returns (from revision, to revision, redacted URL)."""
    before, after, url, _ = init_with_app_role(db, None)
    return before, after, url


def init_with_app_role(
    db: str | None, app_role: str | None
) -> tuple[str | None, str, str, dict[str, str] | None]:
    """`init_ledger`, then (PostgreSQL) grant `app_role` what appending and asking need."""
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import upgrade
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    if app_role is not None and url.get_backend_name() == "sqlite":
        raise LedgerError(
            "--app-role is for PostgreSQL: an SQLite ledger is one file, guarded by its mode"
        )
    engine = make_engine(url)
    granted = None
    try:
        before, after = upgrade(engine)
        if app_role is not None:
            from ledger.store.sql.privileges import grant_app_role

            granted = grant_app_role(engine, app_role)
    finally:
        engine.dispose()
    return before, after, redact(url), granted


@contextlib.contextmanager
def opened(db: str | None, *, read_only: bool = False, **kwargs: Any) -> Iterator[Ledger]:
    """An open ledger for one command (`read_only`: see open_reader)."""
    ledger = open_reader(db) if read_only else open_ledger(db, **kwargs)
    try:
        yield ledger
    finally:
        ledger.close()
