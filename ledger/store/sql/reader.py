"""Read-only access to a SQLite ledger on the bare sqlite3 driver, for one-shot questions.

Why a second SQL reader: a `ledger claim show` process spent 0.2 s importing SQLAlchemy
before it could run a 0.3 ms query. When the database is an existing SQLite file already at
this program's schema revision, questions that read a claim or two run on `sqlite3` and the
statements of `driver_sql` instead. Anything else (a new file, an old schema, PostgreSQL, a
URL with options) returns None and the caller opens the full store, which explains or fixes
it. Nothing here writes, so it never needs the write lock or the migrations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from ledger.domain.model import EMPTY_HEAD, Head, StoredEvent
from ledger.store.sql.statements import SQLITE, SQLITE_READ_AFTER, DriverReads, to_event
from ledger.store.sql.evidence import ReadOnlyEvidence
from ledger.store.sql.sqlite_file import warn_if_shared


def sqlite_file(db: str) -> Path | None:
    """The file a `--db` value names when it is a plain SQLite path (else None)."""
    if "://" not in db:
        return Path(db).expanduser()
    prefix = "sqlite:///"
    rest = db[len(prefix):] if db.startswith(prefix) else None
    if not rest or "?" in rest or rest.startswith(":memory:"):
        return None
    return Path(rest).expanduser()


def open_sqlite_reader(path: Path, head_revision: str, timeout_s: float) -> SqliteReader | None:
    """A reader on `path` when it is a ledger at `head_revision`; None to take the full path."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone() or (None,)
    except sqlite3.Error:
        revision = None
    if revision != head_revision:
        conn.close()
        return None
    warn_if_shared(path)
    return SqliteReader(conn)


class SqliteReader:
    """`EventReader` on one sqlite3 connection: the bare driver, no SQLAlchemy."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.reads = DriverReads(conn, SQLITE)
        self.evidence = ReadOnlyEvidence(conn, "sqlite")

    def head(self) -> Head:
        return self.reads.head()

    def head_at(self, position: int) -> Head:
        if position <= 0:
            return EMPTY_HEAD
        return self.reads.head(position)

    def read_claim(self, claim_id: str, *, up_to: int | None = None) -> list[StoredEvent]:
        return self.reads.claim(claim_id, up_to)

    def read_after(
        self,
        position: int = 0,
        *,
        up_to: int | None = None,
        claim_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEvent]:
        params = (position, up_to, up_to, claim_id, claim_id, type, type, -1 if limit is None else limit)
        cur = self.conn.cursor()
        try:
            # One statement: SQLite reads it from one snapshot of the file.
            cur.execute(SQLITE_READ_AFTER, params)
            while rows := cur.fetchmany(5_000):
                for row in rows:
                    yield to_event(row, True)
        finally:
            cur.close()

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        return self.reads.by_ids(event_ids)

    def position_before(self, instant: int) -> int:
        return self.reads.position_before(instant)

    def head_before(self, instant: int) -> Head:
        return self.reads.head_before(instant)

    def read_actors(self, *, up_to: int | None = None) -> list[StoredEvent]:
        return self.reads.actor_events(up_to)

    def linking_claims(self, claim_id: str, *, up_to: int) -> set[str]:
        return self.reads.linking_claims(claim_id, up_to)

    def close(self) -> None:
        self.conn.close()
