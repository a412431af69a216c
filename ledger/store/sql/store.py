"""The SQLAlchemy Core store: the same decisions as the memory store, in one transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, select

from ledger.collector import collector_paused
from ledger.domain.model import EMPTY_HEAD, Head, NewEvent, Prepared, StoredEvent
from ledger.store.appender import plan_append, plan_stream
from ledger.store.clock import wall_clock
from ledger.store.sql.bulk import ANALYZE_AFTER, analyze, copy_events
from ledger.store.sql.statements import DriverReads, dialect_of
from ledger.store.sql.engine import driver_connection, driver_write_transaction
from ledger.store.faults import crash_point
from ledger.store.port import AppendResult, EvidenceCopy, StreamResult
from ledger.store.sql.evidence import EvidenceRows, SqlEvidence
from ledger.store.sql.schema import events as T
from ledger.store.sql.search import index_events

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


# The clocks the future-time triggers of revision 0007 compare recorded_at with.
_DATABASE_NOW_SQLITE = "SELECT CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
_DATABASE_NOW_PG = "SELECT (extract(epoch FROM statement_timestamp()) * 1000000)::bigint"


class _Reader:
    """The planner's view of the log, inside the writer's transaction."""

    def __init__(self, reads: DriverReads, arriving: Sequence[EvidenceCopy] = ()) -> None:
        self.reads = reads
        # The copies this append stores before it commits; a streamed import adds to them
        # while it reads, so they are looked at when asked, not copied here.
        self.arriving = arriving

    def state(
        self, event_ids: Iterable[str], claim_ids: Iterable[str]
    ) -> tuple[Head, dict[str, StoredEvent], dict[str, int]]:
        return self.reads.state(event_ids, claim_ids)

    def get(self, event_ids: Iterable[str]) -> dict[str, StoredEvent]:
        return self.reads.by_ids(event_ids)

    def last_versions(self, claim_ids: Iterable[str]) -> dict[str, int]:
        return self.reads.last_versions(claim_ids)

    def database_now(self) -> int:
        """The database's clock, microseconds (what its future-time trigger compares with)."""
        sql = _DATABASE_NOW_SQLITE if self.reads.d.name == "sqlite" else _DATABASE_NOW_PG
        cur = self.reads.conn.cursor()
        try:
            cur.execute(sql)
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def voided(self, target_ids: Iterable[str]) -> set[str]:
        targets = set(target_ids)
        if not targets:
            return set()
        claims = {e.claim_id for e in self.get(targets).values()}
        return self.reads.void_targets(claims) & targets

    def stored_evidence(self, digests: Iterable[str]) -> set[str]:
        wanted = set(digests)
        arriving = wanted & {c.sha256 for c in self.arriving}
        rows = EvidenceRows(self.reads.conn, self.reads.d.name)
        return rows.stored(wanted - arriving) | arriving

    def actor_events(self) -> list[StoredEvent]:
        return self.reads.actor_events()


class SqlStore:
    """The log in an `events` table on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine, clock: Callable[[], int] = wall_clock) -> None:
        self.engine = engine
        self._clock = clock
        self._dialect = dialect_of(engine.dialect.name)
        self.evidence = SqlEvidence(engine, clock)

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> AppendResult:
        with collector_paused(), driver_write_transaction(self.engine) as dbapi:
            reads = DriverReads(dbapi, self._dialect)
            result = plan_append(
                events, _Reader(reads, evidence), clock=self._clock,
                keep_recorded_at=keep_recorded_at,
            )
            if dry_run:
                dbapi.rollback()
            else:
                rows = EvidenceRows(dbapi, self._dialect.name)
                result.evidence = [c.sha256 for c in evidence if rows.put(c, self._clock())]
                self._insert(dbapi, reads, result.added, result.prepared)
                crash_point("before-commit")
        if len(result.added) >= ANALYZE_AFTER:
            analyze(self.engine)
        return result

    def append_stream(
        self,
        chunks: Iterable[Sequence[NewEvent]],
        *,
        keep_recorded_at: bool = False,
        dry_run: bool = False,
        before_commit: Callable[[_Reader], None] | None = None,
        evidence: Sequence[EvidenceCopy] = (),
    ) -> StreamResult:
        with collector_paused(), driver_write_transaction(self.engine) as dbapi:
            reads = DriverReads(dbapi, self._dialect)
            written = 0

            def write(rows: list[StoredEvent], prepared: list[Prepared | None]) -> None:
                # Written as planned, inside the transaction, so the next chunk's plan reads
                # them; a dry run rolls them back with the rest.
                nonlocal written
                if written:
                    crash_point("mid-batch")
                self._insert(dbapi, reads, rows, prepared)
                written += len(rows)

            view = _Reader(reads, evidence)
            result = plan_stream(
                chunks, view, write, clock=self._clock, keep_recorded_at=keep_recorded_at
            )
            if before_commit is not None:
                before_commit(view)
            if dry_run:
                dbapi.rollback()
            else:
                rows = EvidenceRows(dbapi, self._dialect.name)
                result.evidence = [c.sha256 for c in evidence if rows.put(c, self._clock())]
                crash_point("before-commit")
        if not dry_run and result.added >= ANALYZE_AFTER:
            analyze(self.engine)
        return result

    def _insert(
        self,
        dbapi: Any,
        reads: DriverReads,
        rows: Sequence[StoredEvent],
        prepared: Sequence[Prepared | None],
    ) -> None:
        crash_point("before-insert")
        for i in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[i : i + _INSERT_CHUNK]
            ready = prepared[i : i + _INSERT_CHUNK]
            if not copy_events(dbapi, self._dialect.name, chunk, ready):
                reads.insert(chunk, ready)
            if i + _INSERT_CHUNK < len(rows):
                crash_point("mid-batch")
        # The search index is part of the same transaction: it never lags the log.
        index_events(dbapi, self._dialect.name, rows, prepared)

    @contextlib.contextmanager
    def _read(self) -> Iterator[DriverReads]:
        """A pooled DBAPI connection for one single-statement read (no Core overhead)."""
        with driver_connection(self.engine, single_reads=True) as dbapi:
            yield DriverReads(dbapi, self._dialect)

    def head(self) -> Head:
        with self._read() as reads:
            return reads.head()

    def head_at(self, position: int) -> Head:
        if position <= 0:
            return EMPTY_HEAD
        with self._read() as reads:
            return reads.head(position)

    def read_claim(self, claim_id: str, *, up_to: int | None = None) -> list[StoredEvent]:
        with self._read() as reads:
            return reads.claim(claim_id, up_to)

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
        with self._read() as reads:
            return reads.by_ids(event_ids)

    def position_before(self, instant: int) -> int:
        with self._read() as reads:
            return reads.position_before(instant)

    def head_before(self, instant: int) -> Head:
        with self._read() as reads:
            return reads.head_before(instant)

    def read_actors(self, *, up_to: int | None = None) -> list[StoredEvent]:
        with self._read() as reads:
            return reads.actor_events(up_to)

    def linking_claims(self, claim_id: str, *, up_to: int) -> set[str]:
        with self._read() as reads:
            return reads.linking_claims(claim_id, up_to)

    def close(self) -> None:
        self.engine.dispose()
