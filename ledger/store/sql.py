"""The SQLAlchemy Core store: the same decisions as the memory store, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select

from ledger.domain.model import EMPTY_HEAD, Head, NewEvent, StoredEvent
from ledger.store.appender import plan_append
from ledger.store.clock import wall_clock
from ledger.store.engine import write_transaction
from ledger.store.bulk import insert_events
from ledger.store.faults import crash_point
from ledger.store.port import AppendResult
from ledger.store.schema import events as T

_CHUNK = 500  # ids per IN (...) list; well under SQLite's and PostgreSQL's parameter limits
_INSERT_CHUNK = 10_000  # rows per executemany / COPY; bounded, never one huge payload

_COLUMNS = (
    T.c.position,
    T.c.event_id,
    T.c.type,
    T.c.claim_id,
    T.c.version,
    T.c.schema_version,
    T.c.occurred_from,
    T.c.occurred_to,
    T.c.recorded_at,
    T.c.data,
    T.c.metadata,
    T.c.salt,
    T.c.prev_hash,
    T.c.hash,
)


def row_to_event(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(*row)


def event_to_row(e: StoredEvent) -> dict[str, Any]:
    return {
        "position": e.position,
        "event_id": e.event_id,
        "type": e.type,
        "claim_id": e.claim_id,
        "version": e.version,
        "schema_version": e.schema_version,
        "occurred_from": e.occurred_from,
        "occurred_to": e.occurred_to,
        "recorded_at": e.recorded_at,
        "data": e.data,
        "metadata": e.metadata,
        "salt": e.salt,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


# Statements built once: constructing a Core statement per call cost more than running it
# for single appends and single-claim questions.
_IDS = bindparam("ids", expanding=True)
_HEAD = select(T.c.position, T.c.hash, T.c.recorded_at).order_by(T.c.position.desc()).limit(1)
_HEAD_AT = select(T.c.position, T.c.hash, T.c.recorded_at).where(
    T.c.position == bindparam("position")
)
_BY_IDS = select(*_COLUMNS).where(T.c.event_id.in_(_IDS))
_LAST_VERSIONS = (
    select(T.c.claim_id, func.max(T.c.version)).where(T.c.claim_id.in_(_IDS)).group_by(T.c.claim_id)
)
_VOIDS = select(T.c.data).where(T.c.claim_id.in_(_IDS), T.c.type == "RecordVoided")
_CLAIM = select(*_COLUMNS).where(T.c.claim_id == bindparam("claim_id")).order_by(T.c.version)
_CLAIM_UP_TO = (
    select(*_COLUMNS)
    .where(T.c.claim_id == bindparam("claim_id"), T.c.position <= bindparam("up_to"))
    .order_by(T.c.version)
)
_BEFORE = select(func.max(T.c.position)).where(T.c.recorded_at < bindparam("instant"))


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Reader:
    """The planner's view of the log, inside the writer's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def head(self) -> Head:
        return read_head(self.conn)

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        return read_events_by_id(self.conn, event_ids)

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(sorted(claim_ids)):
            out.update({c: v for c, v in self.conn.execute(_LAST_VERSIONS, {"ids": chunk})})
        return out

    def voided(self, target_ids: Iterable[str]) -> set[str]:
        targets = set(target_ids)
        if not targets:
            return set()
        claims = {e.claim_id for e in self.get(targets).values()}
        found: set[str] = set()
        for chunk in _chunks(sorted(claims)):
            found |= {
                str(d.get("target_event_id")) for (d,) in self.conn.execute(_VOIDS, {"ids": chunk})
            }
        return found & targets


def read_head(conn: Connection, position: int | None = None) -> Head:
    if position is None:
        row = conn.execute(_HEAD).first()
    else:
        row = conn.execute(_HEAD_AT, {"position": position}).first()
    if row is None:
        return EMPTY_HEAD
    return Head(position=row[0], hash=row[1], recorded_at=row[2])


def read_events_by_id(conn: Connection, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
    out: dict[str, StoredEvent] = {}
    for chunk in _chunks(sorted(set(event_ids))):
        for row in conn.execute(_BY_IDS, {"ids": chunk}):
            e = row_to_event(row)
            out[e.event_id] = e
    return out


class SqlStore:
    """The log in an `events` table on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine, clock: Callable[[], int] = wall_clock) -> None:
        self.engine = engine
        self._clock = clock

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
    ) -> AppendResult:
        with write_transaction(self.engine) as conn:
            result = plan_append(
                events, _Reader(conn), now=self._clock(), keep_recorded_at=keep_recorded_at
            )
            if dry_run:
                conn.rollback()
            else:
                self._insert(conn, result.added)
                crash_point("before-commit")
        return result

    def _insert(self, conn: Connection, rows: Sequence[StoredEvent]) -> None:
        crash_point("before-insert")
        for i in range(0, len(rows), _INSERT_CHUNK):
            insert_events(conn, rows[i : i + _INSERT_CHUNK], event_to_row)
            if i + _INSERT_CHUNK < len(rows):
                crash_point("mid-batch")

    def head(self) -> Head:
        with self.engine.connect() as conn:
            return read_head(conn)

    def head_at(self, position: int) -> Head:
        if position <= 0:
            return EMPTY_HEAD
        with self.engine.connect() as conn:
            return read_head(conn, position)

    def read_claim(self, claim_id: str, *, up_to: int | None = None) -> list[StoredEvent]:
        with self.engine.connect() as conn:
            if up_to is None:
                rows = conn.execute(_CLAIM, {"claim_id": claim_id})
            else:
                rows = conn.execute(_CLAIM_UP_TO, {"claim_id": claim_id, "up_to": up_to})
            return [row_to_event(r) for r in rows]

    def read_after(
        self,
        position: int = 0,
        *,
        up_to: int | None = None,
        claim_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEvent]:
        q = select(*_COLUMNS).where(T.c.position > position)
        if up_to is not None:
            q = q.where(T.c.position <= up_to)
        if claim_id is not None:
            q = q.where(T.c.claim_id == claim_id)
        if type is not None:
            q = q.where(T.c.type == type)
        q = q.order_by(T.c.position)
        if limit is not None:
            q = q.limit(limit)
        # One read transaction for the whole scan: a consistent snapshot, streamed.
        with self.engine.connect() as conn:
            result = conn.execute(q, execution_options={"yield_per": 5_000})
            for row in result:
                yield row_to_event(row)

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        with self.engine.connect() as conn:
            return read_events_by_id(conn, event_ids)

    def position_before(self, instant: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(_BEFORE, {"instant": instant}).scalar() or 0

    def close(self) -> None:
        self.engine.dispose()
