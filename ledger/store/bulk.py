"""Writing many event rows fast: SQLite executemany without per-row compilation, PostgreSQL COPY.

The SQL is constant text (no values are ever formatted into it); JSON columns are serialised
once here with orjson, which SQLite stores as TEXT and PostgreSQL's COPY parses into JSONB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, insert

from ledger.domain.model import StoredEvent
from ledger.store.schema import events as T

_COLUMN_LIST = (
    "position, event_id, type, claim_id, version, schema_version, occurred_from, occurred_to, "
    "recorded_at, data, metadata, salt, prev_hash, hash"
)
SQLITE_INSERT = (
    "INSERT INTO events (" + _COLUMN_LIST + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
PG_COPY = "COPY events (" + _COLUMN_LIST + ") FROM STDIN"

# Below this many rows a plain INSERT is cheaper than setting up COPY.
_COPY_THRESHOLD = 32


def _tuple(e: StoredEvent) -> tuple[Any, ...]:
    return (
        e.position, e.event_id, e.type, e.claim_id, e.version, e.schema_version,
        e.occurred_from, e.occurred_to, e.recorded_at, orjson.dumps(e.data).decode(),
        orjson.dumps(e.metadata).decode(), e.salt, e.prev_hash, e.hash,
    )


def insert_events(conn: Connection, rows: Sequence[StoredEvent], row_dict: Any) -> None:
    """Insert stored events inside the caller's transaction."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.exec_driver_sql(SQLITE_INSERT, [_tuple(e) for e in rows])
    elif dialect == "postgresql" and len(rows) >= _COPY_THRESHOLD:
        # COPY streams rows in bounded chunks; one huge parameter in pipeline mode is what
        # hung other libraries' bulk writes (RESEARCH §4).
        cursor = conn.connection.driver_connection.cursor()
        try:
            with cursor.copy(PG_COPY) as copy:
                for e in rows:
                    copy.write_row(_tuple(e))
        finally:
            cursor.close()
    else:
        conn.execute(insert(T), [row_dict(e) for e in rows])
