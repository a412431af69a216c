"""Raw range scans of the `events` table for `ledger verify`: DBAPI tuples, no Row objects.

Verify reads every column of every row once. Through SQLAlchemy's result machinery (Row objects,
per-column processors, then a StoredEvent dataclass) the read cost as much as the hashing, so
this path asks the DBAPI cursor directly and hands tuples on. The values are the ones
`SqlStore.read_after` yields: the same connection set-up (the engine's own pool, so the same
pragmas and JSON loaders) and SQLAlchemy's own JSON result processor for anything that is not
plain JSON text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import multiprocessing.util
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import Dialect

from ledger.domain.model import StoredEvent
from ledger.store.sql.schema import events as T

#: The columns in StoredEvent field order: a scanned tuple is `StoredEvent(*row)` once decoded.
_COLUMNS = (
    "position, event_id, type, claim_id, version, schema_version, occurred_from, occurred_to, "
    "recorded_at, data, metadata, salt, prev_hash, hash"
)
# PostgreSQL: JSONB as its text, decoded by `json_decoder`. psycopg's JSON loader (the engine's
# deserializer, called from Python once per value) cost more than the rest of the row; the
# text is what that loader would have been given.
_PG_COLUMNS = (
    "position, event_id, type, claim_id, version, schema_version, occurred_from, occurred_to, "
    "recorded_at, data::text AS data, metadata::text AS metadata, salt, prev_hash, hash"
)
_ORDER = " ORDER BY position"
_SQLITE_RANGE = "SELECT " + _COLUMNS + " FROM events WHERE position > ? AND position <= ?" + _ORDER
_SQLITE_AFTER = "SELECT " + _COLUMNS + " FROM events WHERE position > ?" + _ORDER
_PG_RANGE = "SELECT " + _PG_COLUMNS + " FROM events WHERE position > %s AND position <= %s" + _ORDER
_PG_AFTER = "SELECT " + _PG_COLUMNS + " FROM events WHERE position > %s" + _ORDER
_MAX_POSITION = "SELECT max(position) FROM events"

if _COLUMNS.split(", ") != [f.name for f in dataclasses.fields(StoredEvent)] or T.name != "events":
    raise RuntimeError("ledger.store.sql.scan: the column list no longer matches StoredEvent")

_FETCH = 5_000  # rows per fetchmany: bounded memory, few round trips
_cursor_names = itertools.count(1)

Decode = Callable[[Any], Any]


class RowScan:
    """Position-ordered scans of the log as raw tuples, on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._range, self._after = (
            (_SQLITE_RANGE, _SQLITE_AFTER) if self._sqlite else (_PG_RANGE, _PG_AFTER)
        )
        self.decode = json_decoder(engine.dialect)

    def max_position(self) -> int:
        """The largest position stored, 0 when the log is empty."""
        with self._connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute(_MAX_POSITION)
                row = cur.fetchone()
            finally:
                cur.close()
        return int(row[0]) if row and row[0] is not None else 0

    def rows(self, after: int, up_to: int | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows with `after < position <= up_to` in position order, JSON columns still raw.

        `self.decode` turns a raw `data` or `metadata` value into what `read_after` yields.
        """
        if up_to is None:
            sql, params = self._after, (after,)
        else:
            sql, params = self._range, (after, up_to)
        with self._connection() as conn:
            # PostgreSQL: a named (server-side) cursor streams instead of buffering the result;
            # binary rows spare the parsing of integers from text.
            cur = conn.cursor() if self._sqlite else conn.cursor(name=_cursor_name(), binary=True)
            try:
                cur.execute(sql, params)
                while rows := cur.fetchmany(_FETCH):
                    yield from rows
            finally:
                cur.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        # The engine's pool: the connection carries the engine's set-up (pragmas, JSON
        # loaders); closing the proxy rolls back and returns it to the pool.
        fairy = self.engine.raw_connection()
        try:
            yield fairy.driver_connection
        finally:
            fairy.close()


def json_decoder(dialect: Dialect) -> Decode:
    """What SQLAlchemy (and the driver under it) make of a JSON column value read back."""
    loads = getattr(dialect, "_json_deserializer", None) or json.loads
    processor = T.c.data.type.dialect_impl(dialect).result_processor(dialect, None)
    if processor is None:
        # The driver decodes (psycopg, with the engine's deserializer as its JSON loader, and
        # NULL as None); the scan reads the JSON as text, so decode it here the same way.
        def driver_decode(value: Any) -> Any:
            return None if value is None else loads(value)

        return driver_decode

    def decode(value: Any) -> Any:
        # JSON text is by far the common case: exactly what the processor does with it.
        # Anything else SQLite may hold (NULL, a BLOB, a number) takes the processor itself.
        if type(value) is str:
            return loads(value)
        return processor(value)

    return decode


def reset_after_fork(engine: Engine) -> None:
    """In a forked child: a pool of its own, closed when the child exits; the parent's untouched.

    The inherited pool's connections share sockets and file handles with the parent: they are
    kept referenced (never closed, never collected) so no finalizer runs on them here.
    """
    _inherited_pools.append(engine.pool)
    engine.dispose(close=False)
    multiprocessing.util.Finalize(None, engine.dispose, exitpriority=10)


_inherited_pools: list[Any] = []


def _cursor_name() -> str:
    return f"ledger_verify_{next(_cursor_names)}"
