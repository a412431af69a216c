"""Opening a ledger: the full SQL store, the read-only SQLite reader, schema upgrades."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ledger.service.ledger import Ledger
from ledger.store.clock import wall_clock


def open_ledger(
    db: str | None,
    *,
    create: bool = True,
    clock: Callable[[], int] = wall_clock,
    tz: Any = None,
) -> Ledger:
    """Open the ledger at `db` (path or URL); a new database gets the schema on first use."""
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import ensure_schema
    from ledger.store.sql.projection import SqlSnapshots
    from ledger.store.sql.store import SqlStore
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    engine = make_engine(url)
    ensure_schema(engine, create_if_empty=create)
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
        return open_ledger(db, tz=tz)
    return Ledger(store=reader, url=str(path), tz=tz)


def init_ledger(db: str | None) -> tuple[str | None, str, str]:
    """Create or upgrade the schema; returns (from revision, to revision, redacted URL)."""
    from ledger.store.sql.engine import make_engine
    from ledger.store.sql.migrate import upgrade
    from ledger.store.sql.urls import redact, resolve_url

    url = resolve_url(db)
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    return before, after, redact(url)


@contextlib.contextmanager
def opened(db: str | None, *, read_only: bool = False, **kwargs: Any) -> Iterator[Ledger]:
    """An open ledger for one command (`read_only`: see open_reader)."""
    ledger = open_reader(db) if read_only else open_ledger(db, **kwargs)
    try:
        yield ledger
    finally:
        ledger.close()
