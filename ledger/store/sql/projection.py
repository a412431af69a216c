"""The persisted claim projection: caught up from its checkpoint, rebuilt by replay.

The rows and the checkpoint are written in one transaction under the ledger's write lock, so
a reader sees either the old projection with the old checkpoint or the new one with the new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from itertools import groupby
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select

from ledger.domain.actors import registry_at, touched_keys
from ledger.domain.view import FoldRow
from ledger.projections.snapshot import (
    Snapshot,
    actor_keys,
    load_snapshot,
)
from ledger.store.sql.engine import (
    LockTimeout,
    WriteRefused,
    driver_connection,
    is_sqlite,
    write_transaction,
)
from ledger.store.sql.schema import claim_projection as P
from ledger.store.sql.schema import events as T
from ledger.store.sql.schema import projection_checkpoints as C
from ledger.store.sql.replay import Row, claims_of, log_sql, parallel_rows, snapshot_row
from ledger.store.sql.statements import (
    ACTOR_ROWS_PG_LIKE,
    ACTOR_ROWS_PG_RANGE,
    ACTOR_ROWS_SQLITE,
    CLAIM_ROWS_PG,
    CLAIM_ROWS_SQLITE,
    DriverReads,
    actor_streams_by_range,
    dialect_of,
)

NAME = "claims"
_WRITE_CHUNK = 2_000
_ID_CHUNK = 500  # ids per IN (...) list; well under SQLite's and PostgreSQL's parameter limits

Progress = Callable[[int, int | None], None]

# Statements built once: building a Core statement per question cost more than running it.
_CHECKPOINT = select(C.c.position).where(C.c.name == NAME)
# The checkpoint and the head in one round trip (max(position) is one probe of the key).
_STATE = select(
    _CHECKPOINT.scalar_subquery(), select(func.max(T.c.position)).scalar_subquery()
)
_ROWS = select(P.c.claim_id, P.c.last_position, P.c.timeline, P.c.certain, P.c.body)
_ROWS_BY_ID = _ROWS.where(P.c.claim_id.in_(bindparam("ids", expanding=True)))
# What the fold reads of an event; metadata, salt and hashes never matter to a projection.
_FOLD_COLUMNS = (
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
)
def _actor_rows(conn: Connection, head: int) -> list[FoldRow]:
    """The actor streams' events up to `head` (statements.ACTOR_RANGE says how they are found)."""
    driver = conn.connection.driver_connection
    if actor_streams_by_range(driver, conn.dialect.name):
        where = [T.c.claim_id >= "actor:", T.c.claim_id < "actor;"]
    else:
        where = [T.c.claim_id.like("actor:%")]
    q = select(*_FOLD_COLUMNS).where(*where, T.c.position <= head).order_by(T.c.position)
    return [FoldRow(*r) for r in conn.execute(q)]


def checkpoint(conn: Connection) -> int:
    value = conn.execute(_CHECKPOINT).scalar()
    return int(value or 0)


def _state(conn: Connection) -> tuple[int, int]:
    done, head = conn.execute(_STATE).one()
    return int(done or 0), int(head or 0)


def _set_checkpoint(conn: Connection, position: int) -> None:
    conn.execute(delete(C).where(C.c.name == NAME))
    conn.execute(insert(C), {"name": NAME, "position": position})


def catch_up(engine: Engine, progress: Progress | None = None) -> tuple[int, int]:
    """Apply the log after the checkpoint; returns (checkpoint before, after)."""
    with engine.connect() as conn:
        done, head = _state(conn)
        if done >= head:
            return done, done
    try:
        with write_transaction(engine, brief=True) as conn:
            return _catch_up(conn, progress, parallel=True)
    except (WriteRefused, LockTimeout):  # read-only, or a long writer: questions refold
        return done, done


def current_rows(engine: Engine, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]:
    """Catch up if the log moved, then read the rows: one connection when already current."""
    with engine.connect() as conn:
        done, head = _state(conn)
        if done >= head:
            return _read(conn, claim_ids)
    try:
        with write_transaction(engine, brief=True) as conn:
            _catch_up(conn, None)
            return _read(conn, claim_ids)
    except (WriteRefused, LockTimeout):
        # Read-only (a standby, a read-only role): the same rows, refolded here and kept in
        # memory; nothing waits on a write that cannot happen.
        with engine.connect() as conn:
            _, head = _state(conn)
            wanted = None if claim_ids is None else set(claim_ids)
            return {
                row[0]: load_snapshot(row[1], *row[3:])
                for row in refold_rows(conn, head)
                if wanted is None or row[0] in wanted
            }


def current_claim(engine: Engine, claim_id: str, position: int) -> Snapshot | list[FoldRow]:
    """One claim at basis position P: its snapshot when that holds at P, else its events up to P.

    Catches up first if the log moved; when already current, all of it is one connection and
    usually one statement (a question about one claim pays per round trip, not per row).
    """
    # Single reads outside a transaction: each statement sees one consistent snapshot, and a
    # claim's events up to P, read by a second statement, cannot change (the log is
    # append-only and P is at most the head).
    sqlite = is_sqlite(engine)
    with driver_connection(engine, single_reads=True) as driver:
        found = _claim_at(driver, sqlite, claim_id, position)
        if found is not None:
            return found
    return _claim_caught_up(engine, sqlite, claim_id, position)


def current_claim_and_actors(
    engine: Engine, claim_id: str, position: int
) -> tuple[Snapshot | list[FoldRow], list[FoldRow]]:
    """`current_claim`, and every actor event, read after it on the same connection.

    A question needs the registry at P, and the names actor events after P touched (a
    snapshot naming one of those does not hold at P); read after the snapshot, they cover
    every actor event the snapshot was built with.
    """
    sqlite = is_sqlite(engine)
    with driver_connection(engine, single_reads=True) as driver:
        found = _claim_at(driver, sqlite, claim_id, position)
        if found is not None:
            return found, _actor_events(driver, sqlite)
    found = _claim_caught_up(engine, sqlite, claim_id, position)
    with driver_connection(engine, single_reads=True) as driver:
        return found, _actor_events(driver, sqlite)


def current_claim_actors_links(
    engine: Engine, claim_id: str, position: int
) -> tuple[Snapshot | list[FoldRow], list[FoldRow], set[str]]:
    """`current_claim_and_actors`, and the claims whose links may point at the claim by P
    (the candidates of its `linked_from`), on the same connection."""
    sqlite = is_sqlite(engine)
    with driver_connection(engine, single_reads=True) as driver:
        if not sqlite:
            pipelined = _pg_claim_actors_links(driver, claim_id, position)
            if pipelined is not None:
                return pipelined
        else:
            found = _claim_at(driver, sqlite, claim_id, position)
            if found is not None:
                return found, _actor_events(driver, sqlite), _linking(driver, sqlite, claim_id, position)
    found = _claim_caught_up(engine, sqlite, claim_id, position)
    with driver_connection(engine, single_reads=True) as driver:
        return found, _actor_events(driver, sqlite), _linking(driver, sqlite, claim_id, position)


def _pg_claim_actors_links(
    driver: Any, claim_id: str, position: int
) -> tuple[Snapshot | list[FoldRow], list[FoldRow], set[str]] | None:
    """`current_claim_actors_links` on PostgreSQL: the claim's row, the actor events and the
    linking claims sent in one pipeline (one round trip, not three, each its own snapshot in
    this order, as one after the other); None when the projection is behind the log."""
    actors_sql = ACTOR_ROWS_PG_RANGE if actor_streams_by_range(driver, "postgresql") else ACTOR_ROWS_PG_LIKE
    params = {"name": NAME, "claim_id": claim_id, "position": position}
    rows, actors, links = _cursor(driver, False), driver.cursor(), driver.cursor()
    try:
        with driver.pipeline():
            rows.execute(_PG_SQL["row"], params)
            actors.execute(actors_sql)  # constant text, no parameters
            links.execute(dialect_of("postgresql").linking, (claim_id, position, claim_id, position))
        row, actor_rows, link_rows = rows.fetchone(), actors.fetchall(), links.fetchall()
        if row is None:
            rows.execute(_PG_SQL["state"], {"name": NAME})
            row = rows.fetchone()
        if int(row[0] or 0) < int(row[1] or 0):
            return None
        loads = orjson.loads
        found: Snapshot | list[FoldRow]
        if len(row) > 3 and row[3] is not None:
            found = load_snapshot(row[2], row[3], row[4], row[5])
        else:  # the snapshot does not hold at P: the claim's events up to P
            rows.execute(_PG_SQL["events"], {"claim_id": claim_id, "position": position})
            found = [FoldRow(*r[:9], loads(r[9])) for r in rows.fetchall()]
        return found, [FoldRow(*r[:9], loads(r[9])) for r in actor_rows], {r[0] for r in link_rows}
    finally:
        for cursor in (rows, actors, links):
            cursor.close()


def _linking(driver: Any, sqlite: bool, claim_id: str, position: int) -> set[str]:
    dialect = dialect_of("sqlite" if sqlite else "postgresql")
    return DriverReads(driver, dialect).linking_claims(claim_id, position)


def _actor_events(driver: Any, sqlite: bool) -> list[FoldRow]:
    if sqlite:
        sql = ACTOR_ROWS_SQLITE
    elif actor_streams_by_range(driver, "postgresql"):
        sql = ACTOR_ROWS_PG_RANGE
    else:
        sql = ACTOR_ROWS_PG_LIKE
    cursor = driver.cursor()
    try:
        cursor.execute(sql)  # constant text, no parameters
        loads = orjson.loads
        return [FoldRow(*r[:9], loads(r[9])) for r in cursor.fetchall()]
    finally:
        cursor.close()


def _claim_caught_up(
    engine: Engine, sqlite: bool, claim_id: str, position: int
) -> Snapshot | list[FoldRow]:
    try:
        with write_transaction(engine, brief=True) as conn:
            _catch_up(conn, None)
            found = _claim_at(conn.connection.driver_connection, sqlite, claim_id, position)
    except (WriteRefused, LockTimeout):  # the claim's own events, folded by the question
        with engine.connect() as conn:
            return _claim_events(conn, claim_id, position)
    assert found is not None, "caught up under the write lock"
    return found


# Single-claim questions go through the driver's cursor: SQLAlchemy's per-statement work cost
# more than the statements (two per question at most). Constant SQL, values bound.
_STATE_SQLITE = (
    "SELECT (SELECT position FROM projection_checkpoints WHERE name = :name), "
    "(SELECT max(position) FROM events)"
)
_STATE_PG = (
    "SELECT (SELECT position FROM projection_checkpoints WHERE name = %(name)s), "
    "(SELECT max(position) FROM events)"
)
_SQLITE_SQL = {
    "row": _STATE_SQLITE + ", last_position, "
    "CASE WHEN last_position <= :position THEN timeline END, "
    "CASE WHEN last_position <= :position THEN certain END, "
    "CASE WHEN last_position <= :position THEN body END "
    "FROM claim_projection WHERE claim_id = :claim_id",
    "state": _STATE_SQLITE,
    "events": CLAIM_ROWS_SQLITE,
}
_PG_SQL = {
    "row": _STATE_PG + ", last_position, "
    "CASE WHEN last_position <= %(position)s THEN timeline END, "
    "CASE WHEN last_position <= %(position)s THEN certain END, "
    "CASE WHEN last_position <= %(position)s THEN body END "
    "FROM claim_projection WHERE claim_id = %(claim_id)s",
    "state": _STATE_PG,
    "events": CLAIM_ROWS_PG,
}


def _cursor(driver: Any, sqlite: bool) -> Any:
    """A cursor of a DBAPI connection; binary on PostgreSQL (bytea as stored, not as hex)."""
    return driver.cursor() if sqlite else driver.cursor(binary=True)


def _claim_at(
    driver: Any, sqlite: bool, claim_id: str, position: int
) -> Snapshot | list[FoldRow] | None:
    """As `current_claim`, on one DBAPI connection; None when the projection is behind the log."""
    sql = _SQLITE_SQL if sqlite else _PG_SQL
    params = {"name": NAME, "claim_id": claim_id, "position": position}
    cursor = _cursor(driver, sqlite)
    try:
        cursor.execute(sql["row"], params)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(sql["state"], {"name": NAME})
            row = cursor.fetchone()
        if int(row[0] or 0) < int(row[1] or 0):
            return None
        if len(row) > 3 and row[3] is not None:
            return load_snapshot(row[2], row[3], row[4], row[5])
        cursor.execute(sql["events"], {"claim_id": claim_id, "position": position})
        loads = orjson.loads
        return [FoldRow(*r[:9], loads(r[9])) for r in cursor.fetchall()]
    finally:
        cursor.close()


def rebuild(engine: Engine, progress: Progress | None = None) -> int:
    """Drop every row and refold the whole log; returns the number of claims written."""
    with write_transaction(engine) as conn:
        conn.execute(delete(P))
        _set_checkpoint(conn, 0)
        _catch_up(conn, progress, parallel=True)
        return int(conn.execute(select(func.count()).select_from(P)).scalar() or 0)


def _catch_up(
    conn: Connection, progress: Progress | None, *, parallel: bool = False
) -> tuple[int, int]:
    """`parallel`: a whole-log fold may use worker processes (replay, an explicit catch-up;
    never a question's catch-up, which may run in a threaded server)."""
    start, head = _state(conn)
    if start >= head:
        return start, start
    claims: list[str] | None = None  # None: every claim, streaming the whole log
    total: int | None = head
    actor_rows = _actor_rows(conn, head)
    actors = registry_at(actor_rows)
    if start > 0:
        q = select(T.c.claim_id).where(T.c.position > start).distinct()
        claims = sorted(c for (c,) in conn.execute(q))
        total = None
        newer = [r for r in actor_rows if r.position > start]
        if newer:
            claims = sorted(set(claims) | _claims_naming(conn, touched_keys(newer)))
        # Touched claims are rebuilt whole (an event may land in their valid-time past);
        # a claim whose every event is now voided simply gets no new row.
        for chunk in _chunks(claims):
            conn.execute(delete(P).where(P.c.claim_id.in_(chunk)))
    if not is_sqlite(conn) and (claims is None or len(claims) >= _WRITE_CHUNK):
        conn.exec_driver_sql(_PG_LZ4)
    batches = parallel_rows(conn, head, actors) if parallel and claims is None else None
    if batches is not None:
        done = 0
        with closing(batches):  # a failed write stops the workers at once, not when collected
            for folded, events in batches:
                _insert_rows(conn, folded)
                done += events
                if progress is not None:
                    progress(done, total)
        _set_checkpoint(conn, head)
        return start, head
    rows: list[Row] = []
    done = 0
    for claim_id, events in _events_by_claim(conn, claims, head):
        row = snapshot_row(claim_id, events, head, actors)
        done += len(events)
        if row is not None:
            rows.append(row)
        if len(rows) >= _WRITE_CHUNK:
            _insert_rows(conn, rows)
            rows = []
            if progress is not None:
                progress(done, total)
    if rows:
        _insert_rows(conn, rows)
    _set_checkpoint(conn, head)
    if progress is not None:
        progress(total or done, total)
    return start, head


# A replay writes about as many bytes as the log holds, mostly bodies of a few KB that
# PostgreSQL compresses as it stores them: with lz4 rather than the default pglz, the COPY of
# 100,000 events' rows took 0.3 s instead of 0.95 s, for the same size on disk. For this
# transaction only, and only where the server has lz4 (PostgreSQL 14 and later, built with it).
_PG_LZ4 = (
    "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _claims_naming(conn: Connection, keys: set[str]) -> set[str]:
    """Claims whose snapshot names an actor whose registry entry new actor events changed:
    they have no event of their own after the checkpoint, yet their answer changes."""
    return {c for c, snap in _read(conn, None).items() if actor_keys(snap) & keys}


_Row = Row
_COLUMN_LIST = "claim_id, last_position, status, timeline, certain, body"
_SQLITE_INSERT = f"INSERT INTO claim_projection ({_COLUMN_LIST}) VALUES (?, ?, ?, ?, ?, ?)"
_PG_COPY = f"COPY claim_projection ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
_PG_TYPES = ["varchar", "int8", "varchar", "bytea", "bytea", "bytea"]


def _insert_rows(conn: Connection, rows: list[_Row]) -> None:
    """Write projection rows in the caller's transaction, the fast way for each engine.

    Replay writes about as many bytes as the log holds: PostgreSQL's binary COPY takes the
    bytea columns as they are (a multi-row INSERT spent a third of replay there), and SQLite
    the driver's executemany.
    """
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    try:
        if is_sqlite(conn):
            cursor.executemany(_SQLITE_INSERT, rows)
            return
        with cursor.copy(_PG_COPY) as copy:
            copy.set_types(_PG_TYPES)
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _events_by_claim(
    conn: Connection, claims: list[str] | None, head: int
) -> Iterator[tuple[str, list[FoldRow]]]:
    """Each claim's events up to `head`, one claim at a time (memory: one claim)."""
    if claims is None:
        yield from _whole_log_by_claim(conn, head)
        return
    base = select(*_FOLD_COLUMNS).where(T.c.position <= head)
    for chunk in _chunks(claims):
        q = base.where(T.c.claim_id.in_(chunk)).order_by(T.c.claim_id, T.c.version)
        for claim_id, rows in groupby(conn.execute(q), key=_claim_of):
            yield claim_id, [FoldRow(*r) for r in rows]


# Replay reads every event through the driver's own cursor (replay.log_sql).
def _whole_log_by_claim(conn: Connection, head: int) -> Iterator[tuple[str, list[FoldRow]]]:
    driver = conn.connection.driver_connection
    assert driver is not None
    if is_sqlite(conn):
        cursor = driver.cursor()
        cursor.arraysize = 5_000
        cursor.execute(log_sql("sqlite"), (head,))
    else:
        # A server-side cursor inside the replay's transaction: streamed, never all in memory.
        cursor = driver.cursor(name="ledger_replay")
        cursor.itersize = 5_000
        cursor.execute(log_sql("postgresql"), (head,))
    try:
        yield from claims_of(cursor)
    finally:
        cursor.close()


def _claim_of(row: Sequence[Any]) -> str:
    return str(row[3])


def _chunks(items: Sequence[str], size: int = _ID_CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_ALL_ROWS = "SELECT claim_id, last_position, timeline, certain, body FROM claim_projection"


def _read(conn: Connection, claim_ids: Iterable[str] | None) -> dict[str, Snapshot]:
    out: dict[str, Snapshot] = {}
    if claim_ids is None:
        # Every row (claim list): the driver's cursor, and on PostgreSQL the binary protocol,
        # which hands bytea over as it is stored (text would double it as hex, and take more
        # than twice as long to read).
        cursor = _cursor(conn.connection.driver_connection, is_sqlite(conn))
        try:
            cursor.execute(_ALL_ROWS)
            while batch := cursor.fetchmany(5_000):
                for claim_id, last, timeline, certain, body in batch:
                    out[claim_id] = load_snapshot(last, timeline, certain, body)
        finally:
            cursor.close()
        return out
    for chunk in _chunks(sorted(set(claim_ids))):
        for claim_id, last, timeline, certain, body in conn.execute(_ROWS_BY_ID, {"ids": chunk}):
            out[claim_id] = load_snapshot(last, timeline, certain, body)
    return out


def read_rows(engine: Engine, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]:
    """Snapshots by claim id (all claims, or the ones named), as stored: no catch-up."""
    with engine.connect() as conn:
        return _read(conn, claim_ids)


def claims_after(engine: Engine, position: int) -> set[str]:
    """Claims with an event after `position`: their snapshots cannot answer at `position`."""
    q = select(T.c.claim_id).where(T.c.position > position).distinct()
    with engine.connect() as conn:
        return {c for (c,) in conn.execute(q)}


def table_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every projection row in claim order: what replay must reproduce exactly."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                P.c.claim_id, P.c.last_position, P.c.status, P.c.timeline, P.c.certain, P.c.body
            ).order_by(P.c.claim_id)
        )
        return [(r[0], r[1], r[2], *(bytes(v) for v in r[3:])) for r in rows]


class SqlSnapshots:
    """The persisted projection as the question layer reads it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def catch_up(self, progress: Progress | None = None) -> tuple[int, int]:
        return catch_up(self.engine, progress)

    def current_rows(self, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]:
        return current_rows(self.engine, claim_ids)

    def current_claim(self, claim_id: str, position: int) -> Snapshot | list[FoldRow]:
        return current_claim(self.engine, claim_id, position)

    def current_claim_and_actors(
        self, claim_id: str, position: int
    ) -> tuple[Snapshot | list[FoldRow], list[FoldRow]]:
        return current_claim_and_actors(self.engine, claim_id, position)

    def current_claim_actors_links(
        self, claim_id: str, position: int
    ) -> tuple[Snapshot | list[FoldRow], list[FoldRow], set[str]]:
        return current_claim_actors_links(self.engine, claim_id, position)

    def rows(self, claim_ids: Iterable[str] | None = None) -> dict[str, Snapshot]:
        return read_rows(self.engine, claim_ids)

    def count(self) -> int:
        """Claims in the projection (ledger info), without decoding any row."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(P)).scalar() or 0)

    def claims_after(self, position: int) -> set[str]:
        return claims_after(self.engine, position)

    def rebuild(self, progress: Progress | None = None) -> int:
        return rebuild(self.engine, progress)


# -- without writing: read-only databases, and verify's check of the stored rows -------------


def refold_rows(conn: Connection, head: int) -> Iterator[_Row]:
    """Every claim's projection row at `head`, refolded from the log and written nowhere:
    what a rebuild up to `head` would store, in the log's claim order."""
    actor_rows = _actor_rows(conn, head)
    actors = registry_at(actor_rows)
    for claim_id, events in _whole_log_by_claim(conn, head):
        row = snapshot_row(claim_id, events, head, actors)
        if row is not None:
            yield row


def _claim_events(conn: Connection, claim_id: str, position: int) -> list[FoldRow]:
    q = (
        select(*_FOLD_COLUMNS)
        .where(T.c.claim_id == claim_id, T.c.position <= position)
        .order_by(T.c.version)
    )
    return [FoldRow(*r) for r in conn.execute(q)]


_STORED_ROWS = (
    "SELECT claim_id, last_position, status, timeline, certain, body FROM claim_projection"
)


def disagreements(engine: Engine, limit: int = 10) -> list[str]:
    """What in the stored projection differs from a refold of the log up to its checkpoint.

    One pass over each: the stored rows are kept as digests by claim id, then every refolded
    row is compared with its digest. Names up to `limit` claims; empty when they agree.
    """
    import hashlib

    def digest(row: Sequence[Any]) -> bytes:
        h = hashlib.sha256(orjson.dumps([row[0], int(row[1]), row[2]]))
        for blob in row[3:]:
            h.update(len(blob).to_bytes(8, "big"))
            h.update(bytes(blob))
        return h.digest()

    found: list[str] = []
    with engine.connect() as conn:
        if not is_sqlite(conn):  # one snapshot for both passes, whatever catches up meanwhile
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        done, head = _state(conn)
        if done > head:
            return [f"the projection's checkpoint {done} lies beyond the log's head {head}"]
        stored: dict[str, bytes] = {}
        cursor = _cursor(conn.connection.driver_connection, is_sqlite(conn))
        try:
            cursor.execute(_STORED_ROWS)
            while batch := cursor.fetchmany(5_000):
                for row in batch:
                    stored[row[0]] = digest(row)
        finally:
            cursor.close()
        for row in refold_rows(conn, done):
            mine = stored.pop(row[0], None)
            if mine is None:
                found.append(f"claim '{row[0]}' is missing from the projection")
            elif mine != digest(row):
                found.append(f"claim '{row[0]}': the projection row differs from a refold of the log")
            if len(found) >= limit:
                return found
    for claim_id in sorted(stored)[: limit - len(found)]:
        found.append(f"claim '{claim_id}' is in the projection but not in the log")
    return found
